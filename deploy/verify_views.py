"""``atraxion verify``: every read-model view against what Odoo's tables give now, recomputed
independently of the topics (README "Verify").

For each view, the expected rows are built from Odoo's current rows, read with SQL the way
Debezium delivers them (``odoo_changes``: this stack's connector settings, jsonb as a string
decoded by the processors' own ``parse_change``), by the same pure functions the processors
and sinks use: a document assembled by ``streams.changes.document.document``, a feed filter
by the entity's rule, the computed records by the entity's ``Computation``, an external-id
row by ``external_id_row``. The served rows are read as the API serves them (a feed item's
JSON with its looked-up ``odooXmlId`` and parent fields). Both sides are streamed in key
order from server-side cursors and merged (deploy/verify_compare.py); each database is read
in one REPEATABLE READ snapshot per view.

Views: one per document entity (its feed table), one per computed entity (its record table)
and ``external_ids`` (the external-id table).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

import orjson
import psycopg
from psycopg import IsolationLevel, sql
from psycopg.rows import dict_row, tuple_row
from psycopg.types.string import TextLoader

from core.settings import Settings
from deploy.verify import as_debezium
from deploy.verify_compare import (
    Difference,
    FieldDifference,
    Tally,
    compare,
    field_differences,
    merge_by_key,
)
from readmodel.feeds import item_json, looked_up
from readmodel.verify_runs import EXTERNAL_IDS_VIEW, VIEW_NAMES, VIEW_TABLES
from schemas.entities import COMPUTED, ENTITIES, EXTERNAL_IDS, ComputedEntity, Entity, SourceTable
from streams.changes.debezium import RowChange, parse_change
from streams.changes.diff import DiffRules
from streams.changes.document import (
    DocumentState,
    _reported,  # the processor's own rule: which changed paths an entity reports
    _shared_columns,  # ... and which columns of an older row still count
    document,
)
from streams.changes.external_ids import external_id_row
from streams.changes.records import Computation, Fields
from streams.computed import COMPUTATIONS
from streams.sinks.feeds import FILTER_RULES

Row = dict[str, Any]
S = TypeVar("S")
# Item fields that are the feed's bookkeeping (what the webshop has marked processed, when
# the row was written): they follow the history of the feed, not Odoo's rows.
BOOKKEEPING = frozenset(
    {"odooId", "changedFields", "isNew", "deleted", "pending", "updatedAt", "version"}
)


class CannotVerify(Exception):
    """A database is unreachable or a read-model table is missing: nothing was compared."""


class Progress(Protocol):
    def start(self, entity: str, what: str, total: int | None) -> None:
        """A new phase of a view (reading Odoo, comparing) of ``total`` rows, if known."""
        ...

    def advance(self, rows: int = 1) -> None: ...


class NoProgress:
    def start(self, entity: str, what: str, total: int | None) -> None:
        pass

    def advance(self, rows: int = 1) -> None:
        pass


def verify(
    settings: Settings,
    names: Sequence[str] = VIEW_NAMES,
    progress: Progress | None = None,
    sample_size: int | None = None,
) -> list[Tally]:
    """Compare the views ``names`` (default: all); one ``Tally`` each, in ``VIEW_NAMES``
    order. Raises CannotVerify when a database cannot be read (unreachable, a table missing
    or not readable)."""
    progress = progress or NoProgress()
    sample = settings.verify_sample_size if sample_size is None else sample_size
    unknown = sorted(set(names) - set(VIEW_NAMES))
    if unknown:
        raise ValueError(f"no view {unknown}; views: {', '.join(VIEW_NAMES)}")
    try:
        with (
            psycopg.connect(settings.odoo_dsn, autocommit=True) as odoo,
            psycopg.connect(settings.readmodel_dsn, autocommit=True) as readmodel,
        ):
            for conn in (odoo, readmodel):
                conn.isolation_level = IsolationLevel.REPEATABLE_READ
                conn.read_only = True  # verify writes nothing, least of all in Odoo
            _require_tables(readmodel, [n for n in VIEW_NAMES if n in names])
            present = tables_of(odoo)
            out = []
            for name in (n for n in VIEW_NAMES if n in names):
                tally = Tally(name, sample_size=sample)
                with odoo.transaction(), readmodel.transaction():
                    _verify_view(name, tally, odoo, readmodel, present, settings, progress)
                out.append(tally)
            return out
    except psycopg.Error as exc:  # unreachable, or a table it may not read
        first = str(exc).strip().splitlines()
        raise CannotVerify(first[0] if first else repr(exc)) from exc


def _require_tables(readmodel: psycopg.Connection, names: Iterable[str]) -> None:
    missing = [
        VIEW_TABLES[n]
        for n in names
        if readmodel.execute("SELECT to_regclass(%s) IS NULL", (VIEW_TABLES[n],)).fetchone()[0]  # type: ignore[index]
    ]
    if missing:
        raise CannotVerify(
            f"the read model has no table {', '.join(missing)} (is it migrated? "
            "`atraxion up` or `python -m readmodel.migrate`)"
        )


def _verify_view(
    name: str,
    tally: Tally,
    odoo: psycopg.Connection,
    readmodel: psycopg.Connection,
    present: set[str],
    settings: Settings,
    progress: Progress,
) -> None:
    fetch = settings.verify_fetch_rows
    for entity in ENTITIES:
        if entity.name == name:
            verify_documents(tally, entity, odoo, readmodel, present, settings, progress)
            return
    for computed in COMPUTED:
        if computed.name == name:
            verify_computed(tally, computed, odoo, readmodel, present, settings, progress)
            return
    verify_external_ids(tally, odoo, readmodel, present, fetch, progress)


# -- Odoo's rows as Debezium delivers them -----------------------------------------------------


def tables_of(odoo: psycopg.Connection) -> set[str]:
    rows = odoo.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
    )
    return {str(name) for (name,) in rows}


def columns_of(odoo: psycopg.Connection, table: str) -> list[str]:
    rows = odoo.execute(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position",
        (table,),
    )
    return [str(name) for (name,) in rows]


def count_rows(conn: psycopg.Connection, table: str) -> int:
    row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()
    return int(row[0]) if row else 0


@contextmanager
def _server_cursor(conn: psycopg.Connection, name: str, fetch: int, **kwargs: Any) -> Iterator[Any]:
    with conn.cursor(name=name, **kwargs) as cur:
        cur.itersize = fetch
        # jsonb and json as the text Debezium delivers: the processors decode only their
        # entity's declared json columns (a jsonb column it does not declare stays a string).
        cur.adapters.register_loader("jsonb", TextLoader)
        cur.adapters.register_loader("json", TextLoader)
        yield cur


_cursor_numbers = itertools.count()


def odoo_changes(
    odoo: psycopg.Connection,
    table: SourceTable,
    *,
    columns: Sequence[str] | None = None,
    where: str = "",
    order_by: Sequence[str] = ("id",),
    fetch: int = 2000,
) -> Iterator[RowChange]:
    """Every row of ``table`` (only ``columns``, default all) as the snapshot event Debezium
    would deliver for it, parsed by the processors' ``parse_change`` with the table's json
    columns; in ``order_by`` order, streamed. ``where`` is a fixed SQL condition."""
    query = sql.SQL("SELECT {} FROM {}{} ORDER BY {}").format(
        sql.SQL("*") if columns is None else sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.Identifier(table.name),
        sql.SQL(f" WHERE {where}") if where else sql.SQL(""),
        sql.SQL(", ").join(map(sql.Identifier, order_by)),
    )
    source = {"table": table.name, "lsn": 0}
    name = f"verify_{table.name}_{next(_cursor_numbers)}"
    with _server_cursor(odoo, name, fetch, row_factory=dict_row) as cur:
        for row in cur.execute(query):
            after = {column: as_debezium(value) for column, value in row.items()}
            envelope = orjson.dumps({"op": "r", "source": source, "after": after})
            change = parse_change(None, envelope, table.json_columns)
            if change is not None:
                yield change


# -- documents ---------------------------------------------------------------------------------


def documents(
    parents: Iterable[Row], children: Mapping[str, Iterable[Row]], entity: Entity
) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(id, document)`` of every parent row, as the processor assembles it: ``parents``
    ascending by id, each child stream ascending by its parent column (rows pointing at no
    parent are left out, as the processor never attaches them)."""
    spec = entity.source
    heads: dict[str, tuple[Iterator[Row], Row | None]] = {}
    for child in spec.children:
        rows = iter(children.get(child.field, ()))
        heads[child.field] = (rows, next(rows, None))
    for parent in parents:
        parent_id = parent["id"]
        state_children: dict[str, dict[str, Row]] = {}
        for child in spec.children:
            rows, head = heads[child.field]
            attached: dict[str, Row] = {}
            while head is not None and _before(head.get(child.parent_column), parent_id):
                head = next(rows, None)
            while head is not None and head.get(child.parent_column) == parent_id:
                attached[str(head["id"])] = head
                head = next(rows, None)
            heads[child.field] = (rows, head)
            state_children[child.field] = attached
        state = DocumentState.model_construct(
            parent=parent, children=state_children, rows={}, seq=0, last_out=None
        )
        doc = document(state, spec)
        if doc is not None:
            yield parent_id, doc


