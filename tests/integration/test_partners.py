"""The partner feed and Odoo's external ids end to end: SQL on the Odoo database in, HTTP on
the API out."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest

from tests.integration.feed import eventually
from tests.integration.feed import item as product_item
from tests.integration.stacks import RunningStack
from tests.integration.verification import verified_clean

pytestmark = pytest.mark.integration

PARTNERS = "/api/v1/updated-partners"


def partner(api: httpx.Client, odoo_id: int) -> dict[str, Any] | None:
    response = api.get(f"{PARTNERS}/{odoo_id}")
    if response.status_code == 404:
        return None
    response.raise_for_status()
    return response.json()


def hierarchy(api: httpx.Client, odoo_id: int) -> dict[str, Any] | None:
    response = api.get(f"{PARTNERS}/{odoo_id}/hierarchy")
    if response.status_code == 404:
        return None
    response.raise_for_status()
    return response.json()


def nodes(tree: dict[str, Any]) -> Iterator[tuple[dict[str, Any], int | None]]:
    """Every node of a hierarchy with the id of the node it hangs under."""
    stack: list[tuple[dict[str, Any], int | None]] = [(tree["root"], None)]
    while stack:
        node, above = stack.pop()
        yield node, above
        stack.extend((child, node["odooId"]) for child in node["children"])


def mark_processed(api: httpx.Client, ids: list[int]) -> None:
    response = api.post(f"{PARTNERS}/batch-delete", json={"ids": ids})
    response.raise_for_status()
    assert sorted(response.json()["processed"]) == sorted(ids)


def wait_for(api: httpx.Client, odoo_id: int, check: Any, what: str) -> dict[str, Any]:
    return eventually(lambda: (i := partner(api, odoo_id)) is not None and check(i) and i, 60, what)


def set_email(odoo: psycopg.Connection, odoo_id: int, email: str) -> None:
    odoo.execute(
        "UPDATE res_partner SET email = %s, write_date = now() WHERE id = %s", (email, odoo_id)
    )


def barrier(api: httpx.Client, odoo: psycopg.Connection, odoo_id: int) -> None:
    """Change ``odoo_id`` and wait for it: every partner change committed before has been
    through the pipeline too (one partition, in order)."""
    email = f"barrier-{uuid.uuid4().hex[:8]}@example.com"
    set_email(odoo, odoo_id, email)
    wait_for(api, odoo_id, lambda i: i["data"]["email"] == email, "the barrier")


def insert_partner(odoo: psycopg.Connection, **values: Any) -> int:
    values.setdefault("type", "contact")
    values.setdefault("active", True)
    values.setdefault("is_company", False)
    columns = ", ".join(values)
    marks = ", ".join(f"%({k})s" for k in values)
    return odoo.execute(
        f"INSERT INTO res_partner ({columns}, create_date, write_date) "
        f"VALUES ({marks}, now(), now()) RETURNING id",
        values,
    ).fetchone()[0]


def companies_with_contacts(odoo: psycopg.Connection) -> list[tuple[int, int]]:
    """(company, one of its contacts) of companies that are not in a bigger tree."""
    return odoo.execute(
        """SELECT c.id, min(k.id) FROM res_partner c JOIN res_partner k ON k.parent_id = c.id
            WHERE c.is_company AND c.parent_id IS NULL
              AND NOT k.is_company AND k.type = 'contact'
              AND NOT EXISTS (SELECT 1 FROM res_partner s WHERE s.parent_id = c.id AND s.is_company)
              AND NOT EXISTS (SELECT 1 FROM res_partner g WHERE g.parent_id = k.id)
            GROUP BY c.id ORDER BY c.id"""
    ).fetchall()


def first_xml_id(odoo: psycopg.Connection, model: str, res_id: int) -> str | None:
    row = odoo.execute(
        "SELECT module || '.' || name FROM ir_model_data WHERE model = %s AND res_id = %s "
        "ORDER BY id LIMIT 1",
        (model, res_id),
    ).fetchone()
    return row[0] if row else None


@pytest.fixture(scope="module", autouse=True)
def snapshot_done(api: httpx.Client, odoo: psycopg.Connection) -> list[int]:
    """The initial snapshot delivers every partner."""
    ids = [r[0] for r in odoo.execute("SELECT id FROM res_partner ORDER BY id")]
    eventually(lambda: all(partner(api, i) for i in ids), 180, "every partner in the feed")
    return ids


def test_snapshot_items_carry_odoo_fields_refs_and_xml_ids(
    api: httpx.Client, odoo: psycopg.Connection
):
    child, company = odoo.execute(
        "SELECT k.id, c.id FROM res_partner k JOIN res_partner c ON c.id = k.parent_id "
        "WHERE c.ref IS NOT NULL AND NOT k.is_company ORDER BY k.id LIMIT 1"
    ).fetchone()
    ref = odoo.execute("SELECT ref FROM res_partner WHERE id = %s", (company,)).fetchone()[0]
    item = partner(api, child)
    assert item["isNew"] is True and item["deleted"] is False
    assert item["parentExternalId"] == ref and item["parentResolved"] is True
    data = item["data"]
    assert data["parent_id"] == company and data["commercial_partner_id"] == company
    assert data["is_company"] is False and data["type"] in (
        "contact",
        "invoice",
        "delivery",
        "other",
    )
    assert {"street", "zip", "city", "country_id", "email", "phone"} <= set(data)

    top = partner(api, company)
    assert top["externalId"] == ref
    assert top["parentResolved"] is True and top["parentExternalId"] is None

    # Odoo's external ids: the first one by id, as Odoo shows it; null without one.
    with_id, without_id = odoo.execute(
        "SELECT (SELECT min(res_id) FROM ir_model_data WHERE model = 'res.partner'), "
        "(SELECT min(id) FROM res_partner p WHERE NOT EXISTS (SELECT 1 FROM ir_model_data d "
        " WHERE d.model = 'res.partner' AND d.res_id = p.id))"
    ).fetchone()
    assert partner(api, with_id)["odooXmlId"] == first_xml_id(odoo, "res.partner", with_id)
    assert partner(api, without_id)["odooXmlId"] is None
    template = odoo.execute(
        "SELECT min(res_id) FROM ir_model_data WHERE model = 'product.template'"
    ).fetchone()[0]
    assert product_item(api, template)["odooXmlId"] == first_xml_id(
        odoo, "product.template", template
    )


def test_company_dependent_values_are_decoded(api: httpx.Client, odoo: psycopg.Connection):
    version = odoo.execute(
        "SELECT data_type FROM information_schema.columns "
        "WHERE table_name = 'res_partner' AND column_name = 'barcode'"
    ).fetchone()[0]
    with_barcode = odoo.execute(
        "SELECT id, barcode::text FROM res_partner WHERE barcode IS NOT NULL ORDER BY id LIMIT 1"
    ).fetchone()
    assert with_barcode is not None
    barcode = partner(api, with_barcode[0])["data"]["barcode"]
    if version == "jsonb":  # Odoo 18+: {"<company id>": value}
        assert isinstance(barcode, dict) and barcode == {"1": barcode["1"]}
        assert f'"{barcode["1"]}"' in with_barcode[1]
        own = odoo.execute(
            "SELECT min(id) FROM res_partner WHERE specific_property_product_pricelist IS NOT NULL"
        ).fetchone()[0]
        pricelist = partner(api, own)["data"]["specific_property_product_pricelist"]
        assert isinstance(pricelist, dict) and isinstance(pricelist["1"], int)
    else:  # a varchar up to 17: a string, even of digits
        assert barcode == with_barcode[1]


def test_hierarchy_is_the_whole_tree_from_any_of_its_partners(
    api: httpx.Client, odoo: psycopg.Connection
):
    # A contact's address four levels down: holding > subsidiary > contact > address.
    deepest, top = odoo.execute(
        """WITH RECURSIVE up(id, top, depth) AS (
               SELECT id, id, 0 FROM res_partner WHERE parent_id IS NULL
             UNION ALL
               SELECT p.id, up.top, up.depth + 1 FROM res_partner p JOIN up ON p.parent_id = up.id)
           SELECT id, top FROM up WHERE depth = 3 ORDER BY id LIMIT 1"""
    ).fetchone()
    tree = odoo.execute(
        """WITH RECURSIVE down(id, parent) AS (
               SELECT id, parent_id FROM res_partner WHERE id = %s
             UNION ALL
               SELECT p.id, p.parent_id FROM res_partner p JOIN down ON p.parent_id = down.id)
           SELECT id, parent FROM down""",
        (top,),
    ).fetchall()
    expected = {child: parent for child, parent in tree}
    expected[top] = None

    for asked in (deepest, top):
        answer = hierarchy(api, asked)
        assert answer["odooId"] == asked
        assert answer["root"]["odooId"] == top and answer["root"]["parentResolved"] is True
        assert answer["truncated"] is False and answer["nodeCount"] == len(expected)
        assert {n["odooId"]: above for n, above in nodes(answer)} == expected
    subsidiaries = [c for c in answer["root"]["children"] if c["isCompany"]]
    assert subsidiaries and all(c["commercialPartnerId"] == c["odooId"] for c in subsidiaries)
    assert hierarchy(api, 10**9) is None


def test_partner_create_update_noop_and_delete(api: httpx.Client, odoo: psycopg.Connection):
    company, sentinel = companies_with_contacts(odoo)[0]
    ref = odoo.execute("SELECT ref FROM res_partner WHERE id = %s", (company,)).fetchone()[0]
    new_id = insert_partner(
        odoo,
        name="Jef Peeters",
        parent_id=company,
        commercial_partner_id=company,
        email="jef@example.com",
        street="Kerkstraat 1",
    )
    created = wait_for(api, new_id, lambda i: True, "the new partner")
    assert created["isNew"] is True and created["pending"] is True
    assert created["parentExternalId"] == ref and created["parentResolved"] is True
    assert "email" in created["changedFields"] and "street" in created["changedFields"]

    mark_processed(api, [new_id])
    set_email(odoo, new_id, "jef.peeters@example.com")
    updated = wait_for(api, new_id, lambda i: i["pending"], "the update")
    assert updated["changedFields"] == ["email"] and updated["isNew"] is False

    mark_processed(api, [new_id])
    odoo.execute("UPDATE res_partner SET write_date = now() WHERE id = %s", (new_id,))
    barrier(api, odoo, sentinel)
    assert partner(api, new_id)["pending"] is False

    # Odoo deletes a record's external ids with it: the deleted item keeps the one it had.
    odoo.execute(
        "INSERT INTO ir_model_data (module, name, model, res_id, noupdate) "
        "VALUES ('__export__', %s, 'res.partner', %s, false)",
        (f"res_partner_{new_id}_0badcafe", new_id),
    )
    wait_for(api, new_id, lambda i: i["odooXmlId"], "its external id")
    with odoo.transaction():
        odoo.execute(
            "DELETE FROM ir_model_data WHERE model = 'res.partner' AND res_id = %s", (new_id,)
        )
        odoo.execute("DELETE FROM res_partner WHERE id = %s", (new_id,))
    deleted = wait_for(api, new_id, lambda i: i["deleted"], "the delete")
    assert deleted["pending"] is True and deleted["data"] is None
    assert deleted["odooXmlId"] == f"__export__.res_partner_{new_id}_0badcafe"
    assert hierarchy(api, new_id) is None
    assert new_id not in {n["odooId"] for n, _ in nodes(hierarchy(api, company))}


def test_child_delivered_before_its_parent_resolves_when_the_parent_arrives(
    api: httpx.Client, odoo: psycopg.Connection
):
    parent_id = odoo.execute("SELECT nextval('res_partner_id_seq')").fetchone()[0]
    # As a contact committed by one Odoo transaction while another still creates its company:
    # the child's row reaches the pipeline first (the foreign key checks are off for it).
    with odoo.transaction():
        odoo.execute("SET LOCAL session_replication_role = replica")
        child = insert_partner(
            odoo, name="Early Contact", parent_id=parent_id, commercial_partner_id=parent_id
        )
    early = wait_for(api, child, lambda i: True, "the child")
    assert early["parentResolved"] is False and early["parentExternalId"] is None
    alone = hierarchy(api, child)
    assert alone["root"]["odooId"] == child and alone["root"]["parentResolved"] is False
    assert alone["root"]["parentId"] == parent_id and alone["nodeCount"] == 1

    ref = f"C-LATE-{uuid.uuid4().hex[:6]}"
    odoo.execute(
        "INSERT INTO res_partner (id, name, type, is_company, active, ref, "
        "commercial_partner_id, create_date, write_date) "
        "VALUES (%s, 'Late Company NV', 'contact', true, true, %s, %s, now(), now())",
        (parent_id, ref, parent_id),
    )
    resolved = wait_for(api, child, lambda i: i["parentResolved"], "the child resolved")
    assert resolved["parentExternalId"] == ref
    tree = hierarchy(api, child)
    assert tree["root"]["odooId"] == parent_id and tree["root"]["externalId"] == ref
    assert [c["odooId"] for c in tree["root"]["children"]] == [child]
    assert tree["root"]["children"][0]["parentResolved"] is True


def test_partner_moved_to_another_parent_updates_both_trees(
    api: httpx.Client, odoo: psycopg.Connection
):
    (old, moved), (new, _) = companies_with_contacts(odoo)[1:3]
    mark_processed(api, [moved])
    new_ref = odoo.execute("SELECT ref FROM res_partner WHERE id = %s", (new,)).fetchone()[0]
    odoo.execute(
        "UPDATE res_partner SET parent_id = %s, commercial_partner_id = %s, write_date = now() "
        "WHERE id = %s",
        (new, new, moved),
    )
    item = wait_for(api, moved, lambda i: i["data"]["parent_id"] == new, "the move")
    assert {"parent_id", "commercial_partner_id"} <= set(item["changedFields"])
    assert item["parentExternalId"] == new_ref and item["pending"] is True
    assert moved not in {n["odooId"] for n, _ in nodes(hierarchy(api, old))}
    assert {n["odooId"]: above for n, above in nodes(hierarchy(api, new))}[moved] == new
    assert hierarchy(api, moved)["root"]["odooId"] == new


def test_external_id_changes_reach_the_item_without_making_it_pending(
    api: httpx.Client, odoo: psycopg.Connection
):
    target = odoo.execute(
        "SELECT min(id) FROM res_partner p WHERE NOT EXISTS (SELECT 1 FROM ir_model_data d "
        "WHERE d.model = 'res.partner' AND d.res_id = p.id)"
    ).fetchone()[0]
    mark_processed(api, [target])

    def xml_id_is(expected: str | None) -> dict[str, Any]:
        return wait_for(api, target, lambda i: i["odooXmlId"] == expected, f"xml id {expected}")

    first = odoo.execute(
        "INSERT INTO ir_model_data (module, name, model, res_id, noupdate) "
        "VALUES ('__import__', %s, 'res.partner', %s, false) RETURNING id",
        (f"partner_{target}", target),
    ).fetchone()[0]
    assert xml_id_is(f"__import__.partner_{target}")["pending"] is False
    odoo.execute("UPDATE ir_model_data SET name = %s WHERE id = %s", (f"renamed_{target}", first))
    xml_id_is(f"__import__.renamed_{target}")
    # A second id: the first (lowest ir_model_data id) stays the one shown, as in Odoo.
    odoo.execute(
        "INSERT INTO ir_model_data (module, name, model, res_id, noupdate) "
        "VALUES ('__export__', %s, 'res.partner', %s, false)",
        (f"res_partner_{target}_feedf00d", target),
    )
    barrier(api, odoo, companies_with_contacts(odoo)[0][0])
    assert partner(api, target)["odooXmlId"] == f"__import__.renamed_{target}"
    odoo.execute("DELETE FROM ir_model_data WHERE id = %s", (first,))
    xml_id_is(f"__export__.res_partner_{target}_feedf00d")
    odoo.execute("DELETE FROM ir_model_data WHERE model = 'res.partner' AND res_id = %s", (target,))
    assert xml_id_is(None)["pending"] is False

    # Any entity with an Odoo model, the same way: a product template.
    template = odoo.execute(
        "SELECT min(id) FROM product_template t WHERE NOT EXISTS (SELECT 1 FROM ir_model_data d "
        "WHERE d.model = 'product.template' AND d.res_id = t.id)"
    ).fetchone()[0]
    odoo.execute(
        "INSERT INTO ir_model_data (module, name, model, res_id, noupdate) "
        "VALUES ('__import__', %s, 'product.template', %s, false)",
        (f"product_{template}", template),
    )
    eventually(
        lambda: product_item(api, template)["odooXmlId"] == f"__import__.product_{template}",
        60,
        "the template's external id",
    )


@pytest.mark.parametrize("process", ["streams", "materializer"])
def test_killed_process_converges(
    process: str, stack: RunningStack, api: httpx.Client, odoo: psycopg.Connection
):
    people = [r[0] for r in odoo.execute("SELECT id FROM res_partner WHERE id > 1 ORDER BY id")]
    emails = {pid: f"{process}-{pid}@example.com" for pid in people[:8]}
    named = {pid: f"{process}_{pid}" for pid in people[8:12]}
    contacts = list(emails)
    for contact in contacts[:4]:
        set_email(odoo, contact, emails[contact])
    stack.kill(process)  # SIGKILL: no flush, no offset commit
    for contact in contacts[4:]:
        set_email(odoo, contact, emails[contact])
    for pid, name in named.items():  # its ids replaced by one, inserted then renamed
        odoo.execute(
            "DELETE FROM ir_model_data WHERE model = 'res.partner' AND res_id = %s", (pid,)
        )
        odoo.execute(
            "INSERT INTO ir_model_data (module, name, model, res_id, noupdate) "
            "VALUES ('__kill__', %s, 'res.partner', %s, false)",
            (name, pid),
        )
        odoo.execute(
            "UPDATE ir_model_data SET module = '__import__' "
            "WHERE module = '__kill__' AND name = %s",
            (name,),
        )
    stack.restart(process)
    for contact, email in emails.items():
        wait_for(api, contact, lambda i, email=email: i["data"]["email"] == email, "an email")
    for pid, name in named.items():
        wanted = f"__import__.{name}"
        wait_for(api, pid, lambda i, x=wanted: i["odooXmlId"] == x, wanted)


def test_after_the_scenarios_every_view_verifies_clean(stack: RunningStack) -> None:
    """After the partner changes and restarts above: every read-model view equals what Odoo's
    tables give (`atraxion verify`, README "Verify")."""
    verified_clean(stack)
