"""Everything that needs the session's emulator, warehouse or cutover (conftest.py).

One module on purpose: `make unit` runs pytest-xdist with --dist loadfile, and a session fixture
is made once per worker. Keeping these tests in one file means one worker, one emulator and one
cutover build. Sections: the emulator patches, the raw copy (ingestion/snowflake.py), parity
against real marts, and the cutover itself.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
import snowflake.connector
from snowflake.connector.errors import ProgrammingError

from cutover import emulator_patches
from cutover.parity import fingerprint, mart_models, parity_report
from ingestion.destination import Query
from ingestion.schemas import Column
from ingestion.snowflake import SnowflakeDestination, copy_raw_layer
from sproutly import paths
from sproutly.dbt import unsuccessful_nodes

# -- the emulator -----------------------------------------------------------------------------------


def test_session_emulator_answers_on_loopback(emulator):
    assert emulator.host == "127.0.0.1"
    assert emulator.port > 0
    assert emulator.url == f"http://127.0.0.1:{emulator.port}"
    env = emulator.env()
    assert env["SNOWFLAKE_EMULATOR_PORT"] == str(emulator.port)
    assert env["SNOWFLAKE_DISABLE_PLATFORM_DETECTION"] == "true"
    con = emulator.connect()
    try:
        assert con.cursor().execute("select 1 + 1, current_database()").fetchall() == [
            (2, "SPROUTLY")
        ]
    finally:
        con.close()


# -- emulator patches: stock fakesnow (in-process) vs the emulator ----------------------------------


def stock_run(*statements: str) -> list:
    """Run statements on an in-process, UNPATCHED fakesnow (this test process never applies the
    patches). fakesnow.patch() replaces snowflake.connector.connect only inside this call."""
    import fakesnow

    with fakesnow.patch():
        con = snowflake.connector.connect(database="STOCK", schema="MAIN")
        try:
            return _run(con, *statements)
        finally:
            con.close()


@pytest.fixture
def patched(emulator) -> Iterator[snowflake.connector.SnowflakeConnection]:
    con = emulator.connect()
    try:
        con.cursor().execute("create schema if not exists PATCHES")
        con.cursor().execute("use schema PATCHES")
        yield con
    finally:
        con.close()


def _run(con, *statements: str) -> list:
    rows: list = []
    for statement in statements:
        rows = con.cursor().execute(statement).fetchall()
    return rows


def test_patches_are_pinned_to_the_fakesnow_version(monkeypatch):
    monkeypatch.setattr(emulator_patches, "version", lambda _: "9.9.9")
    with pytest.raises(RuntimeError, match="written for fakesnow 0.12.1, found 9.9.9"):
        emulator_patches.apply()


def test_qualified_temporary_table(patched):
    sql = "create or replace temporary table {db}.MAIN.t_tmp as select 1 as a"
    with pytest.raises(ProgrammingError, match="TEMPORARY table names"):
        stock_run(sql.format(db="STOCK"))
    _run(patched, "create schema if not exists SPROUTLY.MAIN")
    assert _run(patched, sql.format(db="SPROUTLY"), "select a from SPROUTLY.MAIN.t_tmp") == [(1,)]


MERGE = """
merge into target as dest using source as src on src.id = dest.id
when matched then update set name = src.name
when not matched then insert (id, name) values (id, name)
"""


def test_merge_insert_values_come_from_the_source(patched):
    setup = (
        "create or replace table target (id int, name varchar)",
        "create or replace table source (id int, name varchar)",
        "insert into target values (1, 'old')",
        "insert into source values (1, 'new'), (2, 'added')",
    )
    with pytest.raises(ProgrammingError, match="Ambiguous reference"):
        stock_run(*setup, MERGE)
    _run(patched, *setup, MERGE)
    assert _run(patched, "select id, name from target order by id") == [(1, "new"), (2, "added")]


def test_ddl_commits_the_open_transaction(patched):
    """dbt's pattern: autocommit on, an explicit BEGIN, then DML and DDL in one block."""
    _run(patched, "create or replace table ledger (id int)")
    _run(
        patched,
        "begin",
        "insert into ledger values (1)",
        # a VARCHAR(n) column: fakesnow records its length in a metadata database (another one)
        "create or replace table side_note (note varchar(10))",
        "insert into ledger values (2)",
        "commit",
    )
    assert _run(patched, "select count(*) from ledger") == [(2,)]


