"""Parity: is every mart the same on DuckDB and on Snowflake?

A cutover is proven by data, not by a green build. For every mart (every model under
``models/marts/``, read from dbt's manifest, never a hand-kept list) we compute on each side

- the row count, and
- an **order-independent content hash**: each row is rendered as canonical text, hashed with md5,
  and the hashes are summed (mod 2**64). Summing makes the result independent of row order (two
  warehouses return rows in different orders); md5 makes a change in any value of any row change
  the sum.

"Canonical" is what makes the two engines comparable, without hiding real differences:

| value | rendered as |
|---|---|
| NULL | ``\\N`` (a marker no real value takes) |
| number | rounded (half away from zero, as Snowflake rounds) to the **precision the mart's contract declares** for its column: ``decimal(18, 4)`` to 4 places, an integer type to 0, ``double`` to 6 (see below); an undeclared column to 6 |
| boolean | ``true`` / ``false`` |
| timestamp | UTC, ``YYYY-MM-DD HH:MM:SS.ffffff`` (a naive timestamp is UTC by our convention) |
| date | ``YYYY-MM-DD`` |
| text | as is |

Why a ``double`` counts to 6 places: Snowflake divides two integers into a NUMBER with 6 decimals
(DuckDB into a DOUBLE), so a rate is exact to 6 places on one side and to ~15 digits on the other.
Rounding both to 6, half away from zero like Snowflake, makes them agree (1/128 = 0.0078125 and
0.007813), while a difference in the 6th place still counts. A declared ``decimal(18, 4)`` is
compared to 4 places: a mart that differs by 0.0001 differs.

Column names are lower-cased (Snowflake upper-cases unquoted names) and columns are taken in
sorted order. Example::

    report = parity_report(duckdb_path, emulator.connect, manifest_path)
    report[["mart", "duckdb_rows", "snowflake_rows", "equal"]]
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from sproutly import dbt as sproutly_dbt

NULL = "\\N"
SEPARATOR = "\x1f"  # ASCII unit separator: cannot appear in our data
DECIMALS = 6  # an undeclared column; and a declared double (Snowflake's integer-division scale)
_INTEGER_TYPES = {"tinyint", "smallint", "integer", "int", "bigint", "hugeint", "number"}
_FLOAT_TYPES = {"double", "float", "real", "float4", "float8", "double precision"}
_SCALED = re.compile(r"(?:decimal|numeric|number)\s*\(\s*\d+\s*,\s*(\d+)\s*\)")

COLUMNS = [
    "mart",
    "duckdb_rows",
    "snowflake_rows",
    "duckdb_hash",
    "snowflake_hash",
    "columns_match",
    "equal",
]


def mart_models(manifest_path: Path | str) -> list[tuple[str, str]]:
    """``(schema, name)`` of every model under ``models/marts/``, sorted, from dbt's manifest."""
    marts = sproutly_dbt.mart_models(sproutly_dbt.manifest(manifest_path))
    if not marts:
        raise ValueError(f"No models under models/marts/ in {manifest_path}")
    return sorted(marts, key=lambda pair: pair[1])


def declared_decimals(data_type: str | None) -> int:
    """The decimal places a column's declared ``data_type`` keeps (:data:`DECIMALS` if unknown)."""
    text = " ".join((data_type or "").lower().split())
    if match := _SCALED.fullmatch(text):
        return int(match.group(1))
    if text in _INTEGER_TYPES:
        return 0
    return DECIMALS  # double / float, and anything undeclared


def mart_decimals(
    manifest_json: Mapping[str, Any], marts: Iterable[tuple[str, str]]
) -> dict[str, dict[str, int]]:
    """``{mart: {column: decimal places}}`` from the marts' declared (contract) column types."""
    names = {name for _, name in marts}
    return {
        node["name"]: {
            column.lower(): declared_decimals(spec.get("data_type"))
            for column, spec in node.get("columns", {}).items()
        }
        for node in manifest_json.get("nodes", {}).values()
        if node.get("resource_type") == "model" and node.get("name") in names
    }