def _before(parent_value: Any, parent_id: int) -> bool:
    return not isinstance(parent_value, int) or parent_value < parent_id


def expected_item(
    entity: Entity,
    doc: dict[str, Any],
    filters: Callable[[Mapping[str, Any] | None], dict[str, str | None]] | None,
    xml_ids: Mapping[int, str | None] | None,
    parent_ids: Mapping[int, str | None] | None,
) -> dict[str, Any]:
    """The served item of a document, but for its bookkeeping fields: what the materializer
    writes (externalId, data, the filter columns) and what the API looks up when it serves
    the item (odooXmlId from Odoo's ir_model_data; a parent's externalId and whether the
    parent is there, from Odoo's parent rows)."""
    column = entity.source.external_id_column
    item: dict[str, Any] = {"externalId": doc.get(column) if column else None, "data": doc}
    if filters is not None:
        item.update(filters(doc))
    if xml_ids is not None:
        item["odooXmlId"] = xml_ids.get(doc["id"])
    if parent_ids is not None and entity.feed.parent_field is not None:
        parent = doc.get(entity.feed.parent_field)
        item["parentExternalId"] = parent_ids.get(parent) if isinstance(parent, int) else None
        item["parentResolved"] = parent is None or parent in parent_ids
    return item


def item_differences(
    entity: Entity, rules: DiffRules
) -> Callable[[dict[str, Any], dict[str, Any]], list[FieldDifference]]:
    """The differing fields of a served item: its data by the processor's diff (the excluded
    fields of the settings and the entity left out, as they never make an event), every other
    non-bookkeeping field exactly."""
    spec = entity.source
    exact = DiffRules(frozenset(), rules.float_tolerance)

    def differ(want: dict[str, Any], have: dict[str, Any]) -> list[FieldDifference]:
        outside_want = {k: v for k, v in want.items() if k != "data"}
        outside_have = {k: v for k, v in have.items() if k != "data" and k not in BOOKKEEPING}
        found = field_differences(outside_want, outside_have, exact)
        want_data, have_data = want.get("data") or {}, have.get("data") or {}
        have_data, want_data = _shared_columns(have_data, want_data, spec)
        found += field_differences(
            want_data, have_data, rules, lambda path: _reported(path, spec), prefix="data."
        )
        return found

    return differ


