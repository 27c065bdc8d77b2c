"""Fixed base records: currencies, countries, the company, users, units of measure,
product categories and stock locations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from deploy.odoo_demo import vocabulary as vocab
from deploy.odoo_demo.rows import (
    ADMIN,
    BUYER,
    COMPANY,
    COMPANY_PARTNER,
    DOZEN,
    EUR,
    GBP,
    KG,
    ROOT_USER,
    SALES_USERS,
    SET_OF_4,
    UNIT,
    USD,
    Record,
    jsonb,
    setup_audit,
)

COUNTRY_ID = {country[0]: i for i, country in enumerate(vocab.COUNTRIES, start=1)}

USERS = (
    # (id, login, partner id, name, active)
    (ROOT_USER, "__system__", 2, "OdooBot", False),
    (ADMIN, "admin", 3, "Administrator", True),
    (SALES_USERS[0], "anke.peeters", 4, "Anke Peeters", True),
    (SALES_USERS[1], "pieter.claes", 5, "Pieter Claes", True),
    (BUYER, "lotte.maes", 6, "Lotte Maes", True),
)

CATEGORIES = (
    # (id, name, parent id)
    (1, "All", None),
    (2, "Saleable", 1),
    (3, "Tyres", 1),
    (4, "Summer", 3),
    (5, "Winter", 3),
    (6, "All Season", 3),
    (7, "Wheels", 1),
    (8, "Alloy", 7),
    (9, "Steel", 7),
    (10, "Accessories", 1),
    (11, "TPMS", 10),
    (12, "Snow Chains", 10),
    (13, "Bolts & Nuts", 10),
    (14, "Services", 1),
)
CATEG_BY_KEY = {
    # Parent categories: a rule on one of these applies to its children too.
    "tyres": 3,
    "wheels": 7,
    "accessories": 10,
    # Leaf categories, where the products are.
    "summer": 4,
    "winter": 5,
    "all_season": 6,
    "alloy": 8,
    "steel": 9,
    "tpms": 11,
    "chains": 12,
    "bolts": 13,
    "service": 14,
}

LOCATIONS = (
    # (id, name, usage, parent id)
    (1, "Physical Locations", "view", None),
    (2, "Partners", "view", None),
    (3, "Virtual Locations", "view", None),
    (4, "Vendors", "supplier", 2),
    (5, "Customers", "customer", 2),
    (6, "Inventory adjustment", "inventory", 3),
    (7, "Scrap", "inventory", 3),
    (8, "WH", "view", 1),
    (9, "Stock", "internal", 8),
    (10, "Shelf 1", "internal", 9),
    (11, "Shelf 2", "internal", 9),
    (12, "GNT", "view", 1),
    (13, "Stock", "internal", 12),
    (14, "Consignment", "internal", 8),
)
VENDORS, CUSTOMERS = 4, 5
STOCK = 9
SHARED_LOCATIONS = 5  # ids up to here belong to no company, as in Odoo
# Counterpart of counted stock: Odoo books -qty here when an inventory count adds qty.
INVENTORY_ADJUSTMENT = 6
SCRAP = 7
CONSIGNMENT = 14


def currencies(as_of: datetime) -> list[Record]:
    rows = (
        (EUR, "EUR", "Euro", "€", True, "after", 978),
        (USD, "USD", "United States dollar", "$", False, "before", 840),
        (GBP, "GBP", "Pound sterling", "£", False, "before", 826),
    )
    return [
        {
            "id": cid,
            "name": code,
            "full_name": name,
            "symbol": symbol,
            "rounding": 0.01,
            "decimal_places": 2,
            "active": active,
            "position": position,
            "iso_numeric": numeric,  # Odoo 18+
            **setup_audit(as_of),
        }
        for cid, code, name, symbol, active, position, numeric in rows
    ]


def countries(as_of: datetime) -> list[Record]:
    return [
        {
            "id": COUNTRY_ID[code],
            "name": jsonb(name),
            "code": code,
            "phone_code": int(prefix[1:]),
            "currency_id": EUR,
            **setup_audit(as_of),
        }
        for code, name, _lang, prefix, _weight in vocab.COUNTRIES
    ]


def companies(as_of: datetime) -> list[Record]:
    return [
        {
            "id": COMPANY,
            "name": "Atraxion Demo NV",
            "partner_id": COMPANY_PARTNER,
            "currency_id": EUR,
            "sequence": 10,
            "active": True,
            "email": "info@atraxion-demo.example",
            "phone": "+32 9 123 45 67",
            **setup_audit(as_of),
        }
    ]


def users(as_of: datetime) -> list[Record]:
    return [
        {
            "id": uid,
            "active": active,
            "login": login,
            "company_id": COMPANY,
            "partner_id": partner,
            "share": False,
            **setup_audit(as_of),
        }
        for uid, login, partner, _name, active in USERS
    ]


def uom_categories(as_of: datetime) -> list[Record]:
    return [
        {"id": 1, "name": jsonb("Unit"), **setup_audit(as_of)},
        {"id": 2, "name": jsonb("Weight"), **setup_audit(as_of)},
    ]


def uoms(as_of: datetime, odoo_version: int) -> list[Record]:
    rows = (
        (UNIT, "Units", 1, 1.0, "reference"),
        (DOZEN, "Dozens", 1, 1 / 12, "bigger"),
        (KG, "kg", 2, 1.0, "reference"),
        (SET_OF_4, "Set of 4", 1, 0.25, "bigger"),
    )
    if odoo_version >= 19:
        # No categories: a unit is a multiple of another one, factor counts reference units.
        return [
            {
                "id": uid,
                "name": jsonb(name),
                "relative_factor": round(1 / factor, 6),
                "relative_uom_id": None if kind == "reference" else UNIT,
                "factor": round(1 / factor, 6),
                "sequence": 10 * uid,
                "parent_path": f"{uid}/" if kind == "reference" else f"{UNIT}/{uid}/",
                "active": True,
                **setup_audit(as_of),
            }
            for uid, name, _category, factor, kind in rows
        ]
    return [
        {
            "id": uid,
            "name": jsonb(name),
            "category_id": category,
            "factor": factor,
            "rounding": 0.01,
            "active": True,
            "uom_type": kind,
            **setup_audit(as_of),
        }
        for uid, name, category, factor, kind in rows
    ]


def _tree_paths(
    nodes: Sequence[tuple[int, str, int | None]], separator: str
) -> dict[int, tuple[str, str]]:
    """id -> (complete name, parent_path) for (id, name, parent id) nodes, parents first."""
    out: dict[int, tuple[str, str]] = {}
    for node_id, name, parent in nodes:
        if parent is None:
            out[node_id] = (name, f"{node_id}/")
        else:
            parent_name, parent_path = out[parent]
            out[node_id] = (f"{parent_name}{separator}{name}", f"{parent_path}{node_id}/")
    return out


def categories(as_of: datetime) -> list[Record]:
    paths = _tree_paths(CATEGORIES, " / ")
    return [
        {
            "id": cid,
            "name": name,
            "complete_name": paths[cid][0],
            "parent_id": parent,
            "parent_path": paths[cid][1],
            **setup_audit(as_of),
        }
        for cid, name, parent in CATEGORIES
    ]


def locations(as_of: datetime) -> list[Record]:
    paths = _tree_paths([(lid, name, parent) for lid, name, _usage, parent in LOCATIONS], "/")
    return [
        {
            "id": lid,
            "name": name,
            "complete_name": paths[lid][0],
            "active": True,
            "usage": usage,
            "location_id": parent,
            "posx": 0,
            "posy": 0,
            "posz": 0,
            "parent_path": paths[lid][1],
            "company_id": None if lid <= SHARED_LOCATIONS else COMPANY,
            "scrap_location": lid == SCRAP,
            "return_location": False,
            "replenish_location": lid == STOCK,
            "cyclic_inventory_frequency": 0,
            **setup_audit(as_of),
        }
        for lid, name, usage, parent in LOCATIONS
    ]
