"""Chapter 08's workbook helpers that need no emulator: measured trigger inputs and their tables.

The emulator-backed checks (``workbook.ch08_snowflake_cutover.exercise_checks``) are proven by the exercise test
(``test_exercises.py -k 08``: they fail unsolved and pass solved).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from workbook.ch08_snowflake_cutover import exercise_checks, when


def _runs(*rows: tuple[str, str, float]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["job", "status", "duration_s"])


def test_rough_rounds_up_to_a_power_of_ten() -> None:
    assert when.rough(0.023, "GB") == "under 0.1 GB"
    assert when.rough(1.46, "min") == "under 10 min"
    assert when.rough(10, "min") == "under 100 min"
    assert when.rough(0, "GB") == "0 GB"
    assert when.rough(250_000, "GB") == "250,000 GB"
    assert when.rough(0.9, "min", (10, 20, 30)) == "under 10 min"
    assert when.rough(25, "min", (10, 20, 30)) == "under 30 min"


def test_run_minutes_is_the_longest_successful_pipeline_run() -> None:
    runs = _runs(
        ("daily_pipeline", "SUCCESS", 60.0),
        ("daily_pipeline", "SUCCESS", 150.0),
        ("daily_pipeline", "FAILURE", 900.0),  # a failed run is not a full run
        ("freshness_checks", "SUCCESS", 600.0),  # another job
    )
    measured = when.run_minutes(runs)
    assert measured.value == pytest.approx(2.5)
    assert "of 2" in measured.source
    with pytest.raises(ValueError, match="no successful"):
        when.run_minutes(_runs(("daily_pipeline", "FAILURE", 10.0)))


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
