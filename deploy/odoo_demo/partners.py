"""res_partner: base partners, suppliers and customer companies with their contacts and
addresses, holdings whose subsidiaries have their own (a tree of several levels), and private
customers."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from itertools import accumulate

from deploy.odoo_demo import vocabulary as vocab
from deploy.odoo_demo.base import COUNTRY_ID, USERS
from deploy.odoo_demo.rows import (
    COMPANY,
    COMPANY_PARTNER,
    Context,
    Record,
    audit,
    past,
    setup_audit,
    weighted,
)

COUNTRY_CUM_WEIGHTS = tuple(accumulate(country[4] for country in vocab.COUNTRIES))
HOLDING_SHARE = 0.04  # of the customer draws: a holding with subsidiaries
BARCODE_SHARE = 0.3  # of the companies: a GLN as barcode
ADDRESS_LABELS = {
    "invoice": "Invoice Address",
    "delivery": "Delivery Address",
    "other": "Other Address",
}


def _vat(rng: random.Random, country: str) -> str:
    if country == "BE":
        base = rng.randrange(2_000_000, 19_999_999)
        return f"BE{base:08d}{97 - base % 97:02d}"  # the Belgian mod-97 check digits
    if country == "NL":
        return f"NL{rng.randrange(10**8, 10**9)}B01"
    if country == "FR":
        return f"FR{rng.randrange(10, 99)}{rng.randrange(10**8, 10**9)}"
    if country == "DE":
        return f"DE{rng.randrange(10**8, 10**9)}"
    return f"LU{rng.randrange(10**7, 10**8)}"


def _phone(rng: random.Random, prefix: str, mobile: bool = False) -> str:
    if mobile:
        parts = [f"4{rng.randint(70, 99)}", *(str(rng.randint(10, 99)) for _ in range(3))]
    else:
        parts = [str(rng.randint(2, 9)), str(rng.randint(100, 999))]
        parts += [str(rng.randint(10, 99)) for _ in range(2)]
    return " ".join((prefix, *parts))


def _slug(text: str) -> str:
    kept = "".join(ch.lower() if ch.isalnum() else "-" for ch in text)
    return "-".join(part for part in kept.split("-") if part)[:40]


def _public(record: Record) -> Record:
    """Drop the planning-only keys (leading underscore)."""
    return {key: value for key, value in record.items() if not key.startswith("_")}


class PartnerPlan:
    """All res_partner rows plus the roles other tables need (suppliers, customers, their
    invoice and delivery addresses).

    A few contacts get a lower id than their company, as when a contact is created first and
    attached later: CDC then delivers the child before its parent. The first customer, and a
    share of the others, is a holding: its subsidiaries are companies (each its own
    commercial entity) with their contacts and addresses, and a contact may have an address
    of its own, four levels deep. Some companies carry a barcode (their GLN; company-dependent
    jsonb from Odoo 18).
    """

    def __init__(self, ctx: Context) -> None:
        self.rng = rng = ctx.rng("res_partner")
        self.as_of = ctx.as_of
        total = max(24, ctx.scale // 10)
        self.records: list[Record] = list(self._base_partners())
        self.suppliers: list[int] = []
        self.customers: list[int] = []
        self.invoice_address: dict[int, int] = {}
        self.delivery_address: dict[int, int] = {}
        for _ in range(max(4, total // 25)):
            self.suppliers.append(self._add_company_group(supplier=True))
        # At every scale, at least one tree of several levels.
        self.customers.extend(self._add_holding())
        while len(self.records) < total:
            draw = rng.random()
            if draw < HOLDING_SHARE:
                self.customers.extend(self._add_holding())
            elif draw < 0.62:
                self.customers.append(self._add_company_group(supplier=False))
            else:
                self.customers.append(self._add_person())

    def _base_partners(self) -> Iterator[Record]:
        yield {
            "id": COMPANY_PARTNER,
            "name": "Atraxion Demo NV",
            "complete_name": "Atraxion Demo NV",
            "company_id": COMPANY,
            "type": "contact",
            "street": "Nijverheidslaan 1",
            "zip": "9160",
            "city": "Lokeren",
            "country_id": COUNTRY_ID["BE"],
            "email": "info@atraxion-demo.example",
            "phone": "+32 9 123 45 67",
            "vat": "BE0123456749",
            "is_company": True,
            "lang": "nl_BE",
            "tz": "Europe/Brussels",
            "commercial_partner_id": COMPANY_PARTNER,
            "active": True,
            "partner_share": False,
            "employee": False,
            "customer_rank": 0,
            "supplier_rank": 0,
            "color": 0,
            **setup_audit(self.as_of),
        }
        for _uid, login, partner, name, active in USERS:
            email = None if login == "__system__" else f"{login}@atraxion-demo.example"
            yield {
                "id": partner,
                "name": name,
                "complete_name": name,
                "company_id": COMPANY,
                "type": "contact",
                "email": email,
                "email_normalized": email,
                "is_company": False,
                "lang": "en_US",
                "tz": "Europe/Brussels",
                "commercial_partner_id": partner,
                "active": active,
                "partner_share": False,
                "employee": False,
                "customer_rank": 0,
                "supplier_rank": 0,
                "color": 0,
                **setup_audit(self.as_of),
            }

    def _next_id(self) -> int:
        return len(self.records) + 1

    def _address(self) -> Record:
        rng = self.rng
        country, _name, lang, prefix, _weight = weighted(rng, vocab.COUNTRIES, COUNTRY_CUM_WEIGHTS)
        zip_code, city = rng.choice(vocab.CITIES[country])
        if country == "BE" and city in vocab.FRENCH_SPEAKING_CITIES:
            lang = "fr_BE"
        return {
            "street": f"{rng.choice(vocab.STREETS)} {rng.randint(1, 250)}",
            "zip": zip_code,
            "city": city,
            "country_id": COUNTRY_ID[country],
            "lang": lang,
            "tz": "Europe/Brussels" if country in ("BE", "LU") else "Europe/Amsterdam",
            "_country": country,
            "_prefix": prefix,
        }

    def _company_name(self, supplier: bool, address: Record) -> str:
        rng = self.rng
        form = rng.choice(vocab.LEGAL_FORMS[address["_country"]])
        if supplier:
            base = f"{rng.choice(vocab.SUPPLIER_PREFIXES)} {rng.choice(vocab.SUPPLIER_SUFFIXES)}"
        else:
            base = rng.choice(vocab.GARAGE_PATTERNS).format(
                surname=rng.choice(vocab.SURNAMES), city=address["city"]
            )
        return f"{base} {form}"

    def _add_company_group(self, *, supplier: bool) -> int:
        """A company and its contacts; returns the company's id."""
        rng = self.rng
        address = self._address()
        name = self._company_name(supplier, address)
        n_children = rng.choice((1, 1, 2)) if supplier else rng.choice((0, 1, 1, 2, 3))
        kinds = ["contact"] * n_children
        if not supplier and n_children and rng.random() < 0.35:
            kinds[-1] = "invoice"
        if not supplier and n_children > 1 and rng.random() < 0.4:
            kinds[0] = "delivery"
        child_first = bool(kinds) and rng.random() < 0.05
        base = self._next_id()
        company_id = base + 1 if child_first else base
        company = self._company_record(company_id, name, address, supplier)
        children = [self._child_record(company, kind, address) for kind in kinds]
        group = [children.pop(0), company, *children] if child_first else [company, *children]
        for offset, record in enumerate(group):
            record["id"] = base + offset
            if record is not company:
                self._link_child(company, record)
            self.records.append(_public(record))
        return company_id

    def _add_holding(self) -> list[int]:
        """A holding with its contact, maybe a central invoice address, and subsidiaries:
        companies with their own contacts and addresses, a contact maybe with an address of
        its own. Returns the companies' ids (holding first): each orders on its own."""
        rng = self.rng
        address = self._address()
        name = self._company_name(False, address)
        holding = self._company_record(self._next_id(), name, address, supplier=False)
        holding["active"] = True
        self.records.append(_public(holding))
        kinds = ["contact", *(["invoice"] if rng.random() < 0.6 else [])]
        for kind in kinds:
            self._add_child(holding, kind, address)
        companies = [holding["id"]]
        first = len(self.customers) == 0
        for _ in range(2 if first else rng.choice((1, 2, 2, 3))):
            own = self._address()
            form = rng.choice(vocab.LEGAL_FORMS[own["_country"]])
            name = f"{holding['name'].rsplit(' ', 1)[0]} {own['city']} {form}"
            subsidiary = self._company_record(self._next_id(), name, own, supplier=False)
            subsidiary["active"] = True
            self._link_child(holding, subsidiary)
            self.records.append(_public(subsidiary))
            companies.append(subsidiary["id"])
            children = ["contact", *rng.sample(("contact", "invoice", "delivery"), 2)]
            contacts = [self._add_child(subsidiary, kind, own) for kind in children]
            if first or rng.random() < 0.5:
                # A contact's own address: the fourth level.
                contact = next(c for c in contacts if c["type"] == "contact")
                self._add_child(contact, rng.choice(("delivery", "other")), own)
        return companies

    def _add_child(self, parent: Record, kind: str, address: Record) -> Record:
        child = self._child_record(parent, kind, address)
        child["id"] = self._next_id()
        self._link_child(parent, child)
        self.records.append(_public(child))
        return child

    def _company_record(self, pid: int, name: str, address: Record, supplier: bool) -> Record:
        rng = self.rng
        domain = f"{_slug(name.rsplit(' ', 1)[0])}.{address['_country'].lower()}"
        vat = _vat(rng, address["_country"])
        created = past(rng, self.as_of, 3 * 365, 2)
        email = f"info@{domain}"
        barcode = f"54{rng.randrange(10**10, 10**11)}" if rng.random() < BARCODE_SHARE else None
        return {
            "id": pid,
            "name": name,
            "complete_name": name,
            "type": "contact",
            "is_company": True,
            "ref": f"{'S' if supplier else 'C'}{pid:06d}",
            "vat": vat,
            "company_registry": vat[2:] if address["_country"] == "BE" else None,
            "website": f"https://www.{domain}",
            "barcode": barcode,
            "email": email,
            "email_normalized": email,
            "phone": _phone(rng, address["_prefix"]),
            **address,
            "commercial_partner_id": pid,
            "commercial_company_name": name,
            "active": supplier or rng.random() > 0.03,
            "partner_share": True,
            "employee": False,
            "customer_rank": 0 if supplier else rng.choice((0, 1, 2, 5, 12, 30)),
            "supplier_rank": rng.randint(1, 60) if supplier else 0,
            "color": 0,
            **audit(rng, created, self.as_of),
        }

    def _child_record(self, company: Record, kind: str, address: Record) -> Record:
        rng = self.rng
        first, last = rng.choice(vocab.FIRST_NAMES), rng.choice(vocab.SURNAMES)
        name: str | None = f"{first} {last}"
        own = address
        if kind == "delivery":
            own = self._address()
            name = f"Depot {own['city']}" if rng.random() < 0.6 else None
        elif kind in ("invoice", "other") and rng.random() < 0.5:
            name = None
        email = f"{_slug(first)}.{_slug(last)}@{company['email'].split('@')[1]}"
        created = past(rng, self.as_of, 3 * 365, 1)
        function = rng.choice(vocab.CONTACT_FUNCTIONS) if kind == "contact" else None
        phone = _phone(rng, address["_prefix"]) if rng.random() < 0.5 else None
        mobile = _phone(rng, address["_prefix"], mobile=True) if rng.random() < 0.6 else None
        return {
            "name": name,
            "type": kind,
            "is_company": False,
            "function": function,
            "email": email,
            "email_normalized": email,
            "phone": phone,
            "mobile": mobile,
            **_public(own),
            "active": company["active"] and rng.random() > 0.04,
            "partner_share": True,
            "employee": False,
            "customer_rank": 0,
            "supplier_rank": 0,
            "color": 0,
            **audit(rng, created, self.as_of),
        }

    def _link_child(self, parent: Record, child: Record) -> None:
        """``child`` under ``parent`` as Odoo keeps it: a company stays its own commercial
        entity and keeps its name; anyone else takes the parent's commercial entity and is
        shown as "<commercial company>, <name or address kind>"."""
        child["parent_id"] = parent["id"]
        if child["is_company"]:
            return
        label = child["name"] or ADDRESS_LABELS[child["type"]]
        company_name = parent["commercial_company_name"]
        child.update(
            commercial_partner_id=parent["commercial_partner_id"],
            commercial_company_name=company_name,
            complete_name=f"{company_name}, {label}",
        )
        if not parent["is_company"]:
            return
        if child["type"] == "invoice":
            self.invoice_address[parent["id"]] = child["id"]
        elif child["type"] == "delivery":
            self.delivery_address[parent["id"]] = child["id"]

    def _add_person(self) -> int:
        rng = self.rng
        pid = self._next_id()
        address = self._address()
        name = f"{rng.choice(vocab.FIRST_NAMES)} {rng.choice(vocab.SURNAMES)}"
        email = f"{_slug(name)}{rng.randint(1, 999)}@mail.example"
        created = past(rng, self.as_of, 2 * 365)
        mobile = _phone(rng, address["_prefix"], mobile=True)
        self.records.append(
            {
                "id": pid,
                "name": name,
                "complete_name": name,
                "type": "contact",
                "is_company": False,
                "email": email,
                "email_normalized": email,
                "mobile": mobile,
                **_public(address),
                "commercial_partner_id": pid,
                "active": rng.random() > 0.02,
                "partner_share": True,
                "employee": False,
                "customer_rank": rng.randint(1, 4),
                "supplier_rank": 0,
                "color": 0,
                **audit(rng, created, self.as_of),
            }
        )
        return pid


def partner_records(
    plan: PartnerPlan, odoo_version: int, pricelist_of: dict[int, int]
) -> list[Record]:
    """res_partner rows as Odoo ``odoo_version`` keeps them: a customer's own pricelist and
    the barcode are company-dependent jsonb from 18 (before: ir_property rows, a varchar);
    19 has one phone number, a mobile one where there was no other."""
    if odoo_version < 18:
        return plan.records
    out = []
    for record in plan.records:
        pricelist = pricelist_of.get(record["id"])
        barcode = record.get("barcode")
        if pricelist is not None or barcode or (odoo_version >= 19 and record.get("mobile")):
            record = dict(record)
            if pricelist is not None:
                record["specific_property_product_pricelist"] = f'{{"{COMPANY}": {pricelist}}}'
            if barcode:
                record["barcode"] = json.dumps({str(COMPANY): barcode})
            if odoo_version >= 19:
                record["phone"] = record.get("phone") or record.pop("mobile")
        out.append(record)
    return out
