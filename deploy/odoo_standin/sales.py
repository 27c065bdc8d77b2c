"""sale.order and sale.order.line as Odoo 17/18 (sale_management, sale_stock) writes them.

``create`` fills in what Odoo's onchanges and defaults do: the invoice and delivery
addresses from the customer (``address_get``), the customer's pricelist and its currency,
the salesperson, ``state`` draft, ``validity_date`` 30 days on, and the name: Odoo takes the
next number of its ``sale.order`` sequence (S00001); the demo database has no ir_sequence
table and its orders are named S + their id, so a new order is named the same way (unique
under concurrent calls, as the id comes from PostgreSQL's sequence).

Lines come as ``order_line`` commands (``[0, 0, vals]`` create, ``[1, id, vals]`` update,
``[2, id, 0]`` delete). A line takes the product's description ("[code] name" and its sales
description), unit, lead time and, without ``price_unit``, the pricelist's price for the
quantity at the order date (streams/changes/pricing.py, the engine the feeds use). Amounts:
subtotal = price_unit * quantity * (1 - discount / 100), rounded to the currency. Taxes are
not modelled: ``amount_tax`` and ``price_tax`` are 0 and totals equal subtotals.

As in Odoo, the order is INSERTed with zero amounts, then its lines, then the order is
UPDATEd with their totals: CDC sees the same row changes.

``action_confirm``: only draft and sent orders, whose lines all have a product; state
``sale`` and ``date_order`` now, lines to invoice per their product's invoicing policy,
``delivery_status`` pending when a line needs a delivery.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg import sql

from deploy.odoo_standin import orm, partners
from deploy.odoo_standin.errors import UserError, ValidationError, invalid, not_implemented
from deploy.odoo_standin.orm import Env
from streams.changes.pricing import (
    Catalog,
    Pricelist,
    Rule,
    Variant,
    float_round_half_up,
    odoo_order,
    product_price,
)

ORDER = "sale.order"
LINE = "sale.order.line"
VALIDITY_DAYS = 30  # res.company.quotation_validity_days' default
CONFIRMABLE = ("draft", "sent")
NO_PRODUCT = "Missing required fields on accountable sale order line."
# Odoo stores price_unit with the "Product Price" decimal precision (2 digits by default).
PRICE_PRECISION = 0.01


# Pure logic ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LineAmounts:
    price_subtotal: float
    price_tax: float
    price_total: float
    price_reduce_taxexcl: float
    price_reduce_taxinc: float


def line_amounts(
    quantity: float, price_unit: float, discount: float, rounding: float
) -> LineAmounts:
    """A line's amounts without taxes (none are modelled)."""
    reduced = price_unit * (1 - (discount or 0.0) / 100)
    subtotal = float_round_half_up(reduced * quantity, rounding)
    unit = subtotal / quantity if quantity else 0.0
    return LineAmounts(subtotal, 0.0, subtotal, unit, unit)


def order_amounts(subtotals: Iterable[float], rounding: float) -> dict[str, float]:
    untaxed = float_round_half_up(sum(subtotals), rounding)
    return {"amount_untaxed": untaxed, "amount_tax": 0.0, "amount_total": untaxed}


def confirmation_error(state: str | None, lines: Iterable[Mapping[str, Any]]) -> str | None:
    """Why Odoo refuses to confirm an order (``_confirmation_error_message``), or None."""
    if state not in CONFIRMABLE:
        return "Some orders are not in a state requiring confirmation."
    if any(
        not line.get("display_type")
        and not line.get("is_downpayment")
        and not line.get("product_id")
        for line in lines
    ):
        return "A line on these orders missing a product, you cannot confirm it."
    return None


def to_invoice(policy: str | None, quantity: float, delivered: float, invoiced: float) -> float:
    """What a confirmed line has to invoice: ordered ('order' policy) or delivered units."""
    basis = quantity if policy == "order" else delivered
    return max(basis - invoiced, 0.0)


def delivered_by_moves(product_type: str | None) -> bool:
    """Goods are delivered by stock moves (sale_stock); services by hand."""
    return product_type in ("consu", "product")


def description(product: Mapping[str, Any]) -> str:
    """``get_product_multiline_description_sale``: display name, then the sales description."""
    code = product.get("default_code")
    name = f"[{code}] {product['name']}" if code else str(product["name"])
    extra = product.get("description_sale")
    return f"{name}\n{extra}" if extra else name


