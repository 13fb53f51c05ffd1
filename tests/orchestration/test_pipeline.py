"""The whole graph through Dagster, in-process, on a tiny simulated world.

faults.md rows 17 (two writers), 18 (a notebook holds the file), 20 (stale source), 25 (one bad
backfill partition), and the end-to-end run: everything green, published, idempotent.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import duckdb
import pytest

from sproutly import paths

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def definitions(tmp_path_factory, dbt_parsed):
    """A tiny Sproutly (a few dozen users, 6 simulated days), its definitions, and one full run.

    One world per module: a full run costs a dbt build, so the tests below share it and each leaves
    it as it found it.
    """
    from microproduct import Simulation

    root = tmp_path_factory.mktemp("pipeline") / "data"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SPROUTLY_DATA_DIR", str(root))
        mp.setenv("DAGSTER_HOME", str(root / "dagster_home"))
        Simulation(root, seed=42, scale=0.02).init(days=6)
        from orchestration.definitions import defs
        from orchestration.instance import ensure_dagster_home

        ensure_dagster_home()
        definitions = defs()
        assert run_cli("run") == 0, "the first full run must succeed"
        yield definitions


def run_cli(*args: str) -> int:
    from orchestration.__main__ import main

    return main(list(args))


def table_fingerprints(db) -> dict[str, tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        names = [
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'main' order by 1"
            ).fetchall()
        ]
        return {
            n: con.execute(f'select count(*), sum(hash(t)) from main."{n}" t').fetchone()  # noqa: S608
            for n in names
            if n != "_published"
        }


def alerts_since(seen: int) -> list[dict]:
    """The alerts recorded after the first ``seen`` ones (the module's tests share one sink)."""
    if not paths.alerts_path().exists():
        return []
    return [json.loads(line) for line in paths.alerts_path().read_text().splitlines()[seen:]]


def raw_counts() -> dict[str, int]:
    with duckdb.connect(str(paths.warehouse_path()), read_only=True) as con:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'raw' order by 1"
            ).fetchall()
        ]
        return {t: con.execute(f'select count(*) from raw."{t}"').fetchone()[0] for t in tables}  # noqa: S608


def test_definitions_load_and_connect(definitions):
    import dagster as dg

    graph = definitions.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    raw = {k for k in keys if k.startswith("raw/")}
    assert raw == {
        "raw/app_plans",
        "raw/app_users",
        "raw/app_subscriptions",
        "raw/billing_invoices",
        "raw/billing_payments",
        "raw/events",
    }
    # every dbt source is one of the ingestion assets (no unconnected duplicate source assets)
    materializable = {k.to_user_string() for k in graph.materializable_asset_keys}
    assert raw <= materializable
    assert "published_marts" in keys
    # every writer sits in the one-slot warehouse pool (faults.md row 17)
    for node in graph.asset_nodes:
        if node.is_materializable:
            assert node.pools == {"warehouse"}, node.key
    assert definitions.resolve_job_def("daily_pipeline")
    assert {s.name for s in definitions.schedules} >= {"daily_pipeline_schedule"}
    assert {s.name for s in definitions.sensors} >= {"new_event_files", "alert_on_run_failure"}
    checks = {k.name for k in graph.asset_check_keys}
    assert "source_freshness" in checks and any(c.startswith("not_null") for c in checks)
    assert isinstance(definitions, dg.Definitions)


def test_end_to_end_run_is_green_and_idempotent(definitions, capsys):
    first = table_fingerprints(paths.serving_path())
    assert "fct_mrr_daily" in first and first["fct_mrr_daily"][0] > 0
    counts = raw_counts()

    assert run_cli("run") == 0
    out = capsys.readouterr().out
    assert "SUCCESS" in out and "published" in out
    assert raw_counts() == counts, "a second run must load nothing new"
    assert table_fingerprints(paths.serving_path()) == first, "published marts must be identical"


