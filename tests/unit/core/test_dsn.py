"""Connection strings: parsed in both libpq forms, never shown with their password."""

from __future__ import annotations

import pytest

from core.dsn import DsnError, parse, redact, redact_text
from core.settings import Settings

SECRET = "s3cret-Marker-7"


@pytest.mark.parametrize(
    ("dsn", "shown"),
    [
        (
            f"postgresql://odoo:{SECRET}@db.example:5433/erp",
            "postgresql://odoo:***@db.example:5433/erp",
        ),
        (
            f"host=db port=5433 dbname=erp user=odoo password={SECRET}",
            "postgresql://odoo:***@db:5433/erp",
        ),
        (
            f"host=db dbname=erp user=odoo password='{SECRET} x'",
            "postgresql://odoo:***@db:5432/erp",
        ),
        ("postgresql://odoo@db/erp", "postgresql://odoo@db:5432/erp"),
    ],
)
def test_both_forms_parse_and_redact(dsn: str, shown: str) -> None:
    parsed = parse(dsn)
    assert parsed.redacted == shown
    assert SECRET not in redact(dsn) and SECRET not in repr(parsed)
    assert (SECRET in parsed.password) == (SECRET in dsn)


@pytest.mark.parametrize(
    ("dsn", "says"),
    [
        (f"host=db dbname=erp sslmod=require password={SECRET}", "invalid connection option"),
        (f"postgresql://odoo:{SECRET}@db:port/erp", "port 'port' is not a number"),
        (f"postgresql://odoo:{SECRET}@db", "names no database"),
        ("dbname=erp", "names no host"),
    ],
)
def test_a_malformed_string_is_one_line_without_the_password(dsn: str, says: str) -> None:
    with pytest.raises(DsnError) as raised:
        parse(dsn)
    message = str(raised.value)
    assert says in message
    assert SECRET not in message and "\n" not in message


def test_text_with_connection_strings_is_masked_and_other_urls_kept() -> None:
    text = (
        f"could not connect: postgresql://odoo:{SECRET}@db:5432/erp "
        f"(conninfo host=db password={SECRET}) api http://127.0.0.1:58000/ready"
    )
    masked = redact_text(text)
    assert SECRET not in masked
    assert "postgresql://odoo:***@db:5432/erp" in masked
    assert "password=***" in masked
    assert "http://127.0.0.1:58000/ready" in masked


def test_settings_give_the_odoo_connection_and_whether_it_is_the_users() -> None:
    own = Settings(ATRAXION_ODOO_DSN=f"postgresql://odoo:{SECRET}@db:5433/erp")
    assert own.odoo_is_external and own.odoo.password == SECRET and own.odoo.port == 5433
    demo = Settings()
    assert not demo.odoo_is_external
    assert demo.odoo.dbname == demo.odoo_db and demo.odoo.port == demo.pg_port