def test_stock_fakesnow_refuses_ddl_in_an_explicit_transaction():
    # Stock fakesnow even lets DuckDB's own exception type escape here.
    with pytest.raises(Exception, match="single attached database"):
        stock_run(
            "create or replace table ledger (id int)",
            "begin",
            "insert into ledger values (1)",
            "create or replace table side_note (note varchar(10))",
        )


def test_null_timestamps_stay_null(patched):
    _run(
        patched,
        "create or replace table stamps (id int, stamped_at timestamp_ntz)",
        "insert into stamps values (1, '2026-01-02 03:04:05'), (2, null)",
    )
    rows = _run(patched, "select id, stamped_at from stamps order by id")
    assert rows[0][1].isoformat() == "2026-01-02T03:04:05"
    assert rows[1][1] is None, f"NULL came back as {rows[1][1]!r}"


def test_an_unforeseen_error_is_a_sql_error_not_a_hang(patched):
    """A MERGE whose matched branch INSERTs trips an assertion inside fakesnow: stock answers
    HTTP 500 and the connector retries forever; patched, it is an error and the session lives."""
    _run(
        patched,
        "create or replace table target (id int)",
        "create or replace table source (id int)",
    )
    started = time.monotonic()
    with pytest.raises(ProgrammingError, match="emulator"):
        _run(
            patched,
            "merge into target using source on target.id = source.id "
            "when matched then insert (id) values (source.id)",
        )
    assert time.monotonic() - started < 30
    assert _run(patched, "select 1") == [(1,)]


# -- the raw copy: ingestion/snowflake.py -----------------------------------------------------------


EXPECTED_TABLES = {
    "raw.app_plans",
    "raw.app_subscriptions",
    "raw.app_users",
    "raw.billing_invoices",
    "raw.billing_payments",
    "raw.events",
    "meta.loads",
}


def _snowflake_table(emulator, name: str) -> pa.Table:
    con = emulator.connect()
    try:
        cursor = con.cursor()
        cursor.execute(f"select * from {name}")
        table = cursor.fetch_arrow_all(force_return_table=True)
    finally:
        con.close()
    return table.rename_columns([c.lower() for c in table.column_names])


def test_raw_copy_is_faithful_and_idempotent(warehouse, emulator):
    dest = SnowflakeDestination(emulator.connect)
    first = copy_raw_layer(warehouse, dest)
    second = copy_raw_layer(warehouse, dest)
    assert {c.source for c in first} == EXPECTED_TABLES
    assert [(c.source, c.target_rows) for c in first] == [(c.source, c.target_rows) for c in second]
    assert all(c.source_rows == c.target_rows > 0 for c in second)

    with duckdb.connect(str(warehouse), read_only=True) as con:
        for copied in second:
            local = con.execute(f"select * from {copied.source}").to_arrow_table()
            remote = _snowflake_table(emulator, copied.target)
            if copied.source == "raw.events":
                # VARIANT text comes back re-serialised: compare the parsed JSON separately.
                assert [json.loads(v) for v in local.column("properties").to_pylist()] == [
                    json.loads(v) for v in remote.column("properties").to_pylist()
                ]
                local, remote = local.drop_columns("properties"), remote.drop_columns("properties")
            assert fingerprint(local) == fingerprint(remote), f"{copied.source} differs"


