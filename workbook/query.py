"""Short-lived, read-only queries for notebooks.

DuckDB allows ONE read-write process or MANY read-only ones per file. A notebook that keeps a
connection open blocks the pipeline (dbt, ingestion, Dagster) from writing: the classic
"Could not set lock on file" error. So every :func:`query` call opens a read-only connection,
runs one statement, returns a pandas DataFrame and closes the connection again.

    query("select count(*) as users from staging.stg_app__users")
    query("select * from users where country_code = ?", ["DE"], database="app")  # the app's SQLite
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from sproutly import paths

DATABASES = ("warehouse", "serving", "app", "billing", "memory")


class WarehouseLocked(RuntimeError):
    """Another process holds the DuckDB file for writing."""


def database_path(database: str | Path) -> Path | None:
    """The file behind a database name (``None`` for the in-memory DuckDB)."""
    if isinstance(database, Path):
        return database
    return {
        "warehouse": paths.warehouse_path,
        "serving": paths.serving_path,
        "app": paths.app_db_path,
        "billing": paths.billing_db_path,
        "memory": lambda: None,
    }[database]()


def _relative(path: Path) -> str:
    try:
        return "<data>/" + path.resolve().relative_to(paths.data_dir()).as_posix()
    except ValueError:
        return path.name


def _locked_error(path: Path, error: Exception) -> WarehouseLocked:
    pid = re.search(r"PID (\d+)", str(error))
    holder = f"process {pid.group(1)}" if pid else "another process"
    return WarehouseLocked(
        f"{_relative(path)} is locked by {holder}, which is writing to it (a pipeline run: "
        "ingestion, dbt or Dagster). Wait until that run finishes and query again. If nothing "
        "should be running, a notebook kernel or Python session still holds a connection: close "
        f"it (con.close()) or restart that kernel{f' (PID {pid.group(1)})' if pid else ''}."
    )


def _query_sqlite(path: Path, sql: str, params: Sequence | dict | None) -> pd.DataFrame:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return pd.read_sql_query(sql, connection, params=params)
    finally:
        connection.close()


def _query_duckdb(path: Path | None, sql: str, params: Sequence | dict | None) -> pd.DataFrame:
    import duckdb

    try:
        connection = (
            duckdb.connect(str(path), read_only=True) if path is not None else duckdb.connect()
        )
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise _locked_error(path, error) from None
        raise
    try:
        connection.execute("set TimeZone = 'UTC'")
        return connection.execute(sql, params).df()
    finally:
        connection.close()


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return text.replace("'", "''")


def _per_table(schema: str, columns: dict[str, str], database: str | Path) -> pd.DataFrame:
    """One row per table of ``schema``: ``table_name`` and each of ``columns`` (name -> SQL
    expression over the table, aliased ``t``), sorted by table name."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", schema):
        raise ValueError(f"not a schema name: {schema!r}")
    tables = query(
        "select table_name from information_schema.tables "
        "where table_schema = ? and table_type = 'BASE TABLE' order by table_name",
        [schema],
        database=database,
    )["table_name"]
    if tables.empty:
        return pd.DataFrame({name: [] for name in ["table_name", *columns]})
    select = ", ".join(f"{expression} as {name}" for name, expression in columns.items())
    # Table names come from the catalog, the schema from the allow-list above; both are quoted.
    parts = [
        f"select '{_literal(name)}' as table_name, {select} "  # noqa: S608
        f"from {_identifier(schema)}.{_identifier(name)} as t"
        for name in tables
    ]
    return query(" union all ".join(parts) + " order by table_name", database=database)  # noqa: S608


def row_counts(schema: str = "raw", *, database: str | Path = "warehouse") -> pd.DataFrame:
    """Exact row counts of every table in ``schema`` (columns ``table_name``, ``row_count``)."""
    return _per_table(schema, {"row_count": "count(*)"}, database)


def query(
    sql: str, params: Sequence | dict | None = None, *, database: str | Path = "warehouse"
) -> pd.DataFrame:
    """Run one SQL statement read-only and return the result as a DataFrame.

    Args:
        sql: the statement; use ``?`` (or ``$name``) placeholders for values, never f-strings.
        params: values for the placeholders.
        database: ``"warehouse"`` (DuckDB, default), ``"serving"`` (the published marts),
            ``"app"`` / ``"billing"`` (the product's SQLite databases), ``"memory"`` (an empty
            DuckDB, e.g. for ``read_json`` over the event files), or a path to a DuckDB file.

    The connection is closed before this returns, so a pipeline run can write right after.
    """
    if not isinstance(database, Path) and database not in DATABASES:
        raise ValueError(f"database must be one of {DATABASES} or a Path, got {database!r}")
    path = database_path(database)
    if path is not None and not path.exists():
        hint = {
            "warehouse": "nothing has been loaded yet: run checkpoint('02') or load the sources",
            "serving": "nothing has been published yet: run the pipeline (checkpoint('07'))",
        }.get(str(database), "generate the sources first: checkpoint('00')")
        raise FileNotFoundError(f"{_relative(path)} does not exist: {hint}.")
    if database in ("app", "billing"):
        return _query_sqlite(path, sql, params)
    return _query_duckdb(path, sql, params)


def fingerprints(database: str | Path = "warehouse", schema: str = "marts") -> pd.DataFrame:
    """Row count and a content hash (first 12 hex digits, independent of row order) of every
    table in ``schema``: equal fingerprints mean equal contents."""
    content_hash = "left(md5(coalesce(string_agg(hash(t)::varchar, ',' order by hash(t)), '')), 12)"
    return _per_table(schema, {"row_count": "count(*)", "content_hash": content_hash}, database)
