"""The app database (SQLite): incremental by ``updated_at`` with a lookback window, or full refresh.

The app's rows are mutable: a user changes their email, a subscription is canceled. Each change
bumps ``updated_at``, so an incremental extract asks for ``updated_at >= cursor - lookback``.
The lookback re-reads the last hour on purpose (a row committed late with an older
``updated_at`` is not missed); rows re-read that raw already has for the same key and
``updated_at`` are skipped, so a re-run adds nothing.

The database is opened read-only (``file:...?mode=ro``): the loader can never modify the app.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path

import pyarrow as pa

from ingestion.schemas import EntitySchema, validate_identifier

APP_TS_FORMAT = "%Y-%m-%d %H:%M:%S"  # the app stores TEXT timestamps in UTC


def connect_read_only(path: Path) -> sqlite3.Connection:
    if not path.exists():
        raise FileNotFoundError(
            f"No app database at {path}. Generate the sources first "
            "(`uv run python -m microproduct init`) or set SPROUTLY_DATA_DIR."
        )
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def extract(path: Path, schema: EntitySchema, since: datetime | None) -> pa.Table:
    """Rows changed since ``since`` (all rows when None) as numbered JSON lines.

    Returns columns ``_n, _line, _src, _loc``: ``_src`` is ``app.db:<table>`` (the raw ``_source``),
    ``_loc`` adds the SQLite rowid so a rejected row can be found again.
    """
    table = validate_identifier(schema.entity)
    cursor_column = validate_identifier(schema.cursor_column or "updated_at")
    sql = f'SELECT rowid AS _rowid, * FROM "{table}"'  # noqa: S608 - identifiers validated, values bound
    params: list[str] = []
    if since is not None:
        sql += f' WHERE "{cursor_column}" >= ?'
        params.append(since.strftime(APP_TS_FORMAT))
    sql += f' ORDER BY "{cursor_column}", rowid'
    con = connect_read_only(path)
    try:
        cur = con.execute(sql, params)
        names = [d[0] for d in cur.description]
        rows = cur.fetchall()
    finally:
        con.close()
    lines, locs = [], []
    for row in rows:
        record = dict(zip(names, row, strict=True))
        rowid = record.pop("_rowid")
        lines.append(json.dumps(record, sort_keys=True, default=str))
        locs.append(f"app.db:{table} rowid={rowid}")
    return pa.table(
        {
            "_n": pa.array(range(1, len(lines) + 1), pa.int64()),
            "_line": pa.array(lines, pa.string()),
            "_src": pa.array([f"app.db:{table}"] * len(lines), pa.string()),
            "_loc": pa.array(locs, pa.string()),
        }
    )
