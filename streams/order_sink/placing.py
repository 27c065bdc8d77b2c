"""How a webshop order becomes an Odoo sale order: a few steps, each safe to repeat.

1. ``find order``: ``sale.order`` with ``client_order_ref`` = the reference. Found: skip to
   the confirmation. This is what makes the whole idempotent: a crash after Odoo committed
   and before the offset commit, a redelivery, a re-drive: each finds the order made before.
2. ``find customer`` / ``create customer``: the partner (given by id; else matched by
   ``ref`` = external id, else by email; else created), then likewise each address given
   (``find invoice address`` ...): a child partner of type ``invoice`` / ``delivery`` with
   the same address.
3. ``create order``: ``create`` with ``order_line`` commands ``(0, 0, {...})``.
4. ``read order``: its name and state.
5. ``confirm`` (when asked, while it is a quotation): ``action_confirm``.

A step is repeated after a transient failure (``run``, attempts.py). Where an earlier attempt
may have done its work although it failed (its answer was lost: ``uncertain``), the repeat
looks first: ``create order`` searches the reference again, ``create customer`` searches
the customer again, ``confirm`` reads the state. Where the failure says nothing was done
(Odoo answered with an error, the connection was refused), it acts at once: one call per
attempt, which is what gets an order through a flaky Odoo. The values sent are built by pure
functions (``partner_values``, ``address_domain``, ``order_values``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from schemas.webshop_orders import OrderAddress, OrderCustomer, WebshopOrder
from streams.odoo.client import Domain, OdooApi

T = TypeVar("T")
PARTNER_STEPS = ("customer", "invoice address", "delivery address")
# Every step one order may take, in order (the watchdog's patience, __main__.py).
STEPS = (
    "find order",
    *(f"{verb} {what}" for what in PARTNER_STEPS for verb in ("find", "create")),
    "create order",
    "read order",
    "confirm",
)
QUOTATION_STATES = ("draft", "sent")
CONFIRMED_STATES = ("sale", "done")
ORDER_FIELDS = ["id", "name", "state"]


class StepRunner(Protocol):
    """Runs ``work(uncertain)`` with retries (attempts.StepRetrier)."""

    async def __call__(self, step: str, work: Callable[[bool], Awaitable[T]]) -> T: ...


class CustomerLock(Protocol):
    """Serializes the customer step of orders for one customer (two new orders of one new
    customer must not both create the partner)."""

    def __call__(self, identity: str) -> Any: ...


@dataclass(frozen=True)
class Placed:
    odoo_id: int
    name: str
    state: str

    @property
    def confirmed(self) -> bool:
        return self.state in CONFIRMED_STATES


@dataclass(frozen=True)
class Partners:
    customer: int
    invoice: int
    delivery: int


# -- values (pure) ---------------------------------------------------------------------------


def _set(value: Any) -> Any:
    """Odoo writes False for "empty"; XML-RPC cannot carry None."""
    return False if value is None else value


def customer_identity(customer: OrderCustomer) -> str:
    """What identifies a customer to be matched or created (the customer lock's key)."""
    if customer.odooId is not None:
        return f"id:{customer.odooId}"
    if customer.externalId:
        return f"ref:{customer.externalId}"
    return f"email:{(customer.email or '').strip().lower()}"


def customer_searches(customer: OrderCustomer) -> list[Domain]:
    """The searches that match a new customer's details to a partner, in order."""
    searches: list[Domain] = []
    if customer.externalId:
        searches.append([("ref", "=", customer.externalId)])
    if customer.email:
        # "=ilike" without wildcards: equal, ignoring case, as Odoo compares emails.
        searches.append([("email", "=ilike", customer.email.strip())])
    return searches


def partner_values(customer: OrderCustomer) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": customer.name,
        "email": _set(customer.email),
        "phone": _set(customer.phone),
        "type": "contact",
        "customer_rank": 1,
    }
    if customer.externalId:
        values["ref"] = customer.externalId
    return values


def address_domain(parent_id: int, kind: str, address: OrderAddress) -> Domain:
    return [
        ("parent_id", "=", parent_id),
        ("type", "=", kind),
        ("street", "=", address.street),
        ("street2", "=", _set(address.street2)),
        ("zip", "=", _set(address.zip)),
        ("city", "=", address.city),
        ("country_id", "=", address.countryId),
    ]


def address_values(parent_id: int, kind: str, address: OrderAddress) -> dict[str, Any]:
    return {
        "parent_id": parent_id,
        "type": kind,
        "street": address.street,
        "street2": _set(address.street2),
        "zip": _set(address.zip),
        "city": address.city,
        "country_id": address.countryId,
    }


