"""The product range (templates, variants, who supplies them) and its stock."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import accumulate

from deploy.odoo_demo import vocabulary as vocab
from deploy.odoo_demo.base import CATEG_BY_KEY, CONSIGNMENT, INVENTORY_ADJUSTMENT, SCRAP
from deploy.odoo_demo.rows import (
    ADMIN,
    AUDIT_COLUMNS,
    COMPANY,
    SET_OF_4,
    UNIT,
    Context,
    Record,
    Row,
    TableRows,
    audit,
    from_stream,
    jsonb,
    past,
    ts,
    weighted,
)

KINDS = ("tyre", "wheel", "accessory", "service")
KIND_CUM_WEIGHTS = tuple(accumulate((72, 18, 9, 1)))
SEASON_CUM_WEIGHTS = tuple(accumulate((45, 30, 25)))
RIM_CUM_WEIGHTS = tuple(accumulate(size[1] for size in vocab.RIM_SIZES))
VARIANT_COUNTS = (1, 2, 3)
FINISH_CUM_WEIGHTS = tuple(accumulate((50, 30, 20)))
SUPPLIER_COUNT_CUM_WEIGHTS = tuple(accumulate((50, 35, 15)))
# Internal locations a variant is stocked at, with relative frequency. The consignment
# location holds stock owned by one or two of the product's suppliers (stock_quant.owner_id):
# stock per supplier x product.
STOCK_PATTERNS = ((9,), (9, 13), (9, 10), (9, 13, 14), (13,), (9, 11, 13), (9, 14))
STOCK_PATTERN_CUM_WEIGHTS = tuple(accumulate((30, 25, 10, 8, 10, 7, 10)))
_PATTERN_INDEXES = range(len(STOCK_PATTERNS))
_WHOLE_TEMPLATE = (None,)


@dataclass(frozen=True, slots=True)
class Design:
    """What a product is, before it gets ids, variants and suppliers. ``detailed_type`` is
    Odoo 16/17's: 'product' (storable), 'consu' or 'service'."""

    kind: str
    categ_key: str
    detailed_type: str
    name: str
    description: tuple[str, str, str] | None
    list_price: float
    weight: float
    volume: float
    code_prefix: str
    variant_labels: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Supply:
    partner_id: int
    price: float
    delay: int
    min_qty: float
    code: str


@dataclass(frozen=True, slots=True)
class Variant:
    id: int
    code: str
    label: str | None
    barcode: str | None
    combination: str
    active: bool
    stock_pattern: int


@dataclass(frozen=True, slots=True)
class Template:
    id: int
    kind: str
    detailed_type: str
    categ_id: int
    name: str
    description_sale: str | None
    code: str
    list_price: float
    weight: float
    volume: float
    active: bool
    # What pricelist items and supplier prices point at: (None,) for the template as a whole
    # (applied_on '1_product'), or each variant's id ('0_product_variant').
    price_targets: tuple[int | None, ...]
    variants: tuple[Variant, ...]
    supplies: tuple[Supply, ...]
    created: datetime

    @property
    def storable(self) -> bool:
        return self.detailed_type == "product"


def _retail(price: float) -> float:
    """Shelf prices end in .95 (or .50 below 20 EUR)."""
    return round(price) + 0.5 if price < 20 else max(round(price) - 0.05, 0.95)


def _ean13(number: int) -> str:
    digits = f"54{number:010d}"  # 54: the GS1 prefix of Belgium
    odd = sum(int(d) for d in digits[0::2])
    even = sum(int(d) for d in digits[1::2])
    return digits + str((10 - (odd + 3 * even) % 10) % 10)


