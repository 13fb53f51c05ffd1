"""Chapter 08's workbook helpers that need no emulator: measured trigger inputs and their tables.

The emulator-backed checks (``workbook.ch08_snowflake_cutover.exercise_checks``) are proven by the exercise test
(``test_exercises.py -k 08``: they fail unsolved and pass solved).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from workbook.ch08_snowflake_cutover import cost, exercise_checks, when
from workbook.triggers import upgrade_triggers


def _runs(*rows: tuple[str, str, float], partition: str = "2026-05-01") -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["job", "status", "duration_s"])
    return frame.assign(partition=partition, is_backfill=False, retry_number=0)


def test_rough_rounds_up_to_a_power_of_ten() -> None:
    assert when.rough(0.023, "GB") == "under 0.1 GB"
    assert when.rough(1.46, "min") == "under 10 min"
    assert when.rough(10, "min") == "under 100 min"
    assert when.rough(0, "GB") == "0 GB"
    assert when.rough(250_000, "GB") == "250,000 GB"
    assert when.rough(0.9, "min", (10, 20, 30)) == "under 10 min"
    assert when.rough(25, "min", (10, 20, 30)) == "under 30 min"


def test_run_minutes_is_the_median_daily_run_not_the_slowest() -> None:
    """The playbook's "regularly exceed": one slow day among nine does not move the input."""
    daily = [("daily_pipeline", "SUCCESS", 60.0 * m) for m in (2, 2, 3, 3, 3, 4, 4, 5)]
    runs = pd.concat(
        [
            _runs(*daily, ("daily_pipeline", "SUCCESS", 60.0 * 45)),  # one slow day
            _runs(("daily_pipeline", "FAILURE", 9000.0)),  # a failed run is not a full run
            _runs(("freshness_checks", "SUCCESS", 6000.0)),  # another job
            _runs(("daily_pipeline", "SUCCESS", 7000.0), partition="2026-01-01..2026-04-30"),
            _runs(("daily_pipeline", "SUCCESS", 5.0)).assign(retry_number=1),  # re-execution
            _runs(("daily_pipeline", "SUCCESS", 8000.0)).assign(is_backfill=True),
        ],
        ignore_index=True,
    )
    measured = when.run_minutes(runs)
    assert measured.value == pytest.approx(3.0)
    assert measured.rough == "under 10 min" and measured.upper == 10
    assert "p50 of 9" in measured.source
    durations = when.run_durations(runs)
    assert durations.count == 9
    assert durations.p90 == pytest.approx(60 * (5 + 0.2 * 40))  # 8th + 0.2 of the way to the 9th
    assert durations.table()["run duration"].tolist() == ["under 10 min", "under 20 min"]
    team = {"data_gb": 1, "concurrent_users": 1}
    assert upgrade_triggers(run_minutes=measured.value, **team).verdict == "local-first"
    assert upgrade_triggers(run_minutes=45, **team).fired == ["run_minutes"]  # the slowest run
    with pytest.raises(ValueError, match="no successful"):
        when.run_minutes(_runs(("daily_pipeline", "FAILURE", 10.0)))


def test_first_month_bills_per_second_with_a_minimum_per_resume() -> None:
    assert cost.billed_seconds(0, auto_suspend_seconds=0) == 60  # the minimum per resume
    assert cost.billed_seconds(30) == 90  # 30 s of work, then 60 s idle until auto-suspend
    assert cost.billed_seconds(600) == 660
    assert cost.billed_seconds(20, auto_suspend_seconds=10) == 60
    with pytest.raises(ValueError):
        cost.billed_seconds(-1)
    table = cost.first_month(
        [
            cost.Workload("daily_pipeline", runs_per_day=1, run_seconds=600),
            cost.Workload("hourly_freshness", runs_per_day=24, run_seconds=60),
        ],
        price_per_credit=2.0,
    ).set_index("workload")
    # 30 runs x 660 s = 5.5 h at 1 credit/h; 720 runs x 120 s = 24 h
    assert table.loc["daily_pipeline", "credits"] == pytest.approx(5.5)
    assert table.loc["hourly_freshness", "credits"] == pytest.approx(24.0)
    assert table.loc["total", "credits"] == pytest.approx(29.5)
    assert table.loc["total", "cost"] == pytest.approx(59.0)
    assert table.loc["hourly_freshness", "runs per month"] == 720
    bigger = cost.first_month(
        [cost.Workload("daily_pipeline", 1, 600)], credits_per_hour=2, auto_suspend_seconds=0
    )
    assert bigger["credits"].iloc[0] == pytest.approx(10.0)  # 30 x 600 s x 2 credits/h


