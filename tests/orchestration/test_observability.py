"""orchestration.observability and orchestration.slos over real runs of tiny jobs.

The runs are executed in-process against an ephemeral instance (or a temporary ``$DAGSTER_HOME``),
so every row the tables show was written by Dagster itself, not by a fake.
"""

from __future__ import annotations

from datetime import date

import dagster as dg
import pandas as pd
import pytest

from orchestration import observability, slos

partitions = dg.DailyPartitionsDefinition(start_date="2026-01-01")


@dg.op
def extract() -> int:
    return 1


@dg.op(retry_policy=dg.RetryPolicy(max_retries=2))
def flaky_load(value: int) -> int:
    raise RuntimeError("billing API: 503 Service Unavailable\n(traceback lines follow)")


@dg.job
def healthy():
    extract()


@dg.job
def broken():
    flaky_load(extract())


@dg.job(partitions_def=partitions)
def daily():
    extract()


def _run(job: dg.JobDefinition, instance: dg.DagsterInstance, **kwargs) -> str:
    result = job.execute_in_process(instance=instance, raise_on_error=False, **kwargs)
    return result.run_id


@pytest.fixture(scope="module")
def history() -> tuple[dg.DagsterInstance, dict[str, str]]:
    """Four runs: a success, a failure after two step retries, a tagged partitioned run and a
    run retry of the failure (same root run id)."""
    instance = dg.DagsterInstance.ephemeral()
    ids = {"healthy": _run(healthy, instance)}
    ids["broken"] = _run(broken, instance)
    ids["daily"] = _run(
        daily,
        instance,
        partition_key="2026-04-30",
        tags={observability.SIMULATED_NOW_TAG: "2026-05-01 00:00:00"},
    )
    ids["retry"] = _run(
        broken,
        instance,
        tags={"dagster/root_run_id": ids["broken"], "dagster/retry_number": "1"},
    )
    return instance, ids


def test_runs_one_row_per_run_oldest_first(history) -> None:
    instance, ids = history
    table = observability.runs(instance)
    assert list(table.columns) == observability.RUN_COLUMNS
    assert table["run_id"].tolist() == [ids["healthy"], ids["broken"], ids["daily"], ids["retry"]]
    assert table["status"].tolist() == ["SUCCESS", "FAILURE", "SUCCESS", "FAILURE"]
    assert table["job"].tolist() == ["healthy", "broken", "daily", "broken"]
    assert (table["duration_s"] >= 0).all()
    assert (table["ended_at"] >= table["started_at"]).all()


def test_runs_report_failures_and_retries(history) -> None:
    instance, ids = history
    table = observability.runs(instance).set_index("run_id")
    broken = table.loc[ids["broken"]]
    assert broken["failed_steps"] == "flaky_load"
    assert broken["step_retries"] == 2
    assert broken["attempts"] == 3
    assert broken["error"] == "billing API: 503 Service Unavailable"
    healthy = table.loc[ids["healthy"]]
    assert (healthy["failed_steps"], healthy["step_retries"], healthy["error"]) == ("", 0, "")
    assert healthy["attempts"] == 1
    retry = table.loc[ids["retry"]]
    assert retry["root_run_id"] == ids["broken"] and retry["retry_number"] == 1
    assert broken["root_run_id"] == ids["broken"] and broken["retry_number"] == 0


def test_runs_read_partition_and_simulated_date_tags(history) -> None:
    instance, ids = history
    table = observability.runs(instance).set_index("run_id")
    assert table.loc[ids["daily"], "partition"] == "2026-04-30"
    assert table.loc[ids["daily"], "simulated_now"] == pd.Timestamp("2026-05-01")
    assert pd.isna(table.loc[ids["healthy"], "simulated_now"])
    assert pd.isna(table.loc[ids["healthy"], "partition"])
    assert not table["is_backfill"].any()


def test_runs_filter_by_job(history) -> None:
    instance, ids = history
    table = observability.runs(instance, job="broken")
    assert table["run_id"].tolist() == [ids["broken"], ids["retry"]]
    assert observability.runs(instance, job="no_such_job").empty


def test_steps_count_attempts(history) -> None:
    instance, ids = history
    table = observability.steps(instance, run_ids=[ids["broken"]])
    assert list(table.columns) == observability.STEP_COLUMNS
    by_step = table.set_index("step")
    assert by_step.loc["extract", "status"] == "SUCCESS"
    assert by_step.loc["extract", "attempts"] == 1
    assert by_step.loc["flaky_load", "status"] == "FAILURE"
    assert by_step.loc["flaky_load", "attempts"] == 3


def test_failures_list_retries_then_the_failure(history) -> None:
    instance, ids = history
    table = observability.failures(instance, run_ids=[ids["broken"]])
    assert table["event"].tolist() == ["retry", "retry", "step_failure", "run_failure"]
    assert table["step"].tolist()[:3] == ["flaky_load"] * 3
    assert set(table["error"].iloc[:3]) == {"billing API: 503 Service Unavailable"}
    assert set(table["error_class"].iloc[:3]) == {"RuntimeError"}
    assert table["at"].is_monotonic_increasing