def order_values(order: WebshopOrder, partners: Partners) -> dict[str, Any]:
    values: dict[str, Any] = {
        "partner_id": partners.customer,
        "partner_invoice_id": partners.invoice,
        "partner_shipping_id": partners.delivery,
        "client_order_ref": order.reference,
        "order_line": [
            (
                0,
                0,
                {
                    "product_id": line.productId,
                    "product_uom_qty": line.quantity,
                    "price_unit": line.unitPrice,
                    "discount": line.discount,
                },
            )
            for line in order.lines
        ],
    }
    if order.pricelistId is not None:
        values["pricelist_id"] = order.pricelistId
    if order.note:
        values["note"] = order.note
    return values


def _placed(row: dict[str, Any]) -> Placed:
    return Placed(odoo_id=int(row["id"]), name=str(row["name"]), state=str(row["state"]))


# -- steps (Odoo calls) ------------------------------------------------------------------------


async def find_order(odoo: OdooApi, reference: str) -> Placed | None:
    # The oldest, should someone have entered the reference twice by hand.
    found = await odoo.search_read(
        "sale.order", [("client_order_ref", "=", reference)], ORDER_FIELDS, limit=1, order="id"
    )
    return _placed(found[0]) if found else None


async def read_order(odoo: OdooApi, order_id: int) -> Placed:
    found = await odoo.search_read("sale.order", [("id", "=", order_id)], ORDER_FIELDS, limit=1)
    if not found:
        raise LookupError(f"sale.order {order_id} vanished after it was created")
    return _placed(found[0])


async def _search(odoo: OdooApi, model: str, searches: list[Domain]) -> int | None:
    """The first record the searches find, in order."""
    for domain in searches:
        found = await odoo.search_read(model, domain, ["id"], limit=1, order="id")
        if found:
            return int(found[0]["id"])
    return None


async def _create(
    odoo: OdooApi, model: str, searches: list[Domain], values: dict[str, Any], uncertain: bool
) -> int:
    if uncertain:  # an earlier attempt's create may have gone through
        found = await _search(odoo, model, searches)
        if found is not None:
            return found
    return await odoo.create(model, values)


async def _ensure(
    run: StepRunner,
    odoo: OdooApi,
    what: str,
    searches: list[Domain],
    values: dict[str, Any],
) -> int:
    """A partner found, else created: two steps, so that a retry of the create does not
    repeat the searches unless the create may have happened."""
    found = await run(f"find {what}", lambda _: _search(odoo, "res.partner", searches))
    if found is not None:
        return found
    return await run(
        f"create {what}",
        lambda uncertain: _create(odoo, "res.partner", searches, values, uncertain),
    )


async def customer_partners(odoo: OdooApi, customer: OrderCustomer, run: StepRunner) -> Partners:
    partner = customer.odooId
    if partner is None:
        searches = customer_searches(customer)
        partner = await _ensure(run, odoo, "customer", searches, partner_values(customer))
    ids = {"invoice": partner, "delivery": partner}
    for kind, address in (
        ("invoice", customer.invoiceAddress),
        ("delivery", customer.deliveryAddress),
    ):
        if address is not None:
            ids[kind] = await _ensure(
                run,
                odoo,
                f"{kind} address",
                [address_domain(partner, kind, address)],
                address_values(partner, kind, address),
            )
    return Partners(customer=partner, invoice=ids["invoice"], delivery=ids["delivery"])


async def create_order(
    odoo: OdooApi, order: WebshopOrder, partners: Partners, uncertain: bool
) -> int:
    """The new order's id; when an earlier attempt may have created it, that one's."""
    if uncertain:
        existing = await find_order(odoo, order.reference)
        if existing is not None:
            return existing.odoo_id
    return await odoo.create("sale.order", order_values(order, partners))


async def confirm(odoo: OdooApi, placed: Placed, uncertain: bool) -> Placed:
    if uncertain:
        placed = await read_order(odoo, placed.odoo_id)
        if placed.state not in QUOTATION_STATES:
            return placed  # an earlier attempt confirmed it
    await odoo.call("sale.order", "action_confirm", [placed.odoo_id])
    return Placed(placed.odoo_id, placed.name, "sale")  # what action_confirm makes of it


async def place(
    odoo: OdooApi, order: WebshopOrder, run: StepRunner, customer_lock: CustomerLock
) -> Placed:
    """Make sure ``order`` exists in Odoo (and is confirmed if asked); what it is now."""
    placed = await run("find order", lambda _: find_order(odoo, order.reference))
    if placed is None:
        async with customer_lock(customer_identity(order.customer)):
            partners = await customer_partners(odoo, order.customer, run)
        order_id = await run(
            "create order", lambda uncertain: create_order(odoo, order, partners, uncertain)
        )
        placed = await run("read order", lambda _: read_order(odoo, order_id))
    if order.confirm and placed.state in QUOTATION_STATES:
        quotation = placed
        placed = await run("confirm", lambda uncertain: confirm(odoo, quotation, uncertain))
    return placed