def test_measured_workloads_price_the_p90_rounded_up_to_a_band() -> None:
    bands = [cost.band(s) for s in (0, 5, 60, 61, 301, 1799, 1801)]
    assert bands == [60, 60, 60, 300, 600, 1800, 1860]
    daily = [("daily_pipeline", "SUCCESS", s) for s in (20.0, 25.0, 28.0, 30.0, 200.0)]
    hourly = [("freshness_checks", "SUCCESS", s) for s in (1.0, 2.0, 6.0)]
    runs = pd.concat([_runs(*daily), _runs(*hourly).assign(partition=None)], ignore_index=True)
    workloads = cost.measured_workloads(runs)
    assert [(w.name, w.runs_per_day, w.run_seconds) for w in workloads] == [
        ("daily_pipeline", 1, 300),  # p90 = 132 s: the slow day counts, rounded up to 5 min
        ("freshness_checks", 24, 60),
    ]
    table = cost.first_month(workloads).set_index("workload")
    # 30 x 360 s + 720 x 120 s = 3 h + 24 h at 1 credit/h, 3.0 per credit
    assert table.loc["total", "credits"] == pytest.approx(27.0)
    assert table.loc["total", "cost"] == pytest.approx(81.0)
    six_hourly = cost.first_month(cost.every(workloads, "freshness_checks", 4))
    assert six_hourly.set_index("workload").loc["freshness_checks", "credits"] == 4.0


def test_measure_assess_and_tables(data_dir: Path) -> None:
    with pytest.raises(ValueError, match="no DuckDB files"):
        when.data_gb()
    (data_dir / "warehouse").mkdir()
    (data_dir / "warehouse" / "dev.duckdb").write_bytes(b"x" * 3_000_000)
    (data_dir / "serving").mkdir()
    (data_dir / "serving" / "dev_marts.duckdb").write_bytes(b"x" * 1_000_000)
    measured = when.measure(
        concurrent_users=2,
        freshness_sla_minutes=24 * 60,
        runs=_runs(("daily_pipeline", "SUCCESS", 90.0)),
    )
    assert measured.data_gb.value == pytest.approx(0.004)
    assessment = measured.assess()
    assert assessment.verdict == "local-first"
    table = when.trigger_table(assessment, measured)
    assert table["input"].tolist()[:2] == ["under 10 min", "under 0.01 GB"]
    assert set(table["state"]) == {"ok"}
    # a what-if replaces one input; the table then shows the exact value given
    slow = measured.assess(run_minutes=35)
    assert slow.fired == ["run_minutes"]
    assert when.trigger_table(slow, measured)["input"].iloc[0] == "35 min"
    scenarios = when.what_if(
        measured, {"audit": {"governance": ("audit",)}, "busy": {"concurrent_users": 3}}
    )
    assert scenarios["fires"].tolist() == ["governance", "concurrent_users"]
    headroom = when.headroom(assessment).set_index("trigger")["factor"]
    assert headroom["run duration"] == pytest.approx(20, rel=1e-3)
    assert headroom["concurrent users"] == pytest.approx(1.5, rel=1e-3)


def test_current_prices_reference_is_the_open_row_per_plan() -> None:
    reference = exercise_checks.current_prices_reference()
    assert dict(zip(reference["plan_id"], reference["price_cents"], strict=True)) == {
        "basic_annual": 4999,
        "basic_monthly": 599,
        "pro_annual": 9999,
        "pro_monthly": 1099,
    }
    calendar = exercise_checks.calendar_reference()
    assert calendar["weekday_name"].tolist()[:2] == ["Thu", "Fri"]  # 2026-01-01 was a Thursday
