"""``orchestration.runs``: the one way to run a job or simulate days in-process.

The tags a run carries, quiet execution, the failure sensor evaluated for an in-process run, and
(slow) a replay of the daemon over simulated days that alerts on the failed day. Also: importing
the orchestration modules does no work (no dbt parse, no environment change).

No ``from __future__ import annotations`` here: Dagster reads the ``context`` annotation.
"""

import os
import subprocess
import sys
import textwrap

import dagster as dg
import pytest

from orchestration import runs
from orchestration.alerts import AlertSink
from sproutly import paths

NOW = "2026-05-01 00:00:00"

partitions = dg.DailyPartitionsDefinition(start_date="2026-04-01")


@dg.asset(partitions_def=partitions)
def noisy(context: dg.AssetExecutionContext) -> None:
    print("a line a notebook must not show")
    context.log.info("an INFO line")


@dg.asset
def broken() -> None:
    raise RuntimeError("billing API: 503 Service Unavailable")


DEFINITIONS = dg.Definitions(
    assets=[noisy, broken],
    jobs=[
        dg.define_asset_job("noisy_job", selection=[noisy], partitions_def=partitions),
        dg.define_asset_job("broken_job", selection=[broken]),
    ],
)


def test_run_tags_carry_the_simulated_now_the_range_and_the_backfill(monkeypatch):
    monkeypatch.setenv("SPROUTLY_NOW", NOW)
    assert runs.run_tags() == {runs.SIMULATED_NOW_TAG: NOW}
    assert runs.run_tags(partition_range=("2026-04-02", "2026-04-03"), backfill=True) == {
        runs.SIMULATED_NOW_TAG: NOW,
        "dagster/asset_partition_range_start": "2026-04-02",
        "dagster/asset_partition_range_end": "2026-04-03",
        "sproutly/backfill": "true",
    }
    assert runs.yesterday() == "2026-04-30"


def test_run_tags_without_a_clock_leave_the_simulated_now_out(data_dir, monkeypatch):
    monkeypatch.delenv("SPROUTLY_NOW", raising=False)  # and no clock.json in the data folder
    assert runs.run_tags(backfill=True) == {"sproutly/backfill": "true"}


def test_execute_runs_quietly_and_records_the_tags(monkeypatch, capfd):
    monkeypatch.setenv("SPROUTLY_NOW", NOW)
    instance = dg.DagsterInstance.ephemeral()
    result = runs.execute(
        "noisy_job",
        definitions=DEFINITIONS,
        partition_range=("2026-04-02", "2026-04-03"),
        backfill=True,
        instance=instance,
    )
    assert result.success
    out, err = capfd.readouterr()
    assert "must not show" not in out + err and "INFO" not in out + err
    tags = instance.get_run_by_id(result.run_id).tags
    assert tags[runs.SIMULATED_NOW_TAG] == NOW
    assert tags["dagster/asset_partition_range_start"] == "2026-04-02"
    assert tags["dagster/asset_partition_range_end"] == "2026-04-03"
    assert tags["sproutly/backfill"] == "true"

    one = runs.execute("noisy_job", definitions=DEFINITIONS, partition_key="2026-04-02")
    assert one.dagster_run.tags["dagster/partition"] == "2026-04-02"
    assert "sproutly/backfill" not in one.dagster_run.tags


def test_a_failed_run_alerts_once_through_the_failure_sensor(data_dir, monkeypatch):
    monkeypatch.setenv("SPROUTLY_NOW", NOW)
    instance = dg.DagsterInstance.ephemeral()
    result = runs.execute("broken_job", definitions=DEFINITIONS, instance=instance)
    assert not result.success  # a failed step never raises
    runs.alert_on_failure(instance, result)
    runs.alert_on_failure(instance, result)  # evaluated twice: the chain is alerted once
    sent = AlertSink().sent()
    assert [a["kind"] for a in sent] == ["failure"], sent
    assert "broken_job" in sent[0]["title"] + sent[0]["text"]


def test_importing_the_orchestration_modules_does_no_work(tmp_path):
    """No dbt parse and no environment change at import: that happens when definitions are built."""
    target = tmp_path / "target"
    script = textwrap.dedent(f"""
        import importlib, os, pkgutil, sys
        before = dict(os.environ)
        import orchestration.defs
        for module in pkgutil.iter_modules(orchestration.defs.__path__):
            importlib.import_module("orchestration.defs." + module.name)
        import orchestration.definitions, orchestration.project, orchestration.runs
        changed = sorted(k for k in set(os.environ) | set(before) if os.environ.get(k) != before.get(k))
        assert not changed, changed
        assert not os.path.exists({str(target / "manifest.json")!r}), "dbt parsed at import"
        assert "dbt.cli.main" not in sys.modules, "dbt imported at import"
    """)
    env = {
        **os.environ,
        "SPROUTLY_DATA_DIR": str(tmp_path / "data"),
        "DBT_TARGET_PATH": str(target),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
    }
    for name in ("DBT_PROFILES_DIR", "DBT_SEND_ANONYMOUS_USAGE_STATS"):
        env.pop(name, None)  # so that a module setting them at import would be seen
    completed = subprocess.run(
        [sys.executable, "-c", script],
        cwd=paths.REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]


@pytest.mark.slow  # a tiny world, one full run and two simulated days (~2 min)
def test_simulate_days_replays_the_daemon_and_alerts_on_the_failed_day(
    data_dir, dbt_parsed, monkeypatch
):
    from microproduct import Simulation
    from sproutly import clock

    monkeypatch.delenv("SPROUTLY_NOW", raising=False)
    monkeypatch.setenv("BILLING_API_MAX_ATTEMPTS", "2")  # the outage outlasts the retries sooner
    Simulation(data_dir, seed=42, scale=0.02).init(days=6)
    landed = sorted(
        p.name.removeprefix("date=") for p in (paths.landing_dir() / "events").iterdir()
    )
    with runs.project_instance() as instance:
        assert runs.execute(
            "daily_pipeline", partition_range=(landed[0], landed[-1]), instance=instance
        ).success
    simulation = Simulation(data_dir, progress=False)
    # the billing API is down on the first simulated day; the second day backfills its partition
    simulation.inject("api_outage", from_day=simulation.day + 1, to_day=simulation.day + 2)
    missed = clock.now().date().isoformat()  # yesterday, seen from the first simulated day

    report = runs.simulate_days(simulation, 2, backfills={2: (missed, missed)})

    assert [(d.daily_success, d.backfill, d.partition_range) for d in report] == [
        (False, False, (missed, missed)),
        (True, True, (missed, missed)),
    ]
    assert all(d.freshness_success for d in report)
    sent = AlertSink().sent()
    assert [a["kind"] for a in sent if a["kind"] == "failure"] == ["failure"], sent
    assert "daily_pipeline" in sent[0]["title"]
    with runs.project_instance() as instance:
        daily = [
            r.dagster_run
            for r in reversed(instance.get_run_records())  # oldest first
            if r.dagster_run.job_name == "daily_pipeline"
        ]
    assert [run.status.value for run in daily] == ["SUCCESS", "FAILURE", "SUCCESS"]
    assert [run.tags[runs.SIMULATED_NOW_TAG][:10] for run in daily[1:]] == [
        f"{d.now:%Y-%m-%d}" for d in report
    ]
    assert [run.tags.get("sproutly/backfill") for run in daily[1:]] == [None, "true"]
