"""The model methods the stand-in answers, and how a call reaches them.

Every model has Odoo's ``search``, ``search_count``, ``search_read``, ``read`` and
``name_search``; res.partner, sale.order, sale.order.line and ir.model.data also ``create``
and ``write``; sale.order ``action_confirm``; res.users ``context_get``. Arguments bind as
to Odoo's methods (same names and defaults, Python's TypeError text when they do not fit):
XML-RPC passes them positionally (the record ids first, except for model methods such as
``create`` and ``search``), JSON-2 by name with ``ids`` apart.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from deploy.odoo_standin import orm, partners, sales
from deploy.odoo_standin.errors import (
    AccessError,
    BadArguments,
    CalledWithIds,
    UnknownMethod,
    invalid,
    not_implemented,
)
from deploy.odoo_standin.models import Model
from deploy.odoo_standin.orm import Env


class CallContext(BaseModel):
    """The part of a call's ``context`` the stand-in honours; other keys are ignored."""

    model_config = ConfigDict(extra="ignore")

    lang: str = Field("en_US", pattern=r"^[A-Za-z]{2,3}(_[A-Za-z0-9]+)?(@\w+)?$")
    active_test: bool = True


def _search(
    env: Env, model: Model, ids: list[int], domain: Any, offset: Any = 0, limit: Any = None,
    order: Any = None,
) -> list[int]:  # fmt: skip
    return orm.search(env, model, domain, offset, limit, order)


def _search_count(env: Env, model: Model, ids: list[int], domain: Any, limit: Any = None) -> int:
    return orm.search_count(env, model, domain, limit)


def _search_read(
    env: Env, model: Model, ids: list[int], domain: Any = None, fields: Any = None,
    offset: Any = 0, limit: Any = None, order: Any = None, load: Any = "_classic_read",
) -> list[dict[str, Any]]:  # fmt: skip
    return orm.search_read(env, model, domain, fields, offset, limit, order)


def _read(
    env: Env, model: Model, ids: list[int], fields: Any = None, load: Any = "_classic_read"
) -> list[dict[str, Any]]:
    return orm.read(env, model, ids, fields)


def _name_search(
    env: Env, model: Model, ids: list[int], name: Any = "", domain: Any = None,
    operator: Any = "ilike", limit: Any = 100,
) -> list[list[Any]]:  # fmt: skip
    condition = list(domain or [])
    if name:
        condition.append(("display_name", operator, name))
    found = orm.search(env, model, condition, 0, limit)
    shown = orm.display_names(env, model.name, found)
    return [[record_id, shown.get(record_id, "")] for record_id in found]


CREATE: dict[str, Callable[[Env, Any], int]] = {
    "res.partner": partners.create,
    "sale.order": sales.create_order,
    "sale.order.line": sales.create_line,
}
WRITE: dict[str, Callable[[Env, Sequence[int], Any], None]] = {
    "res.partner": partners.write,
    "sale.order": sales.write_orders,
    "sale.order.line": sales.write_lines,
}


def _create_plain(env: Env, model: Model, vals: Any) -> int:
    return orm.insert(env, model, orm.checked(model, vals))


def _write_plain(env: Env, model: Model, ids: Sequence[int], vals: Any) -> None:
    orm.update(env, model, orm.existing(env, model, ids), orm.checked(model, vals))


def _create(env: Env, model: Model, ids: list[int], vals_list: Any) -> list[int]:
    if not model.writable:
        raise not_implemented(f"{model.name}.create")
    batch = [vals_list] if isinstance(vals_list, Mapping) else vals_list
    if not isinstance(batch, list | tuple):
        raise invalid(f"Invalid vals_list {vals_list!r}: a dictionary or a list of them")
    create = CREATE.get(model.name)
    return [create(env, vals) if create else _create_plain(env, model, vals) for vals in batch]


