"""The small patches our project needs on fakesnow 0.12.1 to behave like Snowflake.

fakesnow translates Snowflake SQL to DuckDB and runs it. Where our dbt project met a difference
from Snowflake, one patch below restores Snowflake's behaviour (five in all, each tested on its
own in ``tests/cutover/test_cutover_emulated.py``):

| patch | without it |
|---|---|
| qualified_temporary_tables_as_ordinary | every dbt unit test errors |
| commit_before_ddl | the second snapshot run fails |
| merge_insert_values_from_source | the second snapshot run fails |
| null_timestamps_stay_null | NULL timestamps read as 1970-01-01: parity fails on 4 marts |
| sql_error_instead_of_http_500 | an unforeseen error hangs dbt (the connector retries a 500) |

Nothing else is patched: with these, the whole project builds (twice in a row) and every mart
matches DuckDB.

They touch fakesnow *internals*, so they are pinned to the version they were written for
(:data:`FAKESNOW_VERSION`): :func:`apply` refuses any other version rather than patching blindly.
They run only inside the emulator subprocess (:mod:`cutover.emulator`), never in the caller.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

FAKESNOW_VERSION = "0.12.1"

_APPLIED: list[str] = []


def qualified_temporary_tables_as_ordinary() -> None:
    """Snowflake behaviour restored: ``CREATE TEMPORARY TABLE db.schema.t`` works.

    dbt-snowflake creates its scratch relations (unit-test fixtures, incremental and snapshot
    staging tables) as *qualified* temporary tables. Snowflake allows that; DuckDB only allows
    temporary tables in its ``temp`` catalog, so stock fakesnow fails with "TEMPORARY table names
    can *only* use the temp catalog" -- every dbt unit test errors. The patch drops the TEMPORARY
    property from a qualified CREATE, making an ordinary table: dbt drops it itself when done, and
    a leftover ``__dbt_tmp`` table is harmless (the parity report reads only the marts).
    """
    from fakesnow.cursor import FakeSnowflakeCursor
    from sqlglot import exp

    original = FakeSnowflakeCursor._transform

    @functools.wraps(original)
    def _transform(self: Any, expression: Any, params: Any) -> Any:
        transformed = original(self, expression, params)
        if isinstance(transformed, exp.Create) and (table := transformed.find(exp.Table)):
            if table.args.get("db") or table.args.get("catalog"):
                for prop in list(transformed.find_all(exp.TemporaryProperty)):
                    prop.pop()
        return transformed

    FakeSnowflakeCursor._transform = _transform


def commit_before_ddl() -> None:
    """Snowflake behaviour restored: a DDL statement (CREATE, DROP, ALTER, COMMENT) first commits
    the open transaction, and runs in its own.

    fakesnow does this only when the session has AUTOCOMMIT off; dbt-snowflake keeps autocommit
    on and opens explicit ``BEGIN`` blocks, e.g. around a snapshot's MERGE. Inside such a block a
    DDL statement that writes fakesnow's metadata database hits DuckDB's "a single transaction
    can only write to a single attached database": every snapshot run after the first fails.
    """
    from fakesnow.cursor import FakeSnowflakeCursor
    from sqlglot import exp

    original = FakeSnowflakeCursor._execute

    @functools.wraps(original)
    def _execute(self: Any, transformed: Any, params: Any = None) -> Any:
        if isinstance(transformed, (exp.Create, exp.Drop, exp.Alter, exp.Comment)):
            try:
                self._duck_conn.commit()
            except Exception:  # noqa: BLE001 - "no transaction is active": nothing to commit
                pass
            self._conn._in_transaction = False
        return original(self, transformed, params)

    FakeSnowflakeCursor._execute = _execute


def merge_insert_values_from_source() -> None:
    """Snowflake behaviour restored: in ``MERGE ... WHEN NOT MATCHED THEN INSERT (c) VALUES (c)``
    an unqualified column in VALUES means the *source* row's column.

    dbt's snapshot merge writes exactly that (``insert (cols) values (cols)``). Snowflake resolves
    the names against the source, since a not-matched target row does not exist. fakesnow
    implements MERGE as a join of target and source, where the bare name is ambiguous ("Ambiguous
    reference to column name"): every snapshot run after the first fails. The patch qualifies
    those bare columns with the source's alias before fakesnow rewrites the MERGE.
    """
    import fakesnow.transforms as transforms
    from sqlglot import exp

    original = transforms.merge

    @functools.wraps(original)
    def merge(expression: Any) -> Any:
        if isinstance(expression, exp.Merge) and (source := expression.args.get("using")):
            alias = source.alias_or_name
            for when in expression.args["whens"]:
                then = when.args.get("then")
                if when.args.get("matched") or not isinstance(then, exp.Insert):
                    continue
                for value in then.expression.expressions:
                    if isinstance(value, exp.Column) and not value.table:
                        value.set("table", exp.to_identifier(alias))
        return original(expression)

    transforms.merge = merge


def null_timestamps_stay_null() -> None:
    """Snowflake behaviour restored: a NULL timestamp is returned as NULL.

    fakesnow sends timestamps in Snowflake's Arrow layout (a struct of epoch seconds and
    nanoseconds) but builds that struct without a validity mask, so every NULL timestamp reaches
    the client as 1970-01-01 00:00:00. Stored data is right (``count(paid_at)`` is correct);
    what a client *reads* is wrong -- the parity report saw it in every mart with a nullable
    timestamp (``paid_at``, ``refunded_at``, ``ended_at`` ...). The patch adds the mask.
    """
    import fakesnow.arrow
    import pyarrow as pa
    import pyarrow.compute as pc

    original = fakesnow.arrow.timestamp_to_sf_struct

    @functools.wraps(original)
    def timestamp_to_sf_struct(ts: Any) -> Any:
        if isinstance(ts, pa.ChunkedArray):
            ts = ts.combine_chunks()
        struct = original(ts)
        if ts.null_count == 0:
            return struct
        children = [pc.fill_null(struct.field(i), 0) for i in range(struct.type.num_fields)]
        fields = [struct.type.field(i) for i in range(struct.type.num_fields)]
        return pa.StructArray.from_arrays(children, fields=fields, mask=ts.is_null())

    fakesnow.arrow.timestamp_to_sf_struct = timestamp_to_sf_struct


def sql_error_instead_of_http_500() -> None:
    """Snowflake behaviour restored: a failing statement returns a SQL error, and the session
    can go on.

    When fakesnow hits SQL it cannot translate or DuckDB rejects in an unforeseen way, its server
    answers HTTP 500. The snowflake connector treats a 500 as a transient outage and *retries
    forever*: dbt hangs instead of reporting the model. Snowflake would answer with a SQL
    compilation error. The patch (1) turns any unexpected exception of a statement into a
    ``ProgrammingError`` carrying the DuckDB message, after rolling back the open transaction
    (DuckDB refuses further statements in an aborted transaction), and (2) as a last resort
    rewrites any remaining 500 answer of the query endpoint into a SQL error response.
    """
    import fakesnow.server
    import snowflake.connector.errors
    from fakesnow.cursor import FakeSnowflakeCursor
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    original_execute = FakeSnowflakeCursor.execute

    @functools.wraps(original_execute)
    def execute(self: Any, command: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return original_execute(self, command, *args, **kwargs)
        except snowflake.connector.errors.Error:
            # Snowflake keeps the session usable after a failed statement; DuckDB marks the
            # whole transaction aborted and refuses everything until ROLLBACK.
            _rollback(self)
            raise
        except Exception as error:  # noqa: BLE001 - exactly the unforeseen ones
            _rollback(self)
            message = f"SQL execution error (emulator): {type(error).__name__}: {error}"
            raise snowflake.connector.errors.ProgrammingError(
                msg=message.splitlines()[0][:2000], errno=603, sqlstate="XX000"
            ) from error

    FakeSnowflakeCursor.execute = execute

    original_request = fakesnow.server.query_request

    async def query_request(request: Any) -> Any:
        response = await original_request(request)
        if response.status_code != 500:
            return response
        return JSONResponse(
            {
                "data": {"errorCode": "000603", "sqlState": "XX000"},
                "code": "000603",
                "message": "SQL execution internal error (emulator): see the emulator log",
                "success": False,
            }
        )

    routes = [
        Route(r.path, query_request, methods=list(r.methods or []))
        if getattr(r, "endpoint", None) is original_request
        else r
        for r in fakesnow.server.routes
    ]
    fakesnow.server.routes = routes
    fakesnow.server.app = Starlette(debug=False, routes=routes)


def _rollback(cursor: Any) -> None:
    """Roll back the cursor's DuckDB transaction if one is open (ignore "no transaction")."""
    try:
        cursor._duck_conn.rollback()
    except Exception:  # noqa: BLE001 - nothing open: nothing to do
        pass
    cursor._conn._in_transaction = False


PATCHES: dict[str, Callable[[], None]] = {
    "commit_before_ddl": commit_before_ddl,
    "qualified_temporary_tables_as_ordinary": qualified_temporary_tables_as_ordinary,
    "merge_insert_values_from_source": merge_insert_values_from_source,
    "null_timestamps_stay_null": null_timestamps_stay_null,
    "sql_error_instead_of_http_500": sql_error_instead_of_http_500,
}


def apply() -> list[str]:
    """Apply every patch once (idempotent); returns their names. Refuses another fakesnow."""
    installed = version("fakesnow")
    if installed != FAKESNOW_VERSION:
        raise RuntimeError(
            f"cutover.emulator_patches was written for fakesnow {FAKESNOW_VERSION}, found "
            f"{installed}: re-check each patch against the new version before using it."
        )
    for name, patch in PATCHES.items():
        if name not in _APPLIED:
            patch()
            _APPLIED.append(name)
    return list(_APPLIED)