def _tyre(rng: random.Random) -> Design:
    brand, factor, *by_season = rng.choice(vocab.TYRE_BRANDS)
    season = weighted(rng, (0, 1, 2), SEASON_CUM_WEIGHTS)
    key, en, nl, fr, speeds = vocab.SEASONS[season]
    model = rng.choice(by_season[season])
    rim, _freq, base_width, base_aspect = weighted(rng, vocab.RIM_SIZES, RIM_CUM_WEIGHTS)
    width = base_width + rng.choice((-20, -10, 0, 0, 10, 20))
    aspect = base_aspect + rng.choice((-5, 0, 0, 5, 10))
    xl = rng.random() < 0.25
    # Roughly the load index of real sizes (205/55 R16 -> 90, 225/45 R17 -> 93).
    load = 40 + width // 5 + aspect // 10 + rim // 4 + (4 if xl else 0)
    size = f"{width}/{aspect} R{rim} {load}{rng.choice(speeds)}{' XL' if xl else ''}"
    price = (40 + (rim - 13) * 18 + (width - 155) * 0.6) * factor * rng.uniform(0.9, 1.15)
    labels = vocab.PRODUCTION_YEARS if rng.random() < 0.12 else ()
    return Design(
        kind="tyre",
        categ_key=key,
        detailed_type="product",
        name=f"{brand} {model} {size}",
        description=(f"{en} {size}", f"{nl} {size}", f"{fr} {size}"),
        list_price=_retail(price),
        weight=round(4 + (rim - 13) * 0.8 + (width - 155) / 25, 2),
        volume=round(0.03 + width * rim / 60000, 3),
        code_prefix="T",
        variant_labels=labels,
    )


def _wheel(rng: random.Random) -> Design:
    rim = max(14, weighted(rng, vocab.RIM_SIZES, RIM_CUM_WEIGHTS)[0])
    width = min(10.0, max(5.5, rim / 2 - 1 + rng.choice((-0.5, 0, 0.5, 1))))
    spec = (
        f"{width:.1f}x{rim} ET{rng.randrange(20, 55, 5)} {rng.choice(vocab.BOLT_PATTERNS)} "
        f"{rng.choice(vocab.CENTER_BORES)}"
    )
    if rng.random() < 0.2:
        brand = rng.choice(vocab.STEEL_WHEEL_BRANDS)
        return Design(
            kind="wheel",
            categ_key="steel",
            detailed_type="product",
            name=f"Steel wheel {brand} {spec}",
            description=(f"Steel wheel {spec}", f"Stalen velg {spec}", f"Jante acier {spec}"),
            list_price=_retail(30 + (rim - 14) * 8 * rng.uniform(0.9, 1.2)),
            weight=round(7 + (rim - 14) * 0.9, 2),
            volume=0.05,
            code_prefix="W",
            variant_labels=(),
        )
    n_finishes = weighted(rng, VARIANT_COUNTS, FINISH_CUM_WEIGHTS)
    finishes = tuple(rng.sample(vocab.FINISHES, n_finishes)) if n_finishes > 1 else ()
    model = f"{rng.choice(vocab.WHEEL_BRANDS)} {rng.choice(vocab.WHEEL_MODELS)}"
    return Design(
        kind="wheel",
        categ_key="alloy",
        detailed_type="product",
        name=f"{model} {spec}",
        description=(f"Alloy wheel {spec}", f"Lichtmetalen velg {spec}", f"Jante alliage {spec}"),
        list_price=_retail((70 + (rim - 14) * 35) * rng.uniform(0.85, 1.3)),
        weight=round(6 + (rim - 14) * 1.1, 2),
        volume=0.06,
        code_prefix="W",
        variant_labels=finishes,
    )


def _accessory(rng: random.Random) -> Design:
    name, key, storable, (low, high), sizes = rng.choice(vocab.ACCESSORIES)
    name = name.format(size=rng.choice(sizes)) if sizes else name
    coloured = key == "bolts" and storable and rng.random() < 0.4
    labels = tuple(rng.sample(vocab.COLOURS, rng.choice((2, 3)))) if coloured else ()
    weight = rng.uniform(2.0, 6.0) if key == "chains" else rng.uniform(0.03, 1.2)
    return Design(
        kind="accessory",
        categ_key=key,
        detailed_type="product" if storable else "consu",
        name=name,
        description=None,
        list_price=_retail(rng.uniform(low, high)),
        weight=round(weight, 2),
        volume=0.002,
        code_prefix="A",
        variant_labels=labels,
    )


def _service(rng: random.Random) -> Design:
    return Design(
        kind="service",
        categ_key="service",
        detailed_type="service",
        name=rng.choice(vocab.SERVICES).format(size=rng.randint(14, 22)),
        description=None,
        list_price=_retail(rng.uniform(8.0, 65.0)),
        weight=0.0,
        volume=0.0,
        code_prefix="S",
        variant_labels=(),
    )


DESIGNERS = {"tyre": _tyre, "wheel": _wheel, "accessory": _accessory, "service": _service}


