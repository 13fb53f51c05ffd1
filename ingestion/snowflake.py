"""Snowflake as a destination, and the raw-layer copy that the cutover runs.

:class:`SnowflakeDestination` implements the same :class:`~ingestion.destination.Destination`
protocol as :class:`~ingestion.destination.DuckDBDestination`, over a ``snowflake.connector``
connection (a real account or the local emulator, :mod:`cutover.emulator`). Two things differ
from DuckDB, and both are Snowflake facts, not emulator quirks:

- **Identifiers.** Snowflake folds unquoted identifiers to UPPER case, and dbt's models use
  unquoted names. So tables and columns are created upper-case (``"RAW"."APP_USERS"``), and a
  model's ``select user_id from raw.app_users`` finds them. (A quoted lower-case name would only
  be found by quoting it everywhere.)
- **Bulk loading.** Row-by-row ``INSERT`` (``cursor.executemany``) is the slow path: a few ms per
  row on the emulator, and on a real account every batch is a round trip. Snowflake's bulk path
  is to write a file, ``PUT`` it into a *stage* and ``COPY INTO`` the table -- here a Parquet file
  (typed, columnar) in the table's own stage ``@"RAW"."%TABLE"``. A JSON column travels as text
  and is parsed with ``PARSE_JSON`` into a ``VARIANT`` on the way in.

:func:`copy_raw_layer` copies the DuckDB warehouse's ``raw.*`` tables and ``meta.loads`` (which
source freshness reads) into Snowflake. Each table is replaced as a whole, so a re-run leaves the
same rows (idempotent); the raw layer is a log that ingestion already deduplicates by load id.

Why a copier and not the loaders writing to Snowflake directly: the loaders read their own
state (cursors, the file manifest) with DuckDB SQL through :meth:`query`, and they validate
rows in DuckDB anyway. At the cutover the raw layer already exists in DuckDB; copying it once
keeps one ingestion code path, and the destination here is the piece a Snowflake-native
ingestion would reuse.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ingestion.destination import Query
from ingestion.schemas import Column, validate_identifier

# DuckDB type (as ingestion declares it) -> Snowflake type.
SNOWFLAKE_TYPES: dict[str, str] = {
    "VARCHAR": "VARCHAR",
    "BIGINT": "NUMBER(38, 0)",
    "INTEGER": "NUMBER(38, 0)",
    "BOOLEAN": "BOOLEAN",
    "TIMESTAMP": "TIMESTAMP_NTZ",  # naive UTC wall time, as in the DuckDB raw layer
    "TIMESTAMP WITH TIME ZONE": "TIMESTAMP_TZ",
    "DATE": "DATE",
    "DOUBLE": "FLOAT",
    "JSON": "VARIANT",
}

# What the copy takes from the DuckDB warehouse: every raw table, and the load log freshness reads.
RAW_SCHEMA = "raw"
META_TABLES_COPIED = ("loads",)


def snowflake_type(duckdb_type: str) -> str:
    """The Snowflake column type for a DuckDB one (DECIMAL(p,s) becomes NUMBER(p,s))."""
    upper = duckdb_type.upper()
    if match := re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", upper):
        return f"NUMBER({match.group(1)}, {match.group(2)})"
    try:
        return SNOWFLAKE_TYPES[upper]
    except KeyError:
        raise ValueError(f"No Snowflake type for DuckDB type {duckdb_type!r}") from None


def ident(name: str) -> str:
    """A validated identifier, upper-cased and quoted: what Snowflake makes of an unquoted name."""
    return f'"{validate_identifier(name.lower()).upper()}"'


def qualified(schema: str, table: str) -> str:
    return f"{ident(schema)}.{ident(table)}"


class SnowflakeDestination:
    """A Snowflake database as the destination, over one connector connection.

    ``connect`` is a zero-argument callable returning a ``snowflake.connector`` connection with
    ``paramstyle="qmark"`` (e.g. ``Emulator.connect``); it is opened per session and closed
    afterwards, like the DuckDB destination.
    """

    def __init__(self, connect: Any) -> None:
        self._connect = connect
        self._con: Any = None
        self._parsing: duckdb.DuckDBPyConnection | None = None

    # -- connection handling -------------------------------------------------------------------
    @contextmanager
    def session(self) -> Iterator[SnowflakeDestination]:
        """An open connection for a few statements; closed on exit."""
        if self._con is not None:
            yield self
            return
        self._con = self._connect()
        try:
            yield self
        finally:
            self._con.close()
            self._con = None
            if self._parsing is not None:
                self._parsing.close()
                self._parsing = None

    @contextmanager
    def transaction(self) -> Iterator[SnowflakeDestination]:
        """BEGIN ... COMMIT, ROLLBACK on error. Note: in Snowflake a DDL statement (CREATE,
        DROP) commits the open transaction implicitly, so keep DDL out of a transaction that
        must be all-or-nothing (:func:`copy_raw_layer` creates its tables first)."""
        with self.session():
            self._execute("BEGIN")
            try:
                yield self
                self._execute("COMMIT")
            except BaseException:
                self._execute("ROLLBACK")
                raise

    def _execute(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple]:
        if self._con is None:
            raise RuntimeError("Use the destination inside `with dest.session():` or transaction()")
        cursor = self._con.cursor()
        try:
            cursor.execute(sql, list(params) if params else None)
            try:
                return list(cursor.fetchall())
            except Exception:  # noqa: BLE001 - statements without a result set
                return []
        finally:
            cursor.close()

    # -- DDL -----------------------------------------------------------------------------------
    def ensure_table(self, schema: str, table: str, columns: Sequence[Column]) -> None:
        self._execute(f"CREATE SCHEMA IF NOT EXISTS {ident(schema)}")
        cols = ", ".join(f"{ident(c.name)} {snowflake_type(c.type)}" for c in columns)
        self._execute(f"CREATE TABLE IF NOT EXISTS {qualified(schema, table)} ({cols})")

    def columns(self, schema: str, table: str) -> dict[str, str]:
        """Column name (lower-case, as ingestion names it) -> Snowflake data type."""
        rows = self._execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [schema.upper(), table.upper()],
        )
        return {name.lower(): type_ for name, type_ in rows}

    def add_columns(self, schema: str, table: str, columns: Sequence[Column]) -> None:
        existing = self.columns(schema, table)
        for column in columns:
            if column.name not in existing:
                self._execute(
                    f"ALTER TABLE {qualified(schema, table)} "
                    f"ADD COLUMN {ident(column.name)} {snowflake_type(column.type)}"
                )

    def drop_table(self, schema: str, table: str) -> None:
        self._execute(f"DROP TABLE IF EXISTS {qualified(schema, table)}")

    # -- DML -----------------------------------------------------------------------------------
    def parsing_connection(self) -> duckdb.DuckDBPyConnection:
        """A private in-memory DuckDB: loaders validate there and hand Arrow tables to append."""
        if self._parsing is None:
            self._parsing = duckdb.connect()
        return self._parsing

    def append(self, schema: str, table: str, data: pa.Table | Query) -> int:
        """Bulk-insert by column name: Parquet file -> PUT into the table's stage -> COPY INTO.

        JSON columns (VARIANT in Snowflake) go through a staging table as text, then
        ``INSERT ... SELECT PARSE_JSON(...)``: COPY would load a Parquet string as a VARIANT
        *string*, not as an object.
        """
        if isinstance(data, Query):
            data = self.parsing_connection().execute(data.sql, data.params).to_arrow_table()
            data = data.select(list(data.column_names))
        if data.num_rows == 0:
            return 0
        types = self.columns(schema, table)
        variant = [n for n in data.column_names if types.get(n, "").upper() in ("VARIANT", "JSON")]
        if variant:
            data = _json_as_text(data, variant)
            return self._append_via_staging(schema, table, data, variant, types)
        return self._copy_parquet(schema, table, data)

    def _copy_parquet(self, schema: str, table: str, data: pa.Table) -> int:
        with tempfile.TemporaryDirectory(prefix="sproutly-put-") as tmp:
            file = Path(tmp) / f"{table}.parquet"
            pq.write_table(data.rename_columns([n.upper() for n in data.column_names]), file)
            stage = _table_stage(schema, table)
            self._execute(f"PUT 'file://{file.as_posix()}' {stage} OVERWRITE = TRUE")
            # Columns are matched by name (a column list is not allowed with MATCH_BY_COLUMN_NAME).
            rows = self._execute(
                f"COPY INTO {qualified(schema, table)} FROM {stage} "
                "FILE_FORMAT = (TYPE = 'PARQUET') MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE "
                "PURGE = TRUE"
            )
        return sum(int(row[3]) for row in rows) if rows else 0

    def _append_via_staging(
        self, schema: str, table: str, data: pa.Table, variant: list[str], types: dict[str, str]
    ) -> int:
        staging = f"_copy_{table}"
        columns = [
            Column(n, "VARCHAR" if n in variant else _duckdb_type(types.get(n, "VARCHAR")))
            for n in data.column_names
        ]
        self.drop_table(schema, staging)
        self.ensure_table(schema, staging, columns)
        try:
            self._copy_parquet(schema, staging, data)
            names = ", ".join(ident(n) for n in data.column_names)
            select = ", ".join(
                f"parse_json({ident(n)})" if n in variant else ident(n) for n in data.column_names
            )
            rows = self._execute(
                f"INSERT INTO {qualified(schema, table)} ({names}) "  # noqa: S608 - validated identifiers
                f"SELECT {select} FROM {qualified(schema, staging)}"
            )
        finally:
            self.drop_table(schema, staging)
        return int(rows[0][0]) if rows else data.num_rows

    def delete_where(
        self,
        schema: str,
        table: str,
        column: str | None,
        *,
        equals: Any = None,
        starts_with: str = "",
    ) -> int:
        if column is None:
            sql, params = f"DELETE FROM {qualified(schema, table)}", []  # noqa: S608
        elif equals is not None:
            sql, params = (
                f"DELETE FROM {qualified(schema, table)} WHERE {ident(column)} = ?",  # noqa: S608
                [equals],
            )
        elif starts_with:
            sql, params = (
                f"DELETE FROM {qualified(schema, table)} WHERE startswith({ident(column)}, ?)",  # noqa: S608
                [starts_with],
            )
        else:
            raise ValueError("delete_where needs equals= or a non-empty starts_with=")
        rows = self._execute(sql, params)
        return int(rows[0][0]) if rows else 0

    # -- reads ---------------------------------------------------------------------------------
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return self._execute(sql, params)

    def query_arrow(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        if self._con is None:
            raise RuntimeError("Use the destination inside `with dest.session():`")
        cursor = self._con.cursor()
        try:
            cursor.execute(sql, list(params) if params else None)
            return cursor.fetch_arrow_all(force_return_table=True)
        finally:
            cursor.close()


def _table_stage(schema: str, table: str) -> str:
    """A table's own stage, ``@SCHEMA.%TABLE``: every Snowflake table has one, no CREATE STAGE
    needed. Names are validated (letters, digits, underscores), so unquoted is safe."""
    return f"@{validate_identifier(schema.lower()).upper()}.%{validate_identifier(table.lower()).upper()}"


def _duckdb_type(snowflake: str) -> str:
    """Back from a Snowflake type name (information_schema) to ingestion's DuckDB name."""
    upper = snowflake.upper()
    if upper.startswith(("NUMBER", "INT", "BIGINT")):
        return "BIGINT"
    if upper.startswith("TIMESTAMP"):
        return "TIMESTAMP"
    if upper in ("BOOLEAN", "VARIANT", "JSON"):
        return "JSON" if upper != "BOOLEAN" else "BOOLEAN"
    return "VARCHAR"