def microseconds(moment: datetime) -> int:
    """A naive UTC timestamp as the pricing engine's microseconds since the epoch."""
    return int(moment.replace(tzinfo=UTC).timestamp() * 1_000_000)


# Database ------------------------------------------------------------------------------


def _orders(env: Env, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    orm.existing(env, env.model(ORDER), ids)
    query = sql.SQL("SELECT * FROM sale_order WHERE id = ANY(%s)")
    return {r["id"]: r for r in env.rows(query, [list(ids)])}


def _rounding(env: Env, currency_id: int | None) -> float:
    found = env.rows(sql.SQL("SELECT rounding FROM res_currency WHERE id = %s"), [currency_id])
    return float(found[0]["rounding"] or 0.01) if found else 0.01


def _products(env: Env, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    has = env.registry.has_column
    optional = [
        sql.SQL("pt.is_storable") if has("product_template", "is_storable") else sql.SQL("NULL"),
        sql.SQL("p.standard_price")
        if has("product_product", "standard_price")
        else sql.SQL("NULL"),
    ]
    query = sql.SQL(
        "SELECT p.id, p.default_code, p.product_tmpl_id, pt.categ_id, pt.uom_id, pt.type,"
        " pt.list_price, pt.sale_delay, pt.invoice_policy,"
        " COALESCE(pt.name->>%s, pt.name->>'en_US') AS name,"
        " COALESCE(pt.description_sale->>%s, pt.description_sale->>'en_US') AS description_sale,"
        " {} AS is_storable, {} AS standard_price"
        " FROM product_product p JOIN product_template pt ON pt.id = p.product_tmpl_id"
        " WHERE p.id = ANY(%s)"
    ).format(*optional)
    found = {r["id"]: r for r in env.rows(query, [env.lang, env.lang, wanted])}
    missing = [i for i in wanted if i not in found]
    if missing:
        raise orm.missing_error(env, env.model("product.product"), missing)
    return found


def _uom_field(env: Env) -> str:
    # Odoo up to 18 names the line's unit product_uom, 19 product_uom_id.
    return "product_uom" if "product_uom" in env.model(LINE).fields else "product_uom_id"


def create_order(env: Env, vals: Any) -> int:
    model = env.model(ORDER)
    data = orm.checked(model, vals)
    commands = data.pop("order_line", None) or []
    partner_id = data.get("partner_id")
    if not partner_id:
        raise _mandatory(model.description, ORDER, "Customer", "partner_id")
    partners.row(env, partner_id)  # MissingError for an unknown customer
    user = env.rows(sql.SQL("SELECT company_id FROM res_users WHERE id = %s"), [env.uid])
    company_id = data.get("company_id") or (user[0]["company_id"] if user else 1)
    if "partner_invoice_id" not in data or "partner_shipping_id" not in data:
        proposed = partners.addresses(env, partner_id)
        data.setdefault("partner_invoice_id", proposed["invoice"])
        data.setdefault("partner_shipping_id", proposed["delivery"])
    if "pricelist_id" not in data:
        data["pricelist_id"] = partners.pricelist(env, partner_id, company_id)
    currency_id = _currency(env, data["pricelist_id"], company_id)
    ordered = data.get("date_order") or env.now().replace(microsecond=0)
    order_id = orm.next_id(env, model)
    row = {
        "id": order_id,
        "name": f"S{order_id:05d}",
        "state": "draft",
        "date_order": ordered,
        "validity_date": (env.now() + timedelta(days=VALIDITY_DAYS)).date(),
        "require_signature": True,
        "require_payment": False,
        "prepayment_percent": 1.0,
        "user_id": partners.salesperson(env, partner_id),
        "currency_id": currency_id,
        "currency_rate": 1.0,
        "company_id": company_id,
        "invoice_status": "no",
        "amount_untaxed": 0.0,
        "amount_tax": 0.0,
        "amount_total": 0.0,
        "locked": False,
        "picking_policy": "direct",
        **data,
    }
    orm.insert(env, model, row)
    _apply_commands(env, row, commands)
    recompute(env, [order_id])
    return order_id


def _currency(env: Env, pricelist_id: int | None, company_id: int) -> int | None:
    if pricelist_id:
        found = env.rows(
            sql.SQL("SELECT currency_id FROM product_pricelist WHERE id = %s"), [pricelist_id]
        )
        if not found:
            raise orm.missing_error(env, env.model("product.pricelist"), [pricelist_id])
        return found[0]["currency_id"]
    company = env.rows(sql.SQL("SELECT currency_id FROM res_company WHERE id = %s"), [company_id])
    return company[0]["currency_id"] if company else None


def _mandatory(description: str, model: str, label: str, name: str) -> ValidationError:
    return ValidationError(
        "The operation cannot be completed:\n"
        "- Create/update: a mandatory field is not set.\n"
        "- Delete: another model requires the record being deleted."
        " If possible, archive it instead.\n\n"
        f"Model: {description} ({model})\nField: {label} ({name})\n"
    )


def _apply_commands(env: Env, order: Mapping[str, Any], commands: Sequence[Any]) -> None:
    line_model = env.model(LINE)
    for command in commands:
        if not isinstance(command, list | tuple) or not command:
            raise invalid(f"Invalid order_line command {command!r}")
        code = command[0]
        if code == 0 and len(command) == 3:
            _create_line(env, order, orm.checked(line_model, command[2]))
        elif code == 1 and len(command) == 3:
            _line_ids(env, order["id"], [command[1]])
            write_lines(env, [command[1]], command[2], recompute_orders=False)
        elif code == 2 and len(command) >= 2:
            _line_ids(env, order["id"], [command[1]])
            _delete_line(env, order, command[1])
        else:
            raise not_implemented(f"the order_line command {command!r}")


def _line_ids(env: Env, order_id: int, ids: Sequence[int]) -> None:
    found = env.rows(
        sql.SQL("SELECT id FROM sale_order_line WHERE order_id = %s AND id = ANY(%s)"),
        [order_id, list(ids)],
    )
    if len(found) != len(set(ids)):
        raise orm.missing_error(env, env.model(LINE), list(ids))


def _delete_line(env: Env, order: Mapping[str, Any], line_id: int) -> None:
    if order["state"] == "sale":
        raise UserError(
            "Once a sales order is confirmed, you can't remove one of its lines (we need to"
            " track if something gets invoiced or delivered).\nSet the quantity to 0 instead."
        )
    env.rows(sql.SQL("DELETE FROM sale_order_line WHERE id = %s"), [line_id])


def _next_sequence(env: Env, order_id: int) -> int:
    # Odoo's default line sequence is 10; the form numbers lines 10, 20...: so do we.
    found = env.rows(
        sql.SQL("SELECT max(sequence) AS top FROM sale_order_line WHERE order_id = %s"),
        [order_id],
    )
    top = found[0]["top"] if found else None
    return 10 if top is None else int(top) + 10


def _create_line(env: Env, order: Mapping[str, Any], data: dict[str, Any]) -> int:
    model = env.model(LINE)
    data.pop("order_id", None)
    display_type = data.get("display_type")
    uom_field = _uom_field(env)
    common = {
        "order_id": order["id"],
        "sequence": _next_sequence(env, order["id"]),
        "company_id": order["company_id"],
        "currency_id": order["currency_id"],
        "order_partner_id": order["partner_id"],
        "salesman_id": order["user_id"],
        "state": "draft" if order["state"] in CONFIRMABLE else order["state"],
        "is_downpayment": False,
        "is_expense": False,
        "qty_delivered": 0.0,
        "qty_invoiced": 0.0,
        "qty_to_invoice": 0.0,
        "invoice_status": "no",
    }
    if display_type:
        row = {
            **common,
            "name": "",
            "product_uom_qty": 0.0,
            "price_unit": 0.0,
            "customer_lead": 0.0,
            **data,
        }
        return orm.insert(env, model, row)
    if not data.get("product_id"):
        raise ValidationError(f"The operation cannot be completed: {NO_PRODUCT}")
    product = _products(env, [data["product_id"]])[data["product_id"]]
    quantity = float(data.get("product_uom_qty", 1.0) or 0.0)
    if "price_unit" in data:
        price = float(data["price_unit"] or 0.0)
    else:
        price = default_price(env, order, product, quantity)
    data["price_unit"] = float_round_half_up(price, PRICE_PRECISION)
    discount = float(data.get("discount") or 0.0)
    rounding = _rounding(env, order["currency_id"])
    amounts = line_amounts(quantity, data["price_unit"], discount, rounding)
    row = {
        **common,
        "name": description(product),
        "product_uom_qty": quantity,
        uom_field: product["uom_id"],
        "discount": discount,
        "customer_lead": float(product["sale_delay"] or 0),
        "qty_delivered_method": "stock_move" if delivered_by_moves(product["type"]) else "manual",
        **data,
        "price_subtotal": amounts.price_subtotal,
        "price_tax": amounts.price_tax,
        "price_total": amounts.price_total,
        "price_reduce": amounts.price_reduce_taxexcl,  # Odoo 16
        "price_reduce_taxexcl": amounts.price_reduce_taxexcl,
        "price_reduce_taxinc": amounts.price_reduce_taxinc,
    }
    return orm.insert(env, model, row)


def default_price(
    env: Env, order: Mapping[str, Any], product: Mapping[str, Any], quantity: float
) -> float:
    """The pricelist's price of ``product`` for ``quantity`` at the order date, as Odoo's
    ``_compute_price_unit`` sets it; the list price without a pricelist."""
    pricelist_id = order.get("pricelist_id")
    list_price = float(product["list_price"] or 0.0)
    if not pricelist_id:
        return list_price
    books = _pricelists(env, pricelist_id)
    parents = {
        r["id"]: r["parent_id"]
        for r in env.rows(sql.SQL("SELECT id, parent_id FROM product_category"))
    }
    costs = product.get("standard_price") or {}
    company = str(order.get("company_id"))
    cost = costs.get(company, 0.0) if isinstance(costs, dict) else 0.0
    variant = Variant(
        id=product["id"],
        template_id=product["product_tmpl_id"],
        categ_id=product["categ_id"],
        list_price=list_price,
        standard_price=float(cost or 0.0),
    )
    price, _rule = product_price(
        Catalog(books, parents), pricelist_id, variant, quantity, microseconds(order["date_order"])
    )
    return price


def _pricelists(env: Env, pricelist_id: int) -> dict[int, Pricelist]:
    """The pricelist and those its rules are based on, with their rules."""
    books: dict[int, Pricelist] = {}
    pending = [pricelist_id]
    while pending:
        wanted = [p for p in set(pending) if p not in books]
        pending = []
        if not wanted:
            break
        heads = env.rows(
            sql.SQL("SELECT id, currency_id FROM product_pricelist WHERE id = ANY(%s)"), [wanted]
        )
        items = env.rows(
            sql.SQL("SELECT * FROM product_pricelist_item WHERE pricelist_id = ANY(%s)"), [wanted]
        )
        rules: dict[int, list[Rule]] = {}
        for item in items:
            if item.get("active") is False:  # Odoo 16 keeps the pricelist's flag on its items
                continue
            rule = _rule(item)
            rules.setdefault(rule.pricelist_id, []).append(rule)
            if rule.base == "pricelist" and rule.base_pricelist_id:
                pending.append(rule.base_pricelist_id)
        for head in heads:
            own = odoo_order(rules.get(head["id"], []))
            books[head["id"]] = Pricelist(head["id"], head["currency_id"], tuple(own))
    return books


def _rule(item: Mapping[str, Any]) -> Rule:
    def number(name: str) -> float:
        value = item.get(name)
        return 0.0 if value is None else float(value)

    def moment(name: str) -> int | None:
        value = item.get(name)
        return None if value is None else microseconds(value)

    return Rule(
        id=item["id"],
        pricelist_id=item["pricelist_id"],
        applied_on=item.get("applied_on") or "3_global",
        categ_id=item.get("categ_id"),
        product_tmpl_id=item.get("product_tmpl_id"),
        product_id=item.get("product_id"),
        min_quantity=number("min_quantity"),
        date_start=moment("date_start"),
        date_end=moment("date_end"),
        compute_price=item.get("compute_price") or "fixed",
        fixed_price=number("fixed_price"),
        percent_price=number("percent_price"),
        base=item.get("base") or "list_price",
        base_pricelist_id=item.get("base_pricelist_id"),
        price_discount=number("price_discount"),
        price_round=number("price_round"),
        price_surcharge=number("price_surcharge"),
        price_min_margin=number("price_min_margin"),
        price_max_margin=number("price_max_margin"),
    )


def recompute(env: Env, order_ids: Iterable[int]) -> None:
    """Order totals from their lines; only orders whose totals changed are written."""
    model = env.model(ORDER)
    for order in _orders(env, sorted(set(order_ids))).values():
        lines = env.rows(
            sql.SQL("SELECT price_subtotal FROM sale_order_line WHERE order_id = %s"),
            [order["id"]],
        )
        totals = order_amounts(
            (float(line["price_subtotal"] or 0) for line in lines),
            _rounding(env, order["currency_id"]),
        )
        changed = {k: v for k, v in totals.items() if float(order[k] or 0) != v}
        if changed:
            orm.update(env, model, [order["id"]], changed)


def write_orders(env: Env, ids: Sequence[int], vals: Any) -> None:
    model = env.model(ORDER)
    data = orm.checked(model, vals)
    commands = data.pop("order_line", None) or []
    orm.existing(env, model, ids)
    if data.get("partner_id"):
        # partner_invoice_id and partner_shipping_id follow the customer (computed fields).
        proposed = partners.addresses(env, data["partner_id"])
        data.setdefault("partner_invoice_id", proposed["invoice"])
        data.setdefault("partner_shipping_id", proposed["delivery"])
    if data:
        orm.update(env, model, ids, data)
    if commands:
        for order in _orders(env, ids).values():
            _apply_commands(env, order, commands)
    if commands or data:
        recompute(env, ids)


def create_line(env: Env, vals: Any) -> int:
    """sale.order.line create on its own: ``order_id`` names the order."""
    model = env.model(LINE)
    data = orm.checked(model, vals)
    order_id = data.get("order_id")
    if not order_id:
        raise _mandatory(model.description, LINE, "Order Reference", "order_id")
    order = _orders(env, [order_id])[order_id]
    line_id = _create_line(env, order, data)
    recompute(env, [order_id])
    return line_id


def write_lines(env: Env, ids: Sequence[int], vals: Any, *, recompute_orders: bool = True) -> None:
    model = env.model(LINE)
    data = orm.checked(model, vals)
    if "order_id" in data:
        raise not_implemented("moving a sale.order.line to another order")
    if data.get("price_unit") is not None:
        data["price_unit"] = float_round_half_up(data["price_unit"], PRICE_PRECISION)
    orm.existing(env, model, ids)
    orm.update(env, model, ids, data)
    rows = env.rows(
        sql.SQL(
            "SELECT id, order_id, currency_id, product_uom_qty, price_unit, discount,"
            " display_type FROM sale_order_line WHERE id = ANY(%s)"
        ),
        [list(ids)],
    )
    for line in rows:
        if line["display_type"]:
            continue
        amounts = line_amounts(
            float(line["product_uom_qty"] or 0),
            float(line["price_unit"] or 0),
            float(line["discount"] or 0),
            _rounding(env, line["currency_id"]),
        )
        orm.update(
            env,
            model,
            [line["id"]],
            {
                "price_subtotal": amounts.price_subtotal,
                "price_tax": amounts.price_tax,
                "price_total": amounts.price_total,
                "price_reduce_taxexcl": amounts.price_reduce_taxexcl,
                "price_reduce_taxinc": amounts.price_reduce_taxinc,
            },
        )
    if recompute_orders:
        recompute(env, {line["order_id"] for line in rows})


def action_confirm(env: Env, ids: Sequence[int]) -> bool:
    orders = _orders(env, ids)
    lines = env.rows(
        sql.SQL(
            "SELECT l.id, l.order_id, l.display_type, l.is_downpayment, l.product_id,"
            " l.product_uom_qty, l.qty_delivered, l.qty_invoiced"
            " FROM sale_order_line l WHERE l.order_id = ANY(%s) ORDER BY l.id"
        ),
        [list(ids)],
    )
    by_order: dict[int, list[dict[str, Any]]] = {}
    for line in lines:
        by_order.setdefault(line["order_id"], []).append(line)
    for order_id in ids:
        error = confirmation_error(orders[order_id]["state"], by_order.get(order_id, []))
        if error:
            raise UserError(error)
    products = _products(env, (line["product_id"] for line in lines if line["product_id"]))
    line_model = env.model(LINE)
    for order_id in ids:
        status, deliveries = "no", False
        for line in by_order.get(order_id, []):
            if line["display_type"]:
                continue
            product = products[line["product_id"]]
            due = to_invoice(
                product["invoice_policy"],
                float(line["product_uom_qty"] or 0),
                float(line["qty_delivered"] or 0),
                float(line["qty_invoiced"] or 0),
            )
            line_status = "to invoice" if due > 0 else "no"
            status = "to invoice" if due > 0 else status
            deliveries = deliveries or delivered_by_moves(product["type"])
            orm.update(
                env,
                line_model,
                [line["id"]],
                {"state": "sale", "qty_to_invoice": due, "invoice_status": line_status},
            )
        orm.update(
            env,
            env.model(ORDER),
            [order_id],
            {
                "state": "sale",
                "date_order": env.now().replace(microsecond=0),
                "invoice_status": status,
                "delivery_status": "pending" if deliveries else None,
            },
        )
    return True
