"""An Odoo 17 shaped PostgreSQL database with deterministic demo data, for local CDC runs.

No Odoo server runs here: `seed()` creates the tables Atraxion captures (and the few they point
at) with Odoo's own column names and types and bulk-loads a tyre and wheel wholesaler's data.
"""

from deploy.odoo_demo.seed import (
    DEFAULT_AS_OF,
    DEFAULT_SEED,
    TABLES,
    Progress,
    ReplicaIdentity,
    SeedSummary,
    ensure_database,
    replica_identity,
    reset_schema,
    seed,
    set_replica_identity,
)

__all__ = [
    "DEFAULT_AS_OF",
    "DEFAULT_SEED",
    "TABLES",
    "Progress",
    "ReplicaIdentity",
    "SeedSummary",
    "ensure_database",
    "replica_identity",
    "reset_schema",
    "seed",
    "set_replica_identity",
]
