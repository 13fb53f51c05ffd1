"""Where loaded rows go: a small, engine-neutral destination interface and its DuckDB implementation.

The loaders only ever talk to a :class:`Destination`. That keeps them honest about what they need
from a warehouse (a transaction, tables with explicit columns, append, delete, read some state) and
lets a Snowflake implementation slot in later without touching the sources.

DuckDB discipline (docs/design.md section 3): a DuckDB file allows one read-write process at a
time, so :class:`DuckDBDestination` opens the file for one load and closes it afterwards, never
holding it between loads. Every load is one explicit ``BEGIN ... COMMIT``: data rows, quarantine
rows, manifest rows and the ``meta.loads`` row commit together or not at all.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow as pa

from ingestion.schemas import Column, quote_identifier, validate_identifier
from sproutly.settings import settings

# Test hook (faults.md row 16): when set to a file path, the loader touches that file just before
# COMMIT and sleeps, so a test can SIGKILL it while the transaction is open. Never set in real use.
PAUSE_BEFORE_COMMIT_ENV = "SPROUTLY_INGESTION_PAUSE_BEFORE_COMMIT"


@dataclass(frozen=True)
class Query:
    """Rows to append, as a SELECT on the destination's :meth:`~Destination.parsing_connection`.

    ``sql`` is written by this package; data reaches it only through ``params``.
    """

    sql: str
    params: dict[str, Any]
    columns: tuple[str, ...]


class WarehouseLocked(RuntimeError):
    """Another process holds the warehouse file (faults.md rows 17 and 18)."""


def qualified(schema: str, table: str) -> str:
    """``"schema"."table"`` from validated identifiers."""
    return f"{quote_identifier(schema)}.{quote_identifier(table)}"


class Destination(Protocol):
    """What a loader needs from a warehouse. All writes happen inside :meth:`transaction`."""

    def transaction(self) -> Any:
        """Context manager: BEGIN on entry, COMMIT on success, ROLLBACK on any exception."""

    def ensure_table(self, schema: str, table: str, columns: Sequence[Column]) -> None:
        """Create the schema and table with exactly these columns if they do not exist yet."""

    def columns(self, schema: str, table: str) -> dict[str, str]:
        """Column name -> type of an existing table (empty if the table does not exist)."""

    def add_columns(self, schema: str, table: str, columns: Sequence[Column]) -> None:
        """Schema drift: add new nullable columns (columns are never dropped)."""

    def append(self, schema: str, table: str, data: pa.Table | Query) -> int:
        """Insert rows by column name; returns the number of rows inserted.

        ``data`` is an Arrow table, or a :class:`Query` on :meth:`parsing_connection`.
        """

    def parsing_connection(self) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection for set-based validation (see :mod:`ingestion.validate`).

        A DuckDB destination returns its own connection (inside the open transaction), so typed
        rows never leave the engine; another engine would return a private in-memory DuckDB and
        receive Arrow tables in :meth:`append`.
        """

    def delete_where(
        self,
        schema: str,
        table: str,
        column: str | None,
        *,
        equals: Any = None,
        starts_with: str = "",
    ) -> int:
        """Delete rows whose ``column`` equals a value or starts with a prefix (partition
        reloads); ``column=None`` deletes every row (full refresh). Returns rows deleted."""

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        """Read state (cursors, manifest, counts) with bound parameters."""

    def query_arrow(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        """Read state as an Arrow table."""


class DuckDBDestination:
    """A DuckDB file as the destination. Open per load, closed afterwards.

    ``settings`` are applied with ``SET`` on every connection (e.g. ``memory_limit``,
    ``max_temp_directory_size``, ``TimeZone``): the loader's results must not depend on them.
    """

    def __init__(self, path: Path | str, settings: Mapping[str, str] | None = None) -> None:
        self.path = Path(path)
        self.settings = dict(settings or {})
        self._con: duckdb.DuckDBPyConnection | None = None

    # -- connection handling -------------------------------------------------------------------
    def _connect(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as exc:
            raise _lock_error(self.path, exc) from exc
        # DuckDB draws a progress bar on stdout for any query over 2 s: never in a load's output
        # (logs must not depend on how busy the machine is). Inside Jupyter without ipywidgets
        # DuckDB refuses to change the setting at all (and draws no bar there): nothing to do.
        try:
            con.execute("SET enable_progress_bar = false")
        except duckdb.InvalidInputException:
            pass
        for name, value in self.settings.items():
            # SET takes no bound parameters: names are validated, values are quoted literals.
            literal = "'" + str(value).replace("'", "''") + "'"
            con.execute(f"SET {validate_identifier(name.lower())} = {literal}")
        return con

    @contextmanager
    def session(self, read_only: bool = False) -> Iterator[DuckDBDestination]:
        """An open connection for a few reads (or for a transaction); closed on exit."""
        if self._con is not None:  # nested use inside a transaction: reuse it
            yield self
            return
        if read_only and not self.path.exists():
            raise FileNotFoundError(f"No warehouse at {self.path}: run a load first.")
        self._con = self._connect(read_only=read_only)
        try:
            yield self
        finally:
            self._con.close()
            self._con = None

    @contextmanager
    def transaction(self) -> Iterator[DuckDBDestination]:
        with self.session():
            con = self._require()
            con.execute("BEGIN TRANSACTION")
            try:
                yield self
                _pause_before_commit_hook()
                con.execute("COMMIT")
            except BaseException:
                try:
                    con.execute("ROLLBACK")
                except duckdb.Error:
                    pass  # a failed COMMIT has already rolled back
                raise

    def _require(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            raise RuntimeError("Use the destination inside `with dest.session():` or transaction()")
        return self._con

    # -- DDL -----------------------------------------------------------------------------------
    def ensure_table(self, schema: str, table: str, columns: Sequence[Column]) -> None:
        con = self._require()
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_identifier(schema)}")
        cols = ", ".join(f"{quote_identifier(c.name)} {c.type}" for c in columns)
        con.execute(f"CREATE TABLE IF NOT EXISTS {qualified(schema, table)} ({cols})")

    def columns(self, schema: str, table: str) -> dict[str, str]:
        rows = self.query(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, table],
        )
        return {name: type_ for name, type_ in rows}

    def add_columns(self, schema: str, table: str, columns: Sequence[Column]) -> None:
        con = self._require()
        for column in columns:
            con.execute(
                f"ALTER TABLE {qualified(schema, table)} "
                f"ADD COLUMN IF NOT EXISTS {quote_identifier(column.name)} {column.type}"
            )

    # -- DML -----------------------------------------------------------------------------------
    def parsing_connection(self) -> duckdb.DuckDBPyConnection:
        return self._require()

    def append(self, schema: str, table: str, data: pa.Table | Query) -> int:
        con = self._require()
        if isinstance(data, Query):
            names = ", ".join(quote_identifier(n) for n in data.columns)
            return con.execute(
                f"INSERT INTO {qualified(schema, table)} ({names}) "  # noqa: S608 - identifiers validated, values bound
                f"SELECT {names} FROM ({data.sql})",
                data.params,
            ).fetchall()[0][0]
        if data.num_rows == 0:
            return 0
        names = ", ".join(quote_identifier(n) for n in data.column_names)
        con.register("_ingestion_batch", data)
        try:
            con.execute(
                f"INSERT INTO {qualified(schema, table)} ({names}) "  # noqa: S608 - identifiers validated, values bound
                f"SELECT {names} FROM _ingestion_batch"
            )
        finally:
            con.unregister("_ingestion_batch")
        return data.num_rows

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
            return (
                self._require().execute(f"DELETE FROM {qualified(schema, table)}").fetchall()[0][0]  # noqa: S608 - identifiers validated, values bound
            )
        col = quote_identifier(column)
        if equals is not None:
            sql, param = f"DELETE FROM {qualified(schema, table)} WHERE {col} = ?", equals  # noqa: S608 - identifiers validated, values bound
        elif starts_with:
            sql, param = (
                f"DELETE FROM {qualified(schema, table)} WHERE starts_with({col}, ?)",  # noqa: S608 - identifiers validated, values bound
                (starts_with),
            )
        else:
            raise ValueError("delete_where needs equals= or a non-empty starts_with=")
        return self._require().execute(sql, [param]).fetchall()[0][0]

    # -- reads ---------------------------------------------------------------------------------
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return self._require().execute(sql, list(params)).fetchall()

    def query_arrow(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        return self._require().sql(sql, params=list(params)).to_arrow_table()

    def table_exists(self, schema: str, table: str) -> bool:
        return bool(self.columns(schema, table))


def _lock_error(path: Path, exc: duckdb.IOException) -> Exception:
    """Turn DuckDB's lock message into an actionable error; other IO errors pass through."""
    text = str(exc)
    if "lock" not in text.lower():
        return exc
    match = re.search(r"PID (\d+)", text)
    holder = f"process PID {match.group(1)}" if match else "another process"
    return WarehouseLocked(
        f"The warehouse {path} is locked by {holder}. A DuckDB file allows one writer at a time "
        "(or many read-only readers). Close that connection (a notebook kernel: `con.close()`, or "
        "restart it), or wait for the running pipeline step to finish, then run the load again. "
        f"DuckDB said: {text.splitlines()[0]}"
    )


def _pause_before_commit_hook() -> None:
    marker = settings().plain(PAUSE_BEFORE_COMMIT_ENV)
    if marker:
        Path(marker).write_text(str(os.getpid()))
        time.sleep(60)