def _json_as_text(data: pa.Table, names: list[str]) -> pa.Table:
    for name in names:
        index = data.column_names.index(name)
        data = data.set_column(index, name, data.column(name).cast(pa.string()))
    return data


@dataclass(frozen=True)
class CopiedTable:
    """One table copied: where from, where to, rows on each side."""

    source: str
    target: str
    source_rows: int
    target_rows: int


def raw_tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """``(schema, table)`` of everything the copy takes: every ``raw`` table, then ``meta.loads``."""
    rows = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_type = 'BASE TABLE' and (table_schema = ? "
        "or (table_schema = 'meta' and table_name in (select unnest(?)))) "
        "order by table_schema desc, table_name",
        [RAW_SCHEMA, list(META_TABLES_COPIED)],
    ).fetchall()
    return [(schema, table) for schema, table in rows]


def copy_raw_layer(warehouse: Path | str, dest: SnowflakeDestination) -> list[CopiedTable]:
    """Copy ``raw.*`` and ``meta.loads`` from a DuckDB warehouse into Snowflake, replacing them.

    Types come from the DuckDB tables (ingestion's explicit schema), mapped by
    :func:`snowflake_type`. Each table is re-created and filled, so a re-run gives the same rows.
    The DuckDB file is opened read-only and closed before returning.
    """
    copied: list[CopiedTable] = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = raw_tables(con)
        if not any(schema == RAW_SCHEMA for schema, _ in tables):
            raise FileNotFoundError(f"No raw tables in {warehouse}: run the ingestion first.")
        with dest.session():
            for schema, table in tables:
                described = con.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = ? and table_name = ? order by ordinal_position",
                    [schema, table],
                ).fetchall()
                columns = [Column(name, data_type) for name, data_type in described]
                data = con.execute(
                    f'select * from "{validate_identifier(schema)}"."{validate_identifier(table)}"'  # noqa: S608
                ).to_arrow_table()
                # Re-create: a table's columns may have grown (schema drift) since the last copy.
                dest.drop_table(schema, table)
                dest.ensure_table(schema, table, columns)
                dest.append(schema, table, data)
                (count,) = dest.query(f"select count(*) from {qualified(schema, table)}")[0]  # noqa: S608
                copied.append(
                    CopiedTable(f"{schema}.{table}", qualified(schema, table), data.num_rows, count)
                )
    return copied