def canonical(value: Any, decimals: int = DECIMALS) -> str:
    """One value as canonical text (see the module docstring's table); numbers are rounded to
    ``decimals`` places, half away from zero."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        value = decimal.Decimal(repr(value))
    if isinstance(value, int):
        value = decimal.Decimal(value)
    if isinstance(value, decimal.Decimal):
        quantum = decimal.Decimal(1).scaleb(-decimals)
        rounded = value.quantize(quantum, rounding=decimal.ROUND_HALF_UP)
        return format(rounded + 0, "f")  # + 0 turns -0 into 0
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, pd.Timestamp):
        return canonical(value.to_pydatetime(), decimals)
    return str(value)


def fingerprint(table: pa.Table, decimals: Mapping[str, int] | None = None) -> tuple[int, str]:
    """``(row count, content hash)`` of an Arrow table, independent of row and column order.

    ``decimals``: places per (lower-case) column name, e.g. from :func:`mart_decimals`; a column
    not in it is rounded to :data:`DECIMALS`.
    """
    decimals = decimals or {}
    names = sorted(table.column_names, key=str.lower)
    columns = [table.column(name).to_pylist() for name in names]
    places = [decimals.get(name.lower(), DECIMALS) for name in names]
    total = 0
    for row in zip(*columns, strict=True) if columns else ():
        text = SEPARATOR.join(
            canonical(value, column_places)
            for value, column_places in zip(row, places, strict=True)
        )
        total = (total + int(hashlib.md5(text.encode()).hexdigest()[:16], 16)) % 2**64  # noqa: S324 - a checksum, not security
    return table.num_rows, f"{total:016x}"


def duckdb_tables(warehouse: Path | str, marts: Iterable[tuple[str, str]]) -> dict[str, pa.Table]:
    """Each mart of the DuckDB warehouse as Arrow (read-only connection, closed afterwards)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            name: _lower(con.sql(f'select * from "{schema}"."{name}"').to_arrow_table())  # noqa: S608 - names from dbt's manifest
            for schema, name in marts
        }


def snowflake_tables(
    connect: Callable[[], Any], marts: Iterable[tuple[str, str]]
) -> dict[str, pa.Table]:
    """Each mart of the Snowflake database as Arrow, over one connection."""
    con = connect()
    try:
        tables = {}
        for schema, name in marts:
            cursor = con.cursor()
            try:
                cursor.execute(f"select * from {schema.upper()}.{name.upper()}")  # noqa: S608 - names from dbt's manifest
                tables[name] = _lower(cursor.fetch_arrow_all(force_return_table=True))
            finally:
                cursor.close()
        return tables
    finally:
        con.close()


def _lower(table: pa.Table) -> pa.Table:
    return table.rename_columns([name.lower() for name in table.column_names])


def compare(
    duck: dict[str, pa.Table],
    snow: dict[str, pa.Table],
    decimals: Mapping[str, Mapping[str, int]] | None = None,
) -> pd.DataFrame:
    """The parity table for two sets of marts with the same names, sorted by mart.
    ``decimals``: ``{mart: {column: places}}`` (:func:`mart_decimals`), the declared precision."""
    decimals = decimals or {}
    rows = []
    for name in sorted(duck):
        d_rows, d_hash = fingerprint(duck[name], decimals.get(name))
        s_rows, s_hash = fingerprint(snow[name], decimals.get(name))
        columns_match = sorted(duck[name].column_names) == sorted(snow[name].column_names)
        rows.append(
            {
                "mart": name,
                "duckdb_rows": d_rows,
                "snowflake_rows": s_rows,
                "duckdb_hash": d_hash,
                "snowflake_hash": s_hash,
                "columns_match": columns_match,
                "equal": columns_match and d_rows == s_rows and d_hash == s_hash,
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


def parity_report(
    duckdb_path: Path | str,
    snowflake_connect: Callable[[], Any],
    manifest_path: Path | str,
    *,
    marts: Sequence[tuple[str, str]] | None = None,
) -> pd.DataFrame:
    """Compare every mart between a DuckDB warehouse and a Snowflake database.

    ``snowflake_connect``: a zero-argument callable returning a snowflake.connector connection
    whose database holds the marts (``Emulator.connect`` or :func:`cutover.run.real_connect`).
    ``manifest_path``: a dbt ``manifest.json`` the marts are discovered from (``marts`` overrides).
    Numbers are compared at the precision each mart's contract declares (:func:`mart_decimals`).
    One row per mart, sorted by name; ``equal`` is True when columns, row counts and hashes agree.
    """
    marts = list(marts) if marts is not None else mart_models(manifest_path)
    decimals = mart_decimals(sproutly_dbt.manifest(manifest_path), marts)
    return compare(
        duckdb_tables(duckdb_path, marts), snowflake_tables(snowflake_connect, marts), decimals
    )