def _write(env: Env, model: Model, ids: list[int], vals: Any) -> bool:
    if not model.writable:
        raise not_implemented(f"{model.name}.write")
    write = WRITE.get(model.name)
    if write:
        write(env, ids, vals)
    else:
        _write_plain(env, model, ids, vals)
    return True


def _action_confirm(env: Env, model: Model, ids: list[int]) -> bool:
    return sales.action_confirm(env, ids)


def _context_get(env: Env, model: Model, ids: list[int]) -> dict[str, Any]:
    user = orm.read(env, env.model("res.users"), [env.uid], ["partner_id"])[0]
    tz = orm.read(env, env.model("res.partner"), [user["partner_id"][0]], ["tz"])[0]["tz"]
    return {"lang": env.lang, "tz": tz, "uid": env.uid}


@dataclass(frozen=True, slots=True)
class Method:
    run: Callable[..., Any]  # (env, model, ids, *arguments)
    model_level: bool  # Odoo's @api.model: called without records
    only: frozenset[str] | None = None  # the models that have it; None: every model


METHODS: dict[str, Method] = {
    "search": Method(_search, True),
    "search_count": Method(_search_count, True),
    "search_read": Method(_search_read, True),
    "name_search": Method(_name_search, True),
    "read": Method(_read, False),
    "create": Method(_create, True),
    "write": Method(_write, False),
    "action_confirm": Method(_action_confirm, False, frozenset({"sale.order"})),
    "context_get": Method(_context_get, True, frozenset({"res.users"})),
}


def available(model: Model) -> tuple[str, ...]:
    return tuple(n for n, m in METHODS.items() if m.only is None or model.name in m.only)


def resolve(env: Env, model_name: str, method_name: str) -> tuple[Model, Method]:
    """The model and method a call names: UnknownModel, Odoo's AccessError for a private
    method, UnknownMethod for one the stand-in does not have."""
    model = env.model(model_name)
    if method_name.startswith("_"):
        raise AccessError(
            f"Private methods (such as '{model_name}.{method_name}') cannot be called remotely."
        )
    method = METHODS.get(method_name)
    if method is None or (method.only is not None and model_name not in method.only):
        raise UnknownMethod(model_name, method_name, available(model))
    return model, method


def _invoke(
    env: Env, model: Model, method: Method, ids: list[int], args: Sequence[Any], kwargs: Any
) -> Any:
    if not isinstance(kwargs, Mapping) or not all(isinstance(k, str) for k in kwargs):
        raise BadArguments("keyword arguments must be an object of named values")
    try:
        bound = inspect.signature(method.run).bind(env, model, ids, *args, **kwargs)
    except TypeError as exc:
        raise BadArguments(str(exc)) from None
    return method.run(*bound.args, **bound.kwargs)


def call_positional(
    env: Env, model_name: str, method_name: str, args: Sequence[Any], kwargs: Any
) -> Any:
    """XML-RPC's ``execute_kw``: a record method takes the ids as its first argument;
    ``create`` given one dictionary answers one id (Odoo's ``call_kw``)."""
    model, method = resolve(env, model_name, method_name)
    ids: list[int] = []
    if not method.model_level:
        if not args:
            raise BadArguments(f"{method_name}() needs the record ids as first argument")
        ids, args = orm.record_ids(args[0]), args[1:]
    result = _invoke(env, model, method, ids, args, kwargs)
    if method_name == "create":
        given = args[0] if args else (kwargs or {}).get("vals_list")
        if isinstance(given, Mapping):
            return result[0]
    return result


def call_named(
    env: Env, model_name: str, method_name: str, ids: Any, kwargs: Mapping[str, Any]
) -> Any:
    """JSON-2: named arguments only; a model method refuses ids (Odoo's 422)."""
    model, method = resolve(env, model_name, method_name)
    if method.model_level and ids:
        raise CalledWithIds(f"cannot call {model_name}.{method_name} with ids")
    record_ids = [] if method.model_level else orm.record_ids(ids or [])
    return _invoke(env, model, method, record_ids, (), kwargs)