def test_destination_protocol_operations(emulator):
    dest = SnowflakeDestination(emulator.connect)
    with dest.session():
        dest.drop_table("scratch", "things")
        dest.ensure_table(
            "scratch", "things", [Column("thing_id", "BIGINT"), Column("payload", "JSON")]
        )
        assert dest.columns("scratch", "things") == {"thing_id": "NUMBER", "payload": "VARIANT"}
        dest.add_columns("scratch", "things", [Column("label")])
        assert list(dest.columns("scratch", "things")) == ["thing_id", "payload", "label"]
        rows = pa.table({"thing_id": [1, 2], "payload": ['{"a": 1}', "{}"], "label": ["x", "y"]})
        assert dest.append("scratch", "things", rows) == 2
        query = Query("select 3 as thing_id, 'z' as label", {}, ("thing_id", "label"))
        assert dest.append("scratch", "things", query) == 1
        assert dest.query("select payload:a::int from scratch.things where thing_id = 1") == [(1,)]
        assert dest.delete_where("scratch", "things", "label", equals="y") == 1
        assert dest.delete_where("scratch", "things", "label", starts_with="z") == 1
        assert dest.query("select thing_id from scratch.things") == [(1,)]
        with dest.transaction():
            dest.delete_where("scratch", "things", None)
        assert dest.query("select count(*) from scratch.things") == [(0,)]
        dest.drop_table("scratch", "things")


# -- parity against the built marts -----------------------------------------------------------------


def test_marts_come_from_the_manifest(cutover_result):
    manifest = paths.data_dir() / "cutover" / "dbt_target_dev" / "manifest.json"
    files = sorted(p.stem for p in (paths.DBT_PROJECT_DIR / "models" / "marts").rglob("*.sql"))
    assert [name for _, name in mart_models(manifest)] == files
    assert list(cutover_result.parity["mart"]) == files


def test_parity_detects_one_changed_row(cutover_result, warehouse, emulator):
    manifest = paths.data_dir() / "cutover" / "dbt_target_dev" / "manifest.json"
    con = emulator.connect()
    cursor = con.cursor()
    change = "update marts.dim_plans set plan_name = plan_name || '{}' where plan_id = 'pro_annual'"
    try:
        cursor.execute(change.format(" (changed)"))
        assert cursor.rowcount == 1
        report = parity_report(warehouse, emulator.connect, manifest).set_index("mart")
        assert not report.loc["dim_plans", "equal"]
        assert report.loc["dim_plans", "duckdb_rows"] == report.loc["dim_plans", "snowflake_rows"]
        assert report.drop(index="dim_plans")["equal"].all()
    finally:
        cursor.execute(
            "update marts.dim_plans set plan_name = replace(plan_name, ' (changed)', '')"
        )
        con.close()
    assert parity_report(warehouse, emulator.connect, manifest)["equal"].all()


# -- the cutover ------------------------------------------------------------------------------------


def _model_files() -> set[str]:
    return {p.stem for p in (paths.DBT_PROJECT_DIR / "models").rglob("*.sql")}


def test_every_model_builds_emulated(cutover_result):
    # by file: the versions of a model share its name (dim_users v2 in dim_users.sql, v1 in
    # dim_users_v1.sql)
    manifest = json.loads(
        (paths.data_dir() / "cutover" / "dbt_target_dev" / "manifest.json").read_text()
    )
    models = {
        Path(manifest["nodes"][k]["original_file_path"]).stem
        for k in cutover_result.statuses
        if k.startswith("model.")
    }
    assert models == _model_files()
    assert cutover_result.built, cutover_result.statuses
    assert any(k.startswith("snapshot.") for k in cutover_result.statuses)
    assert any(k.startswith("unit_test.") for k in cutover_result.statuses)
    assert not unsuccessful_nodes(cutover_result.duckdb_statuses)


def test_parity_is_all_equal_and_labelled(cutover_result):
    report = cutover_result.parity
    assert report["equal"].all(), report.to_string()
    assert (report["duckdb_rows"] > 0).all()
    assert cutover_result.label == "emulated"
    assert cutover_result.ok
    summary = cutover_result.summary()
    assert "EMULATED" in summary and "all marts equal [emulated]" in summary


def test_freshness_reads_the_copied_load_log(cutover_result):
    assert cutover_result.freshness, "no freshness results"
    assert set(cutover_result.freshness.values()) == {"pass"}
    assert {c.source for c in cutover_result.copied} >= {"meta.loads"}


def test_timings_are_measured_side_by_side(cutover_result):
    timings = cutover_result.timings
    for key in ("duckdb_build_wall_s", "snowflake_build_wall_s", "raw_copy_s", "parity_s"):
        assert timings[key] > 0, key
    frame = cutover_result.timings_frame()
    assert list(frame["engine"]) == ["duckdb", "snowflake (emulated)"]
