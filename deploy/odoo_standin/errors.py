"""The errors the stand-in answers with, named and numbered as Odoo 17/18 reports them.

Odoo's external API tells errors apart by the Python exception behind them: XML-RPC
(``/xmlrpc/2``) as a fault code (odoo/addons/base/controllers/rpc.py: 2 for a UserError and its
subclasses, 3 AccessDenied, 4 AccessError, 1 anything else, with the traceback as the fault
string), JSON-2 as an HTTP status and the exception's qualified name in the body
(``UserError.http_status``: 422, AccessError/AccessDenied 403, MissingError 404, anything else
500). Each class here carries both. How each protocol renders them: xmlrpc.py, json2.py.
"""

from __future__ import annotations

import traceback
from typing import ClassVar


class OdooError(Exception):
    """An error of Odoo's ORM or server, as its external API reports it."""

    odoo_name: ClassVar[str] = "builtins.Exception"  # the exception's qualified Python name
    http_status: ClassVar[int] = 500
    fault_code: ClassVar[int] = 1

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""

    @property
    def qualified_name(self) -> str:
        return self.odoo_name


class UserError(OdooError):
    odoo_name = "odoo.exceptions.UserError"
    http_status = 422
    fault_code = 2


class ValidationError(UserError):
    odoo_name = "odoo.exceptions.ValidationError"


class MissingError(UserError):
    odoo_name = "odoo.exceptions.MissingError"
    http_status = 404


class AccessError(UserError):
    odoo_name = "odoo.exceptions.AccessError"
    http_status = 403
    fault_code = 4


class AccessDenied(UserError):
    """Wrong database, login, password or API key. Odoo hides its traceback."""

    odoo_name = "odoo.exceptions.AccessDenied"
    http_status = 403
    fault_code = 3

    def __init__(self, message: str = "Access Denied") -> None:
        super().__init__(message)


class ServerError(OdooError):
    """Any other exception inside Odoo (a ValueError of the ORM, a database error): fault
    code 1 carrying the traceback, JSON-2 500. Its name is the instance's."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self._name = name

    @property
    def qualified_name(self) -> str:
        return self._name

    @property
    def short_name(self) -> str:
        """What a traceback's last line shows: builtins without their module."""
        module, _, cls = self.qualified_name.rpartition(".")
        return cls if module == "builtins" else self.qualified_name


def invalid(message: str) -> ServerError:
    """Odoo's ORM raises a plain ValueError for a malformed call (unknown field, bad domain)."""
    return ServerError("builtins.ValueError", message)


def serialization_failure() -> ServerError:
    """What Odoo answers when a transaction still conflicts after its five retries."""
    return ServerError(
        "psycopg2.errors.SerializationFailure",
        "could not serialize access due to concurrent update",
    )


def not_implemented(what: str) -> ServerError:
    """Something real Odoo does that this test double does not."""
    message = f"the Odoo stand-in does not implement {what}"
    return ServerError("builtins.NotImplementedError", message)


# Raised by the method dispatcher; each protocol answers them the way Odoo's does
# (XML-RPC: a UserError or a traceback fault; JSON-2: 404 or 422).
class UnknownModel(Exception):
    def __init__(self, model: str) -> None:
        super().__init__(model)
        self.model = model


class UnknownMethod(Exception):
    def __init__(self, model: str, method: str, known: tuple[str, ...]) -> None:
        super().__init__(f"The method '{model}.{method}' does not exist")
        self.model, self.method, self.known = model, method, known


class BadArguments(Exception):
    """The call's arguments do not fit the method (Python's TypeError text)."""


class CalledWithIds(Exception):
    """A model method (create, search...) called on records."""


def traceback_text(error: OdooError, cause: BaseException | None = None) -> str:
    """A traceback as Odoo puts it in a fault string or JSON-2's ``debug``: the frames (of
    the stand-in, here) and a last line naming Odoo's exception."""
    source = cause if cause is not None else error
    frames = "".join(traceback.format_tb(source.__traceback__)) if source.__traceback__ else ""
    name = error.short_name if isinstance(error, ServerError) else error.qualified_name
    return f"Traceback (most recent call last):\n{frames}{name}: {error.message}\n"


def unexpected(exc: BaseException) -> ServerError:
    """Any other exception, by its own name (a bug of the stand-in, or of the call)."""
    cls = type(exc)
    return ServerError(f"{cls.__module__}.{cls.__qualname__}", str(exc))
