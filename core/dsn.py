"""PostgreSQL connection strings: parsed once, and never shown with their password.

Both libpq forms are accepted: URLs (``postgresql://user:pw@host:5432/db?sslmode=require``) and
keyword strings (``host=h port=5432 dbname=db user=u password=pw``). ``redact`` gives the form a
person may see (``postgresql://user:***@host:5432/db``); ``redact_text`` does the same to any
text that may contain a connection string (log lines, error messages from drivers).
"""

from __future__ import annotations

import getpass
import re
from dataclasses import dataclass, field

from psycopg.conninfo import conninfo_to_dict

# URL credentials: scheme://user:secret@  ->  scheme://user:***@
_URL_SECRET = re.compile(
    r"(?P<head>\b[a-z][a-z0-9+.-]*://[^:/@\s'\"]*:)(?P<secret>[^@\s'\"]+)(?=@)"
)
# Keyword strings: password=secret or password='se cret'
_KEYWORD_SECRET = re.compile(r"(?P<head>\bpassword\s*=\s*)(?P<secret>'(?:[^'\\]|\\.)*'|[^\s'\"]+)")
MASK = "***"


class DsnError(ValueError):
    """A connection string that cannot be used; the message never holds its password."""


@dataclass(frozen=True)
class Dsn:
    """The parts of a PostgreSQL connection string the stack and Debezium need."""

    host: str
    port: int
    dbname: str
    user: str
    password: str = field(default="", repr=False)
    options: dict[str, str] = field(default_factory=dict)  # sslmode etc.

    @property
    def redacted(self) -> str:
        auth = self.user + (f":{MASK}" if self.password else "")
        return f"postgresql://{auth}@{self.host}:{self.port}/{self.dbname}"

    @property
    def where(self) -> str:
        """host:port/dbname, for messages."""
        return f"{self.host}:{self.port}/{self.dbname}"


def parse(dsn: str) -> Dsn:
    """The parts of ``dsn``; ``DsnError`` (one line, no password) when it is malformed or
    lacks a host or database name."""
    try:
        parts = conninfo_to_dict(dsn)
    except Exception as exc:  # psycopg.ProgrammingError: "invalid connection option" etc.
        raise DsnError(
            f"malformed PostgreSQL connection string {redact(dsn)!r}: {_first_line(exc)}"
        ) from None
    host = str(parts.pop("host", "") or "")
    dbname = str(parts.pop("dbname", "") or "")
    if not host:
        raise DsnError(f"connection string {redact(dsn)!r} names no host")
    if not dbname:
        raise DsnError(f"connection string {redact(dsn)!r} names no database")
    raw_port = str(parts.pop("port", "") or "5432")
    try:
        port = int(raw_port)
    except ValueError:
        raise DsnError(
            f"connection string {redact(dsn)!r}: port {raw_port!r} is not a number"
        ) from None
    user = str(parts.pop("user", "") or getpass.getuser())  # libpq's default too
    password = str(parts.pop("password", "") or "")
    return Dsn(host, port, dbname, user, password, {k: str(v) for k, v in parts.items()})


def redact(dsn: str | None) -> str:
    """``dsn`` with its password replaced by ``***`` (either form); '' for None."""
    return redact_text(dsn) if dsn else ""


def redact_text(text: str) -> str:
    """Every connection-string password in ``text`` replaced by ``***``."""
    if "://" not in text and "password" not in text:
        return text  # the common case, without running the expressions
    text = _URL_SECRET.sub(lambda m: m["head"] + MASK, text)
    return _KEYWORD_SECRET.sub(lambda m: m["head"] + MASK, text)


def _first_line(exc: BaseException) -> str:
    return redact_text(str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
