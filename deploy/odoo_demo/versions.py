"""The Odoo versions the demo database takes the shape of (16, 17, 18 and 19), and what differs.

Which tables and columns a version has is written once, in schema.sql: a line whose comment
starts with ``[16-17]``, ``[18+]`` or ``[19]`` exists only in those versions (on a CREATE TABLE
line: the whole table). ``schema_sql`` renders the file for one version, ``schema_columns``
lists what its tables hold; the generated rows are fitted to that (generate.py), with the
renames and constant columns below. Values that differ (product types, costs kept in
ir_property before 18, order states, units of measure) are the generators' business.

Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from types import MappingProxyType

from deploy.odoo_demo.rows import UNIT

ODOO_VERSIONS: tuple[int, ...] = (16, 17, 18, 19)
DEFAULT_ODOO_VERSION = 18

_SCHEMA = resources.files("deploy.odoo_demo").joinpath("schema.sql").read_text(encoding="utf-8")
POST_LOAD_MARKER = "\n-- post-load: foreign keys and indexes\n"
_MARK = re.compile(r"--\s*\[(\d+)(?:(\+)|-(\d+))?\]\s*")
_TABLE = re.compile(r"^CREATE TABLE IF NOT EXISTS (\w+) \((.*?)^\);", re.MULTILINE | re.DOTALL)
_COLUMN = re.compile(r'^    (?!CONSTRAINT\b)"?(\w+)"? ([^\n]*?),?$', re.MULTILINE)

ALL_TABLES: tuple[str, ...] = tuple(
    re.findall(r"^CREATE TABLE IF NOT EXISTS (\w+)", _SCHEMA, flags=re.MULTILINE)
)
"""Every table of any version, referenced tables first (what a reseed drops)."""

_EMPTY: Mapping[str, str] = MappingProxyType({})
# Columns a version renamed: table -> {column as generated: column in that version}.
_RENAMED: dict[int, dict[str, dict[str, str]]] = {
    19: {
        "sale_order_line": {"product_uom": "product_uom_id"},
        "purchase_order_line": {"product_uom": "product_uom_id"},
        "purchase_order": {"notes": "note"},
    },
}
# Columns only some versions have, whose demo value is one constant: the generators leave them
# out and fitting appends them where the version has them (no cost on the big tables elsewhere).
_FILLED: dict[str, dict[str, object]] = {
    "product_pricelist_item": {"active": True},  # 16: the pricelist's
    "product_product": {"is_favorite": False},  # 19
    "product_supplierinfo": {"product_uom_id": UNIT},  # 19: the unit of the vendor's price
}
# The manifest version of the modules the demo installs: ir_module_module.latest_version is
# '<Odoo major>.0.<this>' ('18.0.1.3' for base on Odoo 18).
_MODULE_VERSIONS: dict[str, str | dict[int, str]] = {
    "base": "1.3",
    "web": "1.0",
    "uom": "1.0",
    "product": "1.2",
    "account": {16: "1.2", 17: "1.2", 18: "1.3", 19: "1.4"},
    "stock": "1.1",
    "sale": "1.2",
    "sale_management": "1.0",
    "sale_stock": "1.0",
    "purchase": "1.2",
    "purchase_stock": "1.2",
}


def check_version(version: int) -> int:
    """``version`` if the demo can take its shape, else ValueError."""
    if version not in ODOO_VERSIONS:
        supported = ", ".join(map(str, ODOO_VERSIONS))
        raise ValueError(f"Odoo {version} is not one of the supported versions ({supported})")
    return version


def _applies(mark: re.Match[str], version: int) -> bool:
    low = int(mark[1])
    if mark[2]:
        return version >= low
    if mark[3]:
        return low <= version <= int(mark[3])
    return version == low


@cache
def schema_sql(version: int) -> str:
    """schema.sql as Odoo ``version`` has it: other versions' lines and tables left out, the
    version marks taken out of the comments."""
    check_version(version)
    lines: list[str] = []
    skipping = False
    for line in _SCHEMA.splitlines():
        if skipping:
            skipping = line != ");"
            continue
        mark = _MARK.search(line)
        if mark is None:
            lines.append(line)
            continue
        if not _applies(mark, version):
            skipping = line.startswith("CREATE TABLE")
            continue
        code, note = line[: mark.start()], line[mark.end() :]
        if code.strip():
            code = code.rstrip() + ("  " if note else "")
        lines.append(f"{code}-- {note}" if note else code.rstrip())
    return "\n".join(lines) + "\n"


def split_schema(version: int) -> tuple[str, str]:
    """(tables, foreign keys and indexes) of ``version``: run before and after the bulk load."""
    pre_load, post_load = schema_sql(version).split(POST_LOAD_MARKER)
    return pre_load, post_load


@cache
def schema_columns(version: int) -> dict[str, dict[str, bool]]:
    """table -> column -> NOT NULL, for every table of ``version`` in load order."""
    pre_load, _ = split_schema(version)
    return {
        name: {col: "NOT NULL" in spec or "PRIMARY KEY" in spec for col, spec in columns}
        for name, columns in ((n, _COLUMN.findall(body)) for n, body in _TABLE.findall(pre_load))
    }


def schema_tables(version: int) -> tuple[str, ...]:
    """The tables of ``version``, referenced tables first."""
    return tuple(schema_columns(version))


def renamed(version: int, table: str) -> Mapping[str, str]:
    """The columns of ``table`` ``version`` names differently: generated name -> its name."""
    return _RENAMED.get(version, {}).get(table, _EMPTY)


def filled(table: str) -> Mapping[str, object]:
    """Constant columns of ``table`` that some versions have: name -> value."""
    return _FILLED.get(table, _EMPTY)


def module_version(version: int, module: str) -> str:
    """``ir_module_module.latest_version`` of an installed ``module`` on Odoo ``version``."""
    manifest = _MODULE_VERSIONS[module]
    own = manifest if isinstance(manifest, str) else manifest[version]
    return f"{version}.0.{own}"


def installed_modules() -> tuple[str, ...]:
    return tuple(_MODULE_VERSIONS)


def major_version(latest_version: str | None) -> int | None:
    """The Odoo major version in a module's ``latest_version`` ('18.0.1.3' -> 18,
    'saas~17.4.1.3' -> 17); None when there is none."""
    found = re.match(r"(?:saas~)?(\d+)\.", latest_version or "")
    return int(found[1]) if found else None