def test_range_partitions_and_backfill_tags() -> None:
    instance = dg.DagsterInstance.ephemeral()
    _run(
        healthy,
        instance,
        tags={
            "dagster/asset_partition_range_start": "2026-03-01",
            "dagster/asset_partition_range_end": "2026-03-07",
            "sproutly/backfill": "true",
        },
    )
    _run(
        healthy,
        instance,
        tags={
            "dagster/asset_partition_range_start": "2026-03-02",
            "dagster/asset_partition_range_end": "2026-03-02",
        },
    )
    table = observability.runs(instance)
    assert table["partition"].tolist() == ["2026-03-01..2026-03-07", "2026-03-02"]
    assert table["is_backfill"].tolist() == [True, False]


def test_runs_without_instance_read_the_project_dagster_home(tmp_path, monkeypatch) -> None:
    home = tmp_path / "dagster_home"
    monkeypatch.setenv("SPROUTLY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    from orchestration.instance import ensure_dagster_home

    ensure_dagster_home()
    with dg.DagsterInstance.get() as instance:
        run_id = _run(healthy, instance)
    table = observability.runs()
    assert table["run_id"].tolist() == [run_id]
    assert table["status"].tolist() == ["SUCCESS"]


def test_daily_summary_counts_per_simulated_day() -> None:
    table = pd.DataFrame(
        {
            "run_id": ["a", "b", "c", "d"],
            "job": ["daily_pipeline"] * 4,
            "status": ["SUCCESS", "FAILURE", "SUCCESS", "SUCCESS"],
            "simulated_now": pd.to_datetime(["2026-04-28", "2026-04-29", "2026-04-29", None]),
            "step_retries": [0, 3, 0, 0],
            "duration_s": [10.0, 30.0, 12.0, 5.0],
        }
    )
    summary = observability.daily_summary(table)
    assert summary["simulated_day"].tolist() == [date(2026, 4, 28), date(2026, 4, 29)]
    assert summary["runs"].tolist() == [1, 2]
    assert summary["failed"].tolist() == [0, 1]
    assert summary["step_retries"].tolist() == [0, 3]
    assert summary["max_duration_s"].tolist() == [10.0, 30.0]


# -- SLOs -----------------------------------------------------------------------------------------
def _runs(rows: list[tuple[str, str, float]], job: str = "daily_pipeline") -> pd.DataFrame:
    """A runs table like observability.runs(): (simulated_now, status, duration_s) per run."""
    return pd.DataFrame(
        {
            "run_id": [f"r{i}" for i in range(len(rows))],
            "job": [job] * len(rows),
            "status": [status for _, status, _ in rows],
            "simulated_now": pd.to_datetime([day for day, _, _ in rows]),
            "duration_s": [duration for _, _, duration in rows],
        }
    )


def _checks(rows: list[tuple[str, str, str, dict]]) -> pd.DataFrame:
    """A check table like observability.check_evaluations(): (now, asset, check, metadata)."""
    return pd.DataFrame(
        {
            "simulated_now": pd.to_datetime([r[0] for r in rows]),
            "asset": [r[1] for r in rows],
            "check": [r[2] for r in rows],
            "passed": [True] * len(rows),
            "metadata": [r[3] for r in rows],
        }
    )


def test_run_time_slo_counts_failed_and_slow_days_against_the_budget() -> None:
    slo = slos.RunTimeSLO(name="t", promise="p", objective=0.9, window_days=20, target_s=60)
    assert slo.budget_days == 2.0
    runs = _runs(
        [
            ("2026-05-02", "SUCCESS", 30.0),
            ("2026-05-03", "FAILURE", 10.0),  # failed: bad, however fast
            ("2026-05-04", "FAILURE", 5.0),
            ("2026-05-04", "SUCCESS", 50.0),  # a re-run that succeeded in time: good
            ("2026-05-05", "SUCCESS", 61.0),  # too slow: bad
            ("2026-05-07", "SUCCESS", 20.0),  # 05-06 had no run at all: bad
        ]
    )
    table = slos.evaluate(slo, runs=runs)
    assert list(table.columns) == slos.DAY_COLUMNS
    assert table["day"].dt.strftime("%m-%d").tolist() == [
        "05-02",
        "05-03",
        "05-04",
        "05-05",
        "05-06",
        "05-07",
    ]
    assert table["good"].tolist() == [True, False, True, False, False, True]
    assert table["bad_days"].tolist() == [0, 1, 1, 2, 3, 3]
    assert table["budget_left"].tolist() == [1.0, 0.5, 0.5, 0.0, -0.5, -0.5]
    assert table["slo_met"].tolist() == [True, True, True, True, False, False]
    assert table["measured"].iloc[2] == 50.0


def test_run_time_slo_ignores_other_jobs_and_untagged_runs() -> None:
    slo = slos.RunTimeSLO(name="t", promise="p", objective=0.5, window_days=2, target_s=60)
    runs = pd.concat(
        [
            _runs([("2026-05-02", "SUCCESS", 10.0)]),
            _runs([("2026-05-03", "FAILURE", 10.0)], job="freshness_checks"),
            _runs([(None, "FAILURE", 10.0)]),
        ],
        ignore_index=True,
    )
    table = slos.evaluate(slo, runs=runs)
    assert table["day"].dt.strftime("%m-%d").tolist() == ["05-02"]
    assert table["good"].tolist() == [True]


def test_the_budget_window_rolls() -> None:
    slo = slos.RunTimeSLO(name="t", promise="p", objective=0.5, window_days=2, target_s=60)
    runs = _runs(
        [
            ("2026-05-02", "FAILURE", 1.0),
            ("2026-05-03", "SUCCESS", 1.0),
            ("2026-05-04", "SUCCESS", 1.0),
        ]
    )
    assert slos.evaluate(slo, runs=runs)["bad_days"].tolist() == [1, 1, 0]


def test_freshness_slo_uses_the_last_measurement_of_each_day() -> None:
    slo = slos.FreshnessSLO(
        name="f",
        promise="p",
        objective=0.9,
        window_days=10,
        asset="raw/events",
        check="source_freshness",
        field="age_hours",
        target=48.0,
        unit="hours",
    )
    checks = _checks(
        [
            ("2026-05-05", "raw/events", "source_freshness", {"age_hours": 24.0}),
            ("2026-05-06", "raw/events", "source_freshness", {"age_hours": 72.0}),
            ("2026-05-06", "raw/events", "source_freshness", {"age_hours": 48.0}),  # later: wins
            ("2026-05-07", "raw/events", "source_freshness", {"age_hours": 72.0}),
            ("2026-05-07", "raw/app_users", "source_freshness", {"age_hours": 0.0}),  # other asset
            ("2026-05-08", "raw/events", "other_check", {"age_hours": 0.0}),  # other check
        ]
    )
    table = slos.evaluate(slo, checks=checks)
    assert table["measured"].tolist() == [24.0, 48.0, 72.0]
    assert table["good"].tolist() == [True, True, False]
    assert table["bad_days"].tolist() == [0, 0, 1]
    assert slos.summary(slo, table) | {"promise": None} == {
        "slo": "f",
        "promise": None,
        "target": "48 hours",
        "objective": "90% of days",
        "days": 3,
        "good_days": 2,
        "bad_days": 1,
        "budget_days": 1.0,
        "budget_left": 0.0,
        "slo_met": True,
    }


def test_a_negative_lag_means_unknown_and_counts_as_bad() -> None:
    slo = slos.FreshnessSLO(name="f", promise="p", objective=0.9)
    checks = _checks(
        [("2026-05-05", "published_marts", "published_metrics_are_current", {"lag_days": -1})]
    )
    assert slos.evaluate(slo, checks=checks)["good"].tolist() == [False]


def test_slo_declarations_are_validated() -> None:
    with pytest.raises(ValueError, match="objective"):
        slos.RunTimeSLO(name="x", promise="p", objective=1.0)
    with pytest.raises(ValueError, match="window_days"):
        slos.RunTimeSLO(name="x", promise="p", objective=0.9, window_days=0)
    with pytest.raises(ValueError, match="runs="):
        slos.evaluate(slos.DAILY_RUN_TIME, checks=pd.DataFrame())
    assert slos.DAILY_RUN_TIME.budget_days == 2.8


def test_source_slos_read_dbt_thresholds_from_the_manifest(tmp_path) -> None:
    manifest = {
        "sources": {
            "source.p.events.events": {
                "identifier": "events",
                "freshness": {
                    "warn_after": {"count": 24, "period": "hour"},
                    "error_after": {"count": 2, "period": "day"},
                },
            },
            "source.p.app.plans": {"identifier": "app_plans", "freshness": None},
            "source.p.x.y": {
                "identifier": "warn_only",
                "freshness": {"warn_after": {"count": 30, "period": "minute"}},
            },
        }
    }
    path = tmp_path / "manifest.json"
    path.write_text(__import__("json").dumps(manifest))
    assert slos.source_freshness_thresholds(path) == {
        "events": {"warn_hours": 24.0, "error_hours": 48.0},
        "warn_only": {"warn_hours": 0.5},
    }
    (slo,) = slos.source_freshness_slos(path)
    assert (slo.name, slo.asset, slo.check, slo.target) == (
        "raw_events_fresh",
        "raw/events",
        "source_freshness",
        48.0,
    )


def test_the_project_slos_derive_from_the_checks_and_dbt(dbt_parsed) -> None:
    from orchestration.defs.checks import PUBLISHED_MAX_LAG_DAYS

    published = slos.published_freshness_slo()
    assert published.target == PUBLISHED_MAX_LAG_DAYS["warn"] - 1
    sources = {s.asset: s.target for s in slos.source_freshness_slos()}
    # dbt_project/models/staging/*/_*__sources.yml: error_after 48 hours for every source
    assert sources["raw/events"] == 48.0 and sources["raw/billing_invoices"] == 48.0
    assert [s.name for s in slos.all_slos()][:2] == [
        "daily_pipeline_on_time",
        "published_metrics_current",
    ]