def plan_templates(ctx: Context, suppliers: Sequence[int]) -> list[Template]:
    """`ctx.scale` templates; variant ids run on across templates."""
    rng = ctx.rng("product_template")
    # Big distributors carry most of the range: supplier weight falls off with its rank.
    supplier_weights = tuple(accumulate(1 / (rank + 2) for rank in range(len(suppliers))))
    templates: list[Template] = []
    next_variant = 1
    for tmpl_id in range(1, ctx.scale + 1):
        design = DESIGNERS[weighted(rng, KINDS, KIND_CUM_WEIGHTS)](rng)
        code = f"{design.code_prefix}{tmpl_id:07d}"
        active = rng.random() > 0.04
        variants = _variants(rng, design, code, active, next_variant)
        supplies = _supplies(rng, design, suppliers, supplier_weights)
        template = _template(rng, ctx.as_of, tmpl_id, code, active, design, variants, supplies)
        templates.append(template)
        next_variant += len(variants)
    return templates


def _variants(
    rng: random.Random, design: Design, code: str, active_template: bool, first_id: int
) -> tuple[Variant, ...]:
    labels = design.variant_labels or ((None, None),)
    variants = []
    for i, (label, suffix) in enumerate(labels):
        # The first variant shares the template's state; later ones may be archived alone.
        active = active_template and (i == 0 or rng.random() > 0.05)
        pattern = weighted(rng, _PATTERN_INDEXES, STOCK_PATTERN_CUM_WEIGHTS)
        storable = design.detailed_type == "product"
        variants.append(
            Variant(
                id=first_id + i,
                code=f"{code}-{suffix}" if suffix else code,
                label=label,
                barcode=_ean13(first_id + i) if storable and rng.random() < 0.92 else None,
                # Attribute value ids; single-variant templates have none.
                combination=str(first_id + i) if label else "",
                active=active,
                stock_pattern=pattern,
            )
        )
    return tuple(variants)


def _supplies(
    rng: random.Random, design: Design, suppliers: Sequence[int], weights: Sequence[float]
) -> tuple[Supply, ...]:
    if design.kind == "service":
        return ()
    n = weighted(rng, VARIANT_COUNTS, SUPPLIER_COUNT_CUM_WEIGHTS)
    chosen = dict.fromkeys(weighted(rng, suppliers, weights) for _ in range(n))
    return tuple(
        Supply(
            partner_id=pid,
            price=round(design.list_price * rng.uniform(0.55, 0.78), 2),
            delay=rng.randint(1, 10),
            min_qty=rng.choice((0.0, 0.0, 4.0)),
            code=f"{pid:04d}-{rng.randint(100000, 999999)}",
        )
        for pid in chosen
    )


def _template(
    rng: random.Random,
    as_of: datetime,
    tmpl_id: int,
    code: str,
    active: bool,
    design: Design,
    variants: tuple[Variant, ...],
    supplies: tuple[Supply, ...],
) -> Template:
    translated = design.description is not None and rng.random() < 0.6
    per_variant = len(variants) > 1 and rng.random() < 0.3
    return Template(
        id=tmpl_id,
        kind=design.kind,
        detailed_type=design.detailed_type,
        categ_id=CATEG_BY_KEY[design.categ_key],
        name=design.name,
        description_sale=jsonb(*design.description) if design.description and translated else None,
        code=code,
        list_price=design.list_price,
        weight=design.weight,
        volume=design.volume,
        active=active,
        price_targets=tuple(v.id for v in variants) if per_variant else _WHOLE_TEMPLATE,
        variants=variants,
        supplies=supplies,
        created=past(rng, as_of, 3 * 365, 1),
    )


def product_type(detailed_type: str, odoo_version: int) -> str:
    """product_template.type: up to 17 the detailed type itself; 18 folded storable products
    into goods ('consu', with is_storable)."""
    if odoo_version >= 18 and detailed_type == "product":
        return "consu"
    return detailed_type


