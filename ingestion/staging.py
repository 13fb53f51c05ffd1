"""From numbered JSON lines to raw rows + quarantine rows, inside the load's transaction.

Every source calls :func:`write_lines` the same way; only where the lines come from differs
(an event file, an app-DB extract, API pages). The steps, each one set-based SQL:

1. make sure the raw table exists with its declared columns (plus columns added by earlier drift);
2. type every line against the schema (:func:`ingestion.validate.stage_typed`);
3. schema drift: top-level keys never seen before become new VARCHAR columns, logged in
   ``meta.schema_changes`` (faults.md row 9);
4. optionally skip rows already in raw (same key and ``updated_at``: a lookback window re-reads
   them) and rejected rows already in quarantine, so re-runs add nothing;
5. insert valid rows (with ``_load_id``, ``_loaded_at``, ``_source``) and rejected rows (with
   location and reason).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ingestion.bookkeeping import record_schema_changes
from ingestion.destination import Destination, Query
from ingestion.schemas import LOAD_COLUMNS, META_SCHEMA, RAW_SCHEMA, Column, EntitySchema
from ingestion.validate import extra_value_expr, new_keys, stage_typed

TYPED = "_ingestion_typed"
LOAD_COLUMN_NAMES = {c.name for c in LOAD_COLUMNS}


@dataclass
class Written:
    offered: int = 0  # rows the source offered that were not already loaded
    loaded: int = 0
    quarantined: int = 0
    already_loaded: int = 0  # re-read in the lookback window, already in raw or quarantine
    max_cursor: datetime | None = None  # max(cursor_column) over valid rows
    added_columns: tuple[str, ...] = ()

    def __iadd__(self, other: Written) -> Written:
        self.offered += other.offered
        self.loaded += other.loaded
        self.quarantined += other.quarantined
        self.already_loaded += other.already_loaded
        if other.max_cursor and (not self.max_cursor or other.max_cursor > self.max_cursor):
            self.max_cursor = other.max_cursor
        self.added_columns += other.added_columns
        return self


def ensure_raw_table(dest: Destination, schema: EntitySchema) -> list[Column]:
    """Create the raw table if needed; return the columns to extract (declared + drift)."""
    existing = dest.columns(RAW_SCHEMA, schema.table)
    if not existing:
        dest.ensure_table(RAW_SCHEMA, schema.table, (*schema.columns, *LOAD_COLUMNS))
        return list(schema.columns)
    # a column declared after the table was made (a contract change, e.g. the refund columns of
    # billing invoices): add it with its declared type; older rows read NULL
    missing = [c for c in schema.columns if c.name not in existing]
    if missing:
        dest.add_columns(RAW_SCHEMA, schema.table, missing)
    declared = set(schema.column_names)
    drift = [
        Column(name, "VARCHAR")
        for name in existing
        if name not in declared and name not in LOAD_COLUMN_NAMES
    ]
    return [*schema.columns, *drift]


def write_lines(
    dest: Destination,
    schema: EntitySchema,
    *,
    load_id: str,
    now: datetime,
    lines_sql: str,
    params: dict[str, Any],
    src_expr: str,
    loc_expr: str,
    expr_params: dict[str, Any] | None = None,
    passthrough: tuple[str, ...] = (),
    dedupe_since: datetime | None | bool = False,
    reason_column: str | None = None,
    cursor_cap: datetime | None = None,
) -> Written:
    """Type ``lines_sql`` (yielding ``_n, _line`` + ``passthrough``) and write it.

    ``src_expr``/``loc_expr`` are SQL over the typed table (e.g. ``$prefix || _n``) giving each
    row's ``_source`` and each rejected row's quarantine location (``t`` is the typed table);
    their parameters go in ``expr_params``. ``dedupe_since``: False = no dedupe (event files: the
    manifest already guarantees a file is read once); None = compare against all of raw; a
    datetime = only raw rows with ``cursor_column >= dedupe_since`` can match (what a lookback
    window can re-read). ``reason_column``: a column of ``lines_sql`` with a reason found before
    typing (the line is rejected with it). ``cursor_cap``: the load's "now"; a row whose cursor
    column is later is rejected, so it never moves the cursor (it is offered again next time,
    and skipped while it is already in quarantine).
    """
    con = dest.parsing_connection()
    columns = ensure_raw_table(dest, schema)
    if reason_column is not None:
        passthrough = (*passthrough, reason_column)
    cap = None
    if cursor_cap is not None and schema.cursor_column:
        cap = (schema.cursor_column, cursor_cap)
    stage_typed(
        con,
        lines_sql,
        params,
        columns,
        passthrough=passthrough,
        table=TYPED,
        reason_column=reason_column,
        cursor_cap=cap,
    )
    raw_columns = set(dest.columns(RAW_SCHEMA, schema.table))
    added = new_keys(con, raw_columns, table=TYPED)
    if added:
        dest.add_columns(RAW_SCHEMA, schema.table, [Column(name) for name in added])
        record_schema_changes(dest, load_id, schema.entity, added, now)

    valid_filter, bad_filter = "t._reason IS NULL", "t._reason IS NOT NULL"
    if dedupe_since is not False:
        valid_filter += _register_existing_rows(dest, schema, dedupe_since)
        bad_filter += _register_existing_quarantine(dest, schema)

    out = Written(added_columns=tuple(added))
    (total,) = con.execute(f"SELECT count(*) FROM {TYPED}").fetchall()[0]  # noqa: S608 - identifiers validated, values bound
    (fresh,) = con.execute(
        f"SELECT count(*) FROM {TYPED} t WHERE ({valid_filter}) OR ({bad_filter})"  # noqa: S608 - identifiers validated, values bound
    ).fetchall()[0]
    out.already_loaded = total - fresh
    out.offered = fresh
    if schema.cursor_column:
        cursor = f'"{schema.cursor_column}"'
        out.max_cursor = con.execute(
            f"SELECT max({cursor}) FROM {TYPED} WHERE _reason IS NULL"  # noqa: S608 - identifiers validated, values bound
        ).fetchall()[0][0]

    select = [f't."{c.name}"' for c in columns]
    select += [f'{extra_value_expr(name)} AS "{name}"' for name in added]
    select += ["$load_id AS _load_id", "$loaded_at AS _loaded_at", f"{src_expr} AS _source"]
    expr_params = dict(expr_params or {})
    names = (*[c.name for c in columns], *added, "_load_id", "_loaded_at", "_source")
    valid = Query(
        # No ORDER BY: sorting 10M rows costs seconds, and raw is a set (readers order it).
        f"SELECT {', '.join(select)} FROM {TYPED} t WHERE {valid_filter}",  # noqa: S608 - identifiers validated, values bound
        {"load_id": load_id, "loaded_at": now, **expr_params},
        names,
    )
    out.loaded = dest.append(RAW_SCHEMA, schema.table, valid)
    rejected = Query(
        f"SELECT $load_id AS load_id, $source AS source, $entity AS entity, "  # noqa: S608 - identifiers validated, values bound
        f"{loc_expr} AS location, t._reason AS reason, t._line AS payload "
        f"FROM {TYPED} t WHERE {bad_filter} ORDER BY t._n",
        {"load_id": load_id, "source": schema.source, "entity": schema.entity, **expr_params},
        ("load_id", "source", "entity", "location", "reason", "payload"),
    )
    out.quarantined = dest.append(META_SCHEMA, "quarantine", rejected)
    con.execute(f"DROP TABLE IF EXISTS {TYPED}")
    return out


def _register_existing_rows(dest: Destination, schema: EntitySchema, since: datetime | None) -> str:
    """Register (key, cursor) pairs already in raw; return the anti-join filter for valid rows."""
    keys = [*schema.key, schema.cursor_column]
    cols = ", ".join(f'"{k}"' for k in keys)
    sql = f"SELECT DISTINCT {cols} FROM {RAW_SCHEMA}.{schema.table}"  # noqa: S608 - identifiers validated, values bound
    params: list[Any] = []
    if since is not None:
        sql += f' WHERE "{schema.cursor_column}" >= ?'
        params.append(since)
    existing = dest.query_arrow(sql, params)
    dest.parsing_connection().register("_ingestion_existing", existing)
    match = " AND ".join(f'e."{k}" = t."{k}"' for k in keys)
    return f" AND NOT EXISTS (SELECT 1 FROM _ingestion_existing e WHERE {match})"  # noqa: S608 - identifiers validated, values bound


def _register_existing_quarantine(dest: Destination, schema: EntitySchema) -> str:
    existing = dest.query_arrow(
        f"SELECT DISTINCT payload FROM {META_SCHEMA}.quarantine WHERE source = ? AND entity = ?",  # noqa: S608 - identifiers validated, values bound
        [schema.source, schema.entity],
    )
    dest.parsing_connection().register("_ingestion_existing_bad", existing)
    return " AND NOT EXISTS (SELECT 1 FROM _ingestion_existing_bad q WHERE q.payload = t._line)"