def test_fault_18_a_held_warehouse_gives_an_actionable_error(definitions, capsys):
    published = table_fingerprints(paths.serving_path())
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import duckdb, time
            con = duckdb.connect({str(paths.warehouse_path())!r})
            print("holding", flush=True)
            time.sleep(60)
        """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        assert run_cli("daily") == 1
        out = capsys.readouterr().out
        assert "FAILED" in out and "nothing was published" in out
        assert "lock" in out.lower() and str(holder.pid) in out, out
        assert table_fingerprints(paths.serving_path()) == published
    finally:
        holder.kill()
        holder.wait()


def test_fault_05_a_failing_dbt_test_stops_publish_and_is_reported(definitions, capsys):
    """In-process dbt inside Dagster (orchestration/dbt_inprocess.py) keeps dbt's semantics: a
    failing error-severity test fails the dbt step, the check is reported failed, publish never
    runs, and the published copy keeps the last good build."""
    import dagster as dg

    published = table_fingerprints(paths.serving_path())
    seen = len(alerts_since(0))
    with duckdb.connect(str(paths.warehouse_path())) as con:
        con.execute(
            "insert into raw.app_users select * replace (null as user_id) from raw.app_users limit 1"
        )
    try:
        assert run_cli("run") == 1
        out = capsys.readouterr().out
        assert "nothing was published" in out, out
        # the CLI's failed run alerts once; a failing dbt test is not retried (no escalation)
        assert [a["kind"] for a in alerts_since(seen)] == ["failure"]
        instance = dg.DagsterInstance.get()
        run_id = instance.get_run_records(limit=1)[0].dagster_run.run_id
        failed = {
            e.step_key for e in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE)
        }
        assert failed == {"sproutly_dbt"}, failed
        checks = {
            e.dagster_event.event_specific_data.asset_check_key.name: (
                e.dagster_event.event_specific_data.passed
            )
            for e in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
        }
        assert checks["not_null_stg_app__users_user_id"] is False
        assert checks["unique_stg_app__plans_plan_id"] is True, "passing tests are reported too"
        materialized = {
            e.dagster_event.asset_key.to_user_string()
            for e in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
        }
        assert "staging/stg_app__plans" in materialized or any(
            k.endswith("stg_app__plans") for k in materialized
        ), materialized
        assert not any(k.endswith("dim_users") for k in materialized), "downstream of the failure"
        assert "published_marts" not in materialized
        assert table_fingerprints(paths.serving_path()) == published
    finally:
        with duckdb.connect(str(paths.warehouse_path())) as con:
            con.execute("delete from raw.app_users where user_id is null")
    assert run_cli("run") == 0, "with the bad row gone the pipeline is green again"
    capsys.readouterr()


def test_fault_20_stale_source_fails_freshness_and_alerts(definitions, monkeypatch, capsys):
    from sproutly import clock

    seen = len(alerts_since(0))  # failed runs of the tests before alerted too
    stale_now = clock.now().replace(microsecond=0).isoformat(sep=" ")
    monkeypatch.setenv("SPROUTLY_NOW", stale_now.replace(stale_now[:10], "2027-01-01"))
    assert run_cli("freshness") == 0  # the job itself succeeds; its checks fail
    out = capsys.readouterr().out
    assert "failed (error)" in out
    assert "published_marts · published_metrics_are_current" in out, out
    alerts = alerts_since(seen)
    assert {a["kind"] for a in alerts} == {"freshness"}
    assert any(a["details"]["table"] == "raw.events" for a in alerts)
    # a second evaluation on the same day does not flood the channel
    assert run_cli("freshness") == 0
    assert len(alerts_since(seen)) == len(alerts)


def test_fault_25_one_bad_backfill_partition_fails_alone(definitions):
    before = raw_counts()["events"]
    folders = sorted((paths.landing_dir() / "events").glob("date=*"))
    bad_day = folders[2].name.removeprefix("date=")
    days = [f.name.removeprefix("date=") for f in folders[1:4]]
    garbage = folders[2] / "zz-corrupt.jsonl"
    garbage.write_text("this is not json\n" * 5000)

    job = definitions.resolve_job_def("ingest_events")
    outcome = {
        day: job.execute_in_process(
            partition_key=day, tags={"sproutly/backfill": "true"}, raise_on_error=False
        ).success
        for day in days
    }
    assert outcome == {d: d != bad_day for d in days}, outcome
    assert raw_counts()["events"] == before, "a failed partition must leave raw as it was"

    garbage.unlink()  # the corrected drop: the source fixed the file
    assert job.execute_in_process(partition_key=bad_day, tags={"sproutly/backfill": "true"}).success
    with duckdb.connect(str(paths.warehouse_path()), read_only=True) as con:
        total, distinct = con.execute(
            "select count(*), count(distinct event_id) from raw.events"
        ).fetchone()
    assert total == before and distinct == total, "rerun must leave no duplicates"
