"""Who may call: the one configured user (a ``res_users`` login of the database), as Odoo
checks credentials.

XML-RPC ``authenticate``/``login`` answer the user's id, or ``False`` for a wrong database,
login or password; every ``execute_kw`` checks database, uid and password again and fails with
AccessDenied. Like Odoo (since 14), XML-RPC accepts an API key in place of the password.
JSON-2 takes the API key alone (``Authorization: bearer <key>``); a wrong one is a 401.
"""

from __future__ import annotations

import hmac
from typing import Any

import psycopg
from pydantic import BaseModel, ConfigDict

from core.settings import Settings
from deploy.odoo_standin.errors import AccessDenied


class Credentials(BaseModel):
    model_config = ConfigDict(frozen=True)

    login: str
    password: str
    api_key: str

    @classmethod
    def from_settings(cls, settings: Settings) -> Credentials:
        return cls(
            login=settings.odoo_standin_login,
            password=settings.odoo_standin_password,
            api_key=settings.odoo_standin_api_key,
        )

    def password_ok(self, secret: Any) -> bool:
        """The password or the API key (XML-RPC takes either)."""
        return self.api_key_ok(secret) or _same(secret, self.password)

    def api_key_ok(self, secret: Any) -> bool:
        return _same(secret, self.api_key)


def _same(given: Any, expected: str) -> bool:
    # Constant time, as any credential comparison should be.
    return isinstance(given, str) and hmac.compare_digest(given.encode(), expected.encode())


def user_id(conn: psycopg.Connection[Any], login: str) -> int | None:
    """The id of the active user ``login``."""
    row = conn.execute(
        "SELECT id FROM res_users WHERE login = %s AND active IS TRUE", [login]
    ).fetchone()
    return None if row is None else int(row[0])


def authenticate(
    conn: psycopg.Connection[Any], credentials: Credentials, login: Any, password: Any
) -> int | None:
    """XML-RPC ``common.authenticate``: the uid, or None for wrong credentials."""
    if login != credentials.login or not credentials.password_ok(password):
        return None
    return user_id(conn, credentials.login)


def check(conn: psycopg.Connection[Any], credentials: Credentials, uid: Any, password: Any) -> int:
    """XML-RPC ``object``: the uid when it is the configured user's and the password fits."""
    if not credentials.password_ok(password) or isinstance(uid, bool) or not isinstance(uid, int):
        raise AccessDenied()
    if user_id(conn, credentials.login) != uid:
        raise AccessDenied()
    return uid


def bearer_uid(
    conn: psycopg.Connection[Any], credentials: Credentials, key: str | None
) -> int | None:
    """JSON-2: the uid of the API key's user, or None."""
    if key is None or not credentials.api_key_ok(key):
        return None
    return user_id(conn, credentials.login)
