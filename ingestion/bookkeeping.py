"""The ``meta`` schema: what was loaded, when, from where, and what was rejected.

- ``meta.loads``: one row per load attempt, with the cursor before/after and the row counts.
  The cursor of the next incremental load is the ``cursor_after`` of the latest committed load.
- ``meta.quarantine``: every rejected row with its location (``file:line`` or request) and reason.
- ``meta.file_manifest``: every event file loaded, with its content hash (sha256).
- ``meta.schema_changes``: every column added to a raw table because the source grew one.

Load ids are deterministic (``<entity>-<clock>-<counter>``, e.g. ``events-20260501T000000-0001``)
so notebook outputs do not change from run to run.
"""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa

from ingestion.destination import Destination
from ingestion.results import LoadResult
from ingestion.schemas import META_SCHEMA, META_TABLES, EntitySchema


def ensure_meta(dest: Destination) -> None:
    for table, columns in META_TABLES.items():
        dest.ensure_table(META_SCHEMA, table, columns)


def load_prefix(schema: EntitySchema, now: datetime) -> str:
    return f"{schema.table}-{now:%Y%m%dT%H%M%S}-"


def next_load_id(dest: Destination, schema: EntitySchema, now: datetime) -> str:
    """``<table>-<now>-<n>``: n counts earlier attempts with the same clock (failed ones too)."""
    prefix = load_prefix(schema, now)
    (count,) = dest.query(
        "select count(*) from meta.loads where starts_with(load_id, ?)", [prefix]
    )[0]
    return f"{prefix}{count + 1:04d}"


def last_cursor(dest: Destination, schema: EntitySchema) -> str | None:
    """``cursor_after`` of the latest committed (non-failed) load of this entity.

    The latest load's, not the largest ever: a full refresh recomputes the cursor from what it
    loaded, so it can lower a cursor that a bad value once pushed too far (fault catalogue row
    28). Latest = last written (``meta.loads`` is append-only, so DuckDB's ``rowid`` is the
    order of writing), not the largest ``started_at``: a load run with a wrong clock must not
    stay "latest" for ever either.
    """
    rows = dest.query(
        "select cursor_after from meta.loads where source = ? and entity = ? "
        "and status <> 'failed' order by rowid desc limit 1",
        [schema.source, schema.entity],
    )
    return rows[0][0] if rows else None


def record_load(dest: Destination, result: LoadResult, now: datetime) -> None:
    """Append the ``meta.loads`` row (inside the load's own transaction, or alone for a failure)."""
    row = {
        "load_id": [result.load_id],
        "source": [result.source],
        "entity": [result.entity],
        "strategy": [result.strategy],
        "started_at": [now],
        "finished_at": [now],
        "status": [result.status],
        "rows_offered": [result.rows_offered],
        "rows_loaded": [result.rows_loaded],
        "rows_quarantined": [result.rows_quarantined],
        "cursor_before": [result.cursor_before],
        "cursor_after": [result.cursor_after],
        "message": [result.message],
    }
    dest.append(META_SCHEMA, "loads", pa.table(row))


def record_schema_changes(
    dest: Destination, load_id: str, entity: str, columns: list[str], now: datetime
) -> None:
    if not columns:
        return
    n = len(columns)
    dest.append(
        META_SCHEMA,
        "schema_changes",
        pa.table(
            {
                "load_id": [load_id] * n,
                "entity": [entity] * n,
                "column_name": columns,
                "change": ["added"] * n,
                "detected_at": pa.array([now] * n, pa.timestamp("us")),
            }
        ),
    )
