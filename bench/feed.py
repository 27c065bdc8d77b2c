"""What every benchmark waits for before it measures."""

from __future__ import annotations

import time

import psycopg

from deploy.local.stack import Stack


def wait_for_snapshot(stack: Stack, timeout: float = 3600) -> int:
    """Block until every Odoo product template is in the read model; the template count."""
    with psycopg.connect(stack.odoo_dsn) as odoo:
        templates = odoo.execute("SELECT count(*) FROM product_template").fetchone()[0]
    deadline = time.monotonic() + timeout
    with psycopg.connect(stack.readmodel_dsn, autocommit=True) as readmodel:
        while readmodel.execute("SELECT count(*) FROM product_feed").fetchone()[0] < templates:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the snapshot was not in the read model after {timeout}s")
            stack.check_alive()  # a dead processor would otherwise look like a slow snapshot
            time.sleep(0.1)
    return templates