def verify_documents(
    tally: Tally,
    entity: Entity,
    odoo: psycopg.Connection,
    readmodel: psycopg.Connection,
    present: set[str],
    settings: Settings,
    progress: Progress,
) -> None:
    spec = entity.source
    fetch = settings.verify_fetch_rows
    if spec.parent.name not in present:
        tally.skipped = f"no table {spec.parent.name} in the Odoo database (app not installed)"
        return
    for child in spec.children:
        if child.table.name not in present:
            tally.notes.append(f"no table {child.table.name}: documents without {child.field}")
    rules = DiffRules.of(settings.diff_excluded_fields, settings.diff_float_tolerance)
    filters = FILTER_RULES[entity.name](settings) if entity.feed.filters else None
    xml_ids = _odoo_xml_ids(odoo, entity.odoo_model, fetch) if entity.odoo_model else None
    parent_ids = None
    if entity.feed.parent_field is not None:
        column = spec.external_id_column
        parent_ids = {
            c.row_id: (c.after or {}).get(column) if column else None
            for c in odoo_changes(
                odoo, spec.parent, columns=["id", *([column] if column else [])], fetch=fetch
            )
        }
    progress.start(entity.name, "comparing", count_rows(odoo, spec.parent.name))
    parents = (c.after for c in odoo_changes(odoo, spec.parent, fetch=fetch) if c.after)
    children = {
        child.field: (
            c.after
            for c in odoo_changes(
                odoo,
                child.table,
                where=f"{sql.Identifier(child.parent_column).as_string(odoo)} IS NOT NULL",
                order_by=(child.parent_column, "id"),
                fetch=fetch,
            )
            if c.after
        )
        for child in spec.children
        if child.table.name in present
    }
    expected = (
        (doc_id, expected_item(entity, doc, filters, xml_ids, parent_ids))
        for doc_id, doc in documents(parents, children, entity)
    )
    compare(
        tally,
        merge_by_key(expected, _served_items(readmodel, entity, fetch)),
        item_differences(entity, rules),
        progress.advance,
    )


