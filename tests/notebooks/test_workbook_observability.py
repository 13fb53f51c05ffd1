"""Chapters 06 and 07's workbook helpers on made-up frames: what reaches a committed page (tables,
pictures, files shown) holds no wall-clock value and cuts no error short."""

from __future__ import annotations

import pandas as pd

from workbook.ch06_observability import views
from workbook.ch07_serving_and_deployment import deploy

ERROR = (
    "billing.invoices load billing_invoices-20260503T000000-0001 failed: BillingAPIError: GET "
    "/v1/invoices page 1 failed after 2 attempts (last error: TransientStatus: HTTP 503 from GET "
    "/v1/invoices page 1)"
)


def _runs(seconds: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "job": ["daily_pipeline", "daily_pipeline", "freshness_checks", "daily_pipeline"],
            "status": ["SUCCESS", "FAILURE", "SUCCESS", "SUCCESS"],
            "partition": ["2026-01-01..2026-04-30", "2026-05-01", None, "2026-05-01..2026-05-02"],
            "is_backfill": [False, False, False, True],
            "simulated_now": pd.to_datetime(
                ["2026-05-01", "2026-05-02", "2026-05-02", "2026-05-03"]
            ),
            "duration_s": [seconds * 3, seconds, 1.0, seconds],
            "step_retries": [0, 3, 0, 0],
        }
    )


def _steps(scale: float) -> pd.DataFrame:
    rows = []
    for run, dbt_s in (("a", 20.0), ("b", 30.0), ("c", 25.0)):
        for step, seconds in (("sproutly_dbt", dbt_s), ("raw__events", 1.0), ("billing_api", 2.0)):
            rows.append({"run_id": run, "step": step, "status": "SUCCESS", "duration_s": seconds})
    rows.append({"run_id": "d", "step": "billing_api", "status": "FAILURE", "duration_s": 99.0})
    frame = pd.DataFrame(rows)
    frame["duration_s"] *= scale
    return frame


def _bar_heights(figure) -> list[float]:
    return [patch.get_height() for patch in figure.axes[0].patches]


def test_runs_plot_draws_partitions_not_seconds() -> None:
    """A slower machine draws the same picture: one bar per daily run, its days covered."""
    fast, slow = views.runs_plot(_runs(20.0)), views.runs_plot(_runs(200.0))
    assert _bar_heights(fast) == _bar_heights(slow) == [120, 1, 2]


def test_step_time_shares_are_the_same_on_a_slower_machine() -> None:
    fast, slow = views.step_time_shares(_steps(1.0)), views.step_time_shares(_steps(7.3))
    pd.testing.assert_frame_equal(fast, slow)
    assert fast["step"].tolist() == ["sproutly_dbt", "billing_api", "raw__events"]
    assert fast["share of a run's time"].tolist() == ["more than half", *["under a fifth"] * 2]
    assert fast["runs"].tolist() == [3, 3, 3]  # the failed run "d" is left out


def test_failure_table_keeps_the_cause_of_a_long_error() -> None:
    failures = pd.DataFrame(
        {"event": ["retry"], "step": ["billing_api"], "error_class": ["Failure"], "error": [ERROR]}
    )
    assert views.failure_table(failures)["cause"].item() == (
        "TransientStatus: HTTP 503 from GET /v1/invoices page 1"
    )


def test_alerts_table_keeps_the_whole_first_line() -> None:
    alert = {"kind": "failure", "title": "Run failed", "job_name": "daily_pipeline", "text": ERROR}
    assert views.alerts_table([alert])["text"].item() == ERROR


def test_ci_job_shows_one_job_with_the_triggers() -> None:
    shown = deploy.ci_job("test").text
    assert shown.startswith("on:\n") and "\njobs:\n  test:\n" in shown
    assert "run: make test" in shown
    assert "newest-dependencies" not in shown


def test_env_example_shows_only_the_named_entries() -> None:
    shown = deploy.env_example(["SPROUTLY_TARGET", "ALERT_WEBHOOK_URL"]).text
    assert "SPROUTLY_TARGET=dev" in shown and "# ALERT_WEBHOOK_URL=" in shown
    assert "BILLING_API_TOKEN" not in shown and "SNOWFLAKE" not in shown
