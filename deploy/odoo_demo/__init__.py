"""A PostgreSQL database shaped like Odoo 16, 17, 18 or 19, with deterministic demo data, for
local CDC runs.

No Odoo server runs here: `seed()` creates the tables Atraxion captures (and the few they point
at, and the technical ones that tell the version and hold company-dependent values) with the
chosen Odoo version's column names and types, and bulk-loads a tyre and wheel wholesaler's
data. What differs per version is declared in schema.sql and versions.py.
"""

from deploy.odoo_demo.seed import (
    DEFAULT_AS_OF,
    DEFAULT_SEED,
    TABLES,
    Progress,
    ReplicaIdentity,
    SeedSummary,
    ensure_database,
    odoo_version,
    replica_identity,
    reset_schema,
    seed,
    set_replica_identity,
)
from deploy.odoo_demo.versions import DEFAULT_ODOO_VERSION, ODOO_VERSIONS

__all__ = [
    "DEFAULT_AS_OF",
    "DEFAULT_ODOO_VERSION",
    "DEFAULT_SEED",
    "ODOO_VERSIONS",
    "TABLES",
    "Progress",
    "ReplicaIdentity",
    "SeedSummary",
    "ensure_database",
    "odoo_version",
    "replica_identity",
    "reset_schema",
    "seed",
    "set_replica_identity",
]