def _odoo_xml_ids(odoo: psycopg.Connection, model: str, fetch: int) -> dict[int, str | None]:
    """Per record of ``model``, its first external id by ir_model_data id: what the API looks
    up in the read model's copy (readmodel/external_ids.py)."""
    query = (
        "SELECT DISTINCT ON (res_id) res_id, module || '.' || name FROM ir_model_data"
        " WHERE model = %s AND res_id IS NOT NULL ORDER BY res_id, id"
    )
    with _server_cursor(odoo, f"verify_xml_ids_{next(_cursor_numbers)}", fetch) as cur:
        return {int(res_id): xml_id for res_id, xml_id in cur.execute(query, (model,))}


def _served_items(
    readmodel: psycopg.Connection, entity: Entity, fetch: int
) -> Iterator[tuple[int, dict[str, Any]]]:
    feed = entity.feed
    item = item_json(
        [f.name for f in feed.filters], looked_up(feed.table, entity.odoo_model, feed.parent_field)
    )
    query = sql.SQL(
        "SELECT odoo_id, " + item + " FROM {} WHERE NOT deleted ORDER BY odoo_id"
    ).format(sql.Identifier(feed.table))
    name = f"verify_served_{feed.table}_{next(_cursor_numbers)}"
    with _server_cursor(readmodel, name, fetch, row_factory=tuple_row) as cur:
        for odoo_id, text in cur.execute(query):
            yield int(odoo_id), orjson.loads(text)


# -- computed records --------------------------------------------------------------------------


def verify_computed(
    tally: Tally,
    entity: ComputedEntity,
    odoo: psycopg.Connection,
    readmodel: psycopg.Connection,
    present: set[str],
    settings: Settings,
    progress: Progress,
) -> None:
    """The computation fed every row it reads, as the processor is: ``relevant`` rows, only
    its columns (it needs all of them at once, as the processor does). Then
    ``compare_records``: the served records streamed, each expected record computed when its
    key comes."""
    fetch = settings.verify_fetch_rows
    computation = COMPUTATIONS[entity.name]()
    absent = [t.name for t in entity.sources if t.name not in present]
    if absent:
        tally.notes.append(f"not in the Odoo database, so not captured: {', '.join(absent)}")
    sources = [t for t in entity.sources if t.name in present]
    progress.start(entity.name, "reading Odoo", sum(count_rows(odoo, t.name) for t in sources))
    for table in sources:
        wanted = computation.columns[table.name]
        columns = [c for c in columns_of(odoo, table.name) if c in wanted or c == "id"]
        for change in odoo_changes(odoo, table, columns=columns, fetch=fetch):
            row = {c: v for c, v in (change.after or {}).items() if c in wanted}
            if computation.relevant(table.name, row):
                computation.apply(table.name, change.row_id, row)
            progress.advance()
    exact = DiffRules(frozenset(), settings.diff_float_tolerance)
    lookups = entity.feed.lookups

    def differ(want: dict[str, Any], have: dict[str, Any]) -> list[FieldDifference]:
        # Only the record's own fields: previousPrice and the like say what the webshop saw
        # last, which no Odoo row tells.
        item = have["item"]
        found = field_differences(want, {f: item.get(f) for f in want}, exact)
        found += [
            FieldDifference(column, want.get(name), have[column])
            for name, column in lookups
            if have[column] != want.get(name)
        ]
        return found

    served = _served_records(readmodel, entity, fetch)
    progress.start(entity.name, "comparing", _count_live(readmodel, entity.feed.table))
    compare_records(
        tally,
        computation,
        served,
        differ,
        on_served=progress.advance,
        on_missing_pass=lambda: progress.start(entity.name, "finding missing", None),
    )


