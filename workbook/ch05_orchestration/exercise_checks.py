"""Exercise checks for chapter 05: a schedule and a job selection, evaluated with Dagster's own
test contexts (``build_schedule_context``): no daemon, no run is launched."""

from __future__ import annotations

from datetime import UTC, datetime

import dagster as dg

from workbook import checks
from workbook.ch05_orchestration import answers

#: Ticks at which the morning schedule is evaluated.
TICKS = (datetime(2026, 5, 1, 5, 30, tzinfo=UTC), datetime(2026, 3, 1, 5, 30, tzinfo=UTC))


def _requests(result) -> list[dg.RunRequest]:
    if result is None or isinstance(result, dg.SkipReason):
        return []
    if isinstance(result, dg.RunRequest):
        return [result]
    if isinstance(result, list | tuple):
        return [r for r in result if isinstance(r, dg.RunRequest)]
    return list(getattr(result, "run_requests", None) or [])


def morning_schedule(schedule) -> None:
    """A schedule on ``ingest_events`` at 05:30 UTC that requests yesterday's partition with
    the partition as run key."""
    checks.answered(schedule, "your schedule")
    if not isinstance(schedule, dg.ScheduleDefinition):
        checks._fail(
            f"your schedule is a {type(schedule).__name__}, not a ScheduleDefinition.",
            "decorate a function with @dg.schedule(job=..., cron_schedule=...).",
        )
    checks.equal(schedule.job_name, "ingest_events", what="the schedule's job")
    checks.equal(
        schedule.cron_schedule,
        "30 5 * * *",
        what="the cron schedule",
        hint="cron fields: minute hour day-of-month month day-of-week.",
    )
    for tick in TICKS:
        context = dg.build_schedule_context(scheduled_execution_time=tick)
        requests = _requests(schedule(context))
        checks.equal(len(requests), 1, what=f"run requests at {tick:%Y-%m-%d %H:%M}")
        expected = answers.yesterday(tick)
        checks.equal(
            requests[0].partition_key,
            expected,
            what=f"the partition requested at {tick:%Y-%m-%d %H:%M}",
            hint="use context.scheduled_execution_time, never the wall clock, minus one day.",
        )
        checks.equal(
            requests[0].run_key,
            expected,
            what="the run key",
            hint="the partition as run_key: a retried tick then never starts a second run.",
        )


def finance_job(job, definitions) -> None:
    """A job that refreshes ``marts/fct_mrr_daily`` and everything it needs except ingestion."""
    checks.answered(job, "your job")
    graph = definitions.resolve_asset_graph()
    selected = sorted("/".join(k.path) for k in job.selection.resolve(graph))
    expected = answers.upstream_without_raw(definitions, "marts/fct_mrr_daily")
    missing = sorted(set(expected) - set(selected))
    extra = sorted(set(selected) - set(expected))
    if missing or extra:
        checks._fail(
            f"your job selects {len(selected)} assets, expected {len(expected)}; "
            f"missing: {missing or 'none'}; not wanted: {extra or 'none'}.",
            "start from the mart, take .upstream(), and subtract the raw group.",
        )