def _template_record(rng: random.Random, t: Template, as_of: datetime, odoo_version: int) -> Record:
    single = len(t.variants) == 1
    # Every version's columns; fitting to the version's table drops the others.
    record = {
        "id": t.id,
        "name": jsonb(t.name),
        "sequence": 1,
        "description_sale": t.description_sale,
        "detailed_type": t.detailed_type,
        "type": product_type(t.detailed_type, odoo_version),
        "is_storable": t.storable,
        "service_tracking": "no",
        "categ_id": t.categ_id,
        "list_price": t.list_price,
        # Odoo computes these from the variant only when there is exactly one.
        "volume": t.volume if single else 0.0,
        "weight": t.weight if single else 0.0,
        "sale_ok": True,
        "purchase_ok": t.kind != "service",
        "uom_id": UNIT,
        "uom_po_id": SET_OF_4 if t.kind == "tyre" and rng.random() < 0.1 else UNIT,
        "active": t.active,
        "color": 0,
        "default_code": t.code if single else None,
        "priority": "1" if rng.random() < 0.03 else "0",
        "can_image_1024_be_zoomed": False,
        "has_configurable_attributes": not single,
        "tracking": "none",
        "sale_delay": 0 if t.storable else 1,
        "lot_valuated": False,
        "invoice_policy": "delivery" if t.storable else "order",
        "service_type": "manual",
        "expense_policy": "no",
        "sale_line_warn": "no-message",
        "purchase_method": "receive" if t.storable else "purchase",
        "purchase_line_warn": "no-message",
        **audit(rng, t.created, as_of, edited=0.5),
    }
    record["is_favorite"] = record["priority"] == "1"  # Odoo 18 made the star a boolean
    return record


def template_table(ctx: Context, templates: Sequence[Template]) -> TableRows:
    def records() -> Iterator[Record]:
        rng = ctx.rng("product_template:rows")
        for t in templates:
            yield _template_record(rng, t, ctx.as_of, ctx.odoo_version)

    sample = _template_record(random.Random(0), templates[0], ctx.as_of, ctx.odoo_version)
    return from_stream("product_template", sample.keys(), len(templates), records)


VARIANT_COLUMNS = (
    "id", "product_tmpl_id", "default_code", "barcode", "combination_indices", "standard_price",
    "active", "volume", "weight", "can_image_variant_1024_be_zoomed", *AUDIT_COLUMNS,
)  # fmt: skip
# Cost as a share of the list price; a few variants have no cost at all (NULL).
COST_SHARE = (0.55, 0.75)
NO_COST_SHARE = 0.03


def variant_costs(ctx: Context, templates: Sequence[Template]) -> list[float | None]:
    """Each variant's cost (in variant id order), rounded to cents; None: no cost set. Odoo 18
    keeps it in product_product.standard_price, earlier versions in ir_property."""
    rng = ctx.rng("product_product:standard_price")
    low, high = COST_SHARE
    costs: list[float | None] = []
    for t in templates:
        for _ in t.variants:
            r = rng.random()
            cost = t.list_price * (low + (high - low) * r)
            costs.append(None if r < NO_COST_SHARE else round(cost, 2))
    return costs


def standard_price(cost: float | None) -> str | None:
    """Odoo 18's company-dependent value in the row: {"<company id>": cost} as jsonb."""
    return None if cost is None else f'{{"{COMPANY}": {cost}}}'


def variant_table(
    ctx: Context, templates: Sequence[Template], costs: Sequence[float | None]
) -> TableRows:
    def rows() -> Iterator[Row]:
        cost = iter(costs)
        for t in templates:
            created = ts(t.created)
            for v in t.variants:
                price = standard_price(next(cost))
                yield (v.id, t.id, v.code, v.barcode, v.combination, price, v.active, t.volume,
                       t.weight, False, ADMIN, created, ADMIN, created)  # fmt: skip

    count = sum(len(t.variants) for t in templates)
    return TableRows("product_product", VARIANT_COLUMNS, count, rows)


QUANT_COLUMNS = (
    "id", "product_id", "company_id", "location_id", "owner_id", "quantity",
    "reserved_quantity", "in_date", "inventory_quantity", "inventory_diff_quantity",
    "inventory_date", "inventory_quantity_set", *AUDIT_COLUMNS,
)  # fmt: skip
# Variants whose id is not a multiple of this were partly counted in by an inventory
# adjustment: they have a (negative) quant in the inventory adjustment location.
COUNTED_IN_EVERY = 4
# One variant in this many has had units scrapped: a (positive) quant in the scrap location.
SCRAPPED_EVERY = 25
RESERVED_SHARE = 0.15
Slot = tuple[int, int | None]  # (location, owner) of one quant