def compare_records(
    tally: Tally,
    computation: Computation,
    served: Iterable[tuple[str, S]],
    fields_of: Callable[[Fields, S], list[FieldDifference]],
    on_served: Callable[[], None] = lambda: None,
    on_missing_pass: Callable[[], None] = lambda: None,
) -> Tally:
    """Count a computed view into ``tally`` without holding its expected records (1.7 M
    prices at scale 128,000): for each served record, the records of its subject
    (``subject_of``) are computed and compared; then every subject no served key led to is
    computed for its keys alone, all missing. Memory: the served keys and the expected keys
    of the subjects computed, not the records. A subject is computed again only when its
    keys are not adjacent in key order (stock: supplier first)."""
    seen: set[str] = set()
    expected_keys: set[str] = set()
    computed: set[Hashable] = set()
    current: Hashable = _NO_SUBJECT
    records: dict[str, Fields] = {}
    for key, have in served:
        tally.served += 1
        seen.add(key)
        on_served()
        try:
            subject = computation.subject_of(key)
        except (ValueError, TypeError, IndexError):  # a key no computation makes
            tally.add(Difference(key, "extra"))
            continue
        if subject != current:
            current, records = subject, computation.records(subject)
            computed.add(subject)
            expected_keys.update(records)
        want = records.get(key)
        if want is None:
            tally.add(Difference(key, "extra"))
            continue
        found = fields_of(want, have)
        if found:
            tally.add(Difference(key, "different", tuple(found)))
    on_missing_pass()
    for subject in computation.subjects():
        if subject not in computed:
            expected_keys.update(computation.records(subject))
    tally.expected = len(expected_keys)
    for key in sorted(expected_keys - seen):
        tally.add(Difference(key, "missing"))
    return tally


_NO_SUBJECT = object()


def _count_live(readmodel: psycopg.Connection, table: str) -> int:
    query = sql.SQL("SELECT count(*) FROM {} WHERE NOT deleted").format(sql.Identifier(table))
    row = readmodel.execute(query).fetchone()
    return int(row[0]) if row else 0


def _served_records(
    readmodel: psycopg.Connection, entity: ComputedEntity, fetch: int
) -> Iterator[tuple[str, dict[str, Any]]]:
    columns = [column for _, column in entity.feed.lookups]
    query = sql.SQL("SELECT key, item{} FROM {} WHERE NOT deleted ORDER BY key").format(
        sql.SQL("").join(sql.SQL(", {}").format(sql.Identifier(c)) for c in columns),
        sql.Identifier(entity.feed.table),
    )
    name = f"verify_served_{entity.feed.table}_{next(_cursor_numbers)}"
    with _server_cursor(readmodel, name, fetch, row_factory=dict_row) as cur:
        for row in cur.execute(query):
            row["item"] = orjson.loads(row["item"])
            yield row["key"], row


# -- external ids ------------------------------------------------------------------------------

EXTERNAL_ID_FIELDS = ("module", "name", "model", "res_id")


def verify_external_ids(
    tally: Tally,
    odoo: psycopg.Connection,
    readmodel: psycopg.Connection,
    present: set[str],
    fetch: int,
    progress: Progress,
) -> None:
    source = EXTERNAL_IDS.source
    if source.name not in present:
        tally.skipped = f"no table {source.name} in the Odoo database"
        return
    progress.start(EXTERNAL_IDS_VIEW, "comparing", count_rows(odoo, source.name))
    columns = [c for c in columns_of(odoo, source.name) if c in {"id", *EXTERNAL_ID_FIELDS}]
    expected = (
        (row["id"], {f: row[f] for f in EXTERNAL_ID_FIELDS})
        for row in map(external_id_row, odoo_changes(odoo, source, columns=columns, fetch=fetch))
    )
    query = sql.SQL("SELECT id, {} FROM {} WHERE NOT deleted ORDER BY id").format(
        sql.SQL(", ").join(map(sql.Identifier, EXTERNAL_ID_FIELDS)),
        sql.Identifier(EXTERNAL_IDS.table),
    )

    def served() -> Iterator[tuple[int, dict[str, Any]]]:
        name = f"verify_served_external_ids_{next(_cursor_numbers)}"
        with _server_cursor(readmodel, name, fetch, row_factory=dict_row) as cur:
            for row in cur.execute(query):
                yield row.pop("id"), row

    exact = DiffRules(frozenset(), 0.0)
    compare(
        tally,
        merge_by_key(expected, served()),
        lambda want, have: field_differences(want, have, exact),
        progress.advance,
    )