def _consignment_owners(t: Template, v: Variant, showcase: int | None) -> tuple[int, ...]:
    """Who owns a variant's consigned stock: with one supplier that one; with several, by
    variant the main supplier, the second one, or both (two quants)."""
    ids = [s.partner_id for s in t.supplies]
    if len(ids) == 1:
        return (ids[0],)
    if v.id == showcase:
        return ids[0], ids[1]
    return ((ids[0],), (ids[1],), (ids[0], ids[1]))[v.id % 3]


def _showcase_variant(templates: Sequence[Template]) -> int | None:
    """A variant that always has consigned stock of two suppliers, so every run (even a tiny
    one) has stock owned by a supplier that is not the product's main one."""
    for t in templates:
        if t.storable and len(t.supplies) > 1:
            for v in t.variants:
                if v.active:
                    return v.id
    return None


def _stocked(
    templates: Sequence[Template], showcase: int | None
) -> Iterator[tuple[Template, Variant, tuple[Slot, ...]]]:
    """(template, variant, its quants' slots) of active storable variants: internal
    locations first, then the inventory adjustment and scrap counterparts."""
    for t in templates:
        if not t.storable:
            continue
        for v in t.variants:
            if not v.active:
                continue
            locations = STOCK_PATTERNS[v.stock_pattern]
            if v.id == showcase and CONSIGNMENT not in locations:
                locations = (*locations, CONSIGNMENT)
            slots: list[Slot] = []
            for location in locations:
                if location != CONSIGNMENT:
                    slots.append((location, None))
                elif t.supplies:
                    slots.extend((location, owner) for owner in _consignment_owners(t, v, showcase))
            if v.id % COUNTED_IN_EVERY and any(owner is None for _, owner in slots):
                slots.append((INVENTORY_ADJUSTMENT, None))
            if v.id % SCRAPPED_EVERY == 0:
                slots.append((SCRAP, None))
            if slots:
                yield t, v, tuple(slots)


def quant_table(ctx: Context, templates: Sequence[Template]) -> TableRows:
    """Quants as Odoo keeps them: stock in internal locations (some of it reserved, some owned
    by a supplier on consignment) and the virtual counterparts Odoo books as well: the
    negative quant of the inventory adjustment location (stock counted in rather than
    received) and scrapped units."""
    showcase = _showcase_variant(templates)

    def rows() -> Iterator[Row]:
        rng = ctx.rng("stock_quant")
        inventory_date = f"{ctx.as_of.year}-12-31"
        quant_id = 0
        for _t, v, slots in _stocked(templates, showcase):
            own = 0.0
            for location, owner in slots:
                quant_id += 1
                in_date = ts(past(rng, ctx.as_of, 400, 1))
                if location == INVENTORY_ADJUSTMENT:
                    # Part of the company's stock came in by counting (the rest by receipts);
                    # what was counted in may have been sold since.
                    qty = -float(max(1, int(own * rng.uniform(0.2, 1.0)) + rng.randint(0, 6)))
                    yield (quant_id, v.id, COMPANY, location, None, qty, 0.0, in_date, 0.0, 0.0,
                           None, False, ADMIN, in_date, ADMIN, in_date)  # fmt: skip
                    continue
                if location == SCRAP:
                    qty = float(rng.randint(1, 4))
                    yield (quant_id, v.id, COMPANY, location, None, qty, 0.0, in_date, 0.0, 0.0,
                           None, False, ADMIN, in_date, ADMIN, in_date)  # fmt: skip
                    continue
                empty = rng.random() < 0.08
                qty = 0.0 if empty else float(min(400, int(rng.expovariate(1 / 24))))
                reserved = 0.0
                if rng.random() < RESERVED_SHARE and qty >= 1:
                    reserved = float(rng.randint(1, int(qty)))
                if owner is None:
                    own += qty
                yield (quant_id, v.id, COMPANY, location, owner, qty, reserved, in_date, 0.0,
                       0.0, inventory_date, False, ADMIN, in_date, ADMIN, in_date)  # fmt: skip

    count = sum(len(slots) for _t, _v, slots in _stocked(templates, showcase))
    return TableRows("stock_quant", QUANT_COLUMNS, count, rows)
