"""What the Dagster instance knows about past runs, as pandas tables.

Every run Dagster executes is recorded in its instance (``$DAGSTER_HOME``, see
``orchestration.instance``): the run with its tags and status, and an event log with every step's
start, retry, success or failure. The UI browses that record; this module reads the same record
into three tables an analytics engineer can filter, plot and test:

    from orchestration import observability
    observability.runs()                 # one row per run: status, partition, duration, retries
    observability.steps()                # one row per step of each run: status, attempts
    observability.failures()             # one row per step failure or retry, with its error

All three take an optional ``instance`` (tests pass ``dg.DagsterInstance.ephemeral()``); without
one they open the project's instance read-only for the duration of the call. Wall-clock columns
(``started_at``, ``ended_at``, ``duration_s``) are when the machine ran the run; the simulated date a
run belongs to is the ``sproutly/simulated_now`` tag that ``python -m orchestration`` sets. No
business metric lives here: this is about the pipeline, not about Sproutly's subscribers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import pandas as pd

#: The tag every run started through ``orchestration.runs`` carries: the simulated clock then.
from orchestration.runs import BACKFILL_TAG, SIMULATED_NOW_TAG

#: The tags that mark a backfill (``python -m orchestration backfill`` or a UI backfill).
BACKFILL_TAGS = (BACKFILL_TAG, "dagster/backfill")

RUN_COLUMNS = [
    "run_id",
    "job",
    "status",
    "partition",
    "is_backfill",
    "simulated_now",
    "started_at",
    "ended_at",
    "duration_s",
    "root_run_id",
    "retry_number",
    "attempts",
    "step_retries",
    "failed_steps",
    "error",
]
STEP_COLUMNS = [
    "run_id",
    "job",
    "step",
    "status",
    "attempts",
    "started_at",
    "ended_at",
    "duration_s",
]
FAILURE_COLUMNS = [
    "run_id",
    "job",
    "step",
    "event",
    "at",
    "error_class",
    "error",
]


@contextmanager
def _opened(instance: dg.DagsterInstance | None) -> Iterator[dg.DagsterInstance]:
    """The given instance, or the project's own (``$DAGSTER_HOME``), closed again afterwards."""
    if instance is not None:
        yield instance
        return
    from orchestration.instance import ensure_dagster_home

    ensure_dagster_home()
    with dg.DagsterInstance.get() as project_instance:
        yield project_instance


def _timestamp(seconds: float | None) -> pd.Timestamp:
    """A Unix timestamp as naive UTC (NaT for a run that has not started or ended)."""
    if seconds is None:
        return pd.NaT
    return pd.Timestamp(seconds, unit="s")


def _partition(tags: dict[str, str]) -> str | None:
    """``2026-04-30`` for a single partition, ``start..end`` for a range, None when unpartitioned."""
    if "dagster/partition" in tags:
        return tags["dagster/partition"]
    start = tags.get("dagster/asset_partition_range_start")
    end = tags.get("dagster/asset_partition_range_end")
    if start and end:
        return start if start == end else f"{start}..{end}"
    return None


def _first_line(text: str | None, limit: int = 300) -> str:
    lines = (text or "").strip().splitlines()
    return lines[0][:limit] if lines else ""


def _error_of(event: dg.DagsterEvent) -> tuple[str, str]:
    """(error class, first line of the message) of a step failure or retry event.

    A retry requested by a RetryPolicy wraps the real exception: report the cause.
    """
    data = event.event_specific_data
    error = getattr(data, "error", None)
    if error is None:
        return "", _first_line(event.message)
    root = error.cause or error
    name = root.cls_name or ""
    # Dagster's message starts with the (possibly dotted) class name; it has its own column
    message = (
        re.sub(rf"^(?:\w+\.)*{re.escape(name)}: ", "", root.message or "") if name else root.message
    )
    return name, _first_line(message)


_FAILURE_EVENTS = {
    dg.DagsterEventType.STEP_FAILURE: "step_failure",
    dg.DagsterEventType.STEP_UP_FOR_RETRY: "retry",
    dg.DagsterEventType.RUN_FAILURE: "run_failure",
}


def _failure_rows(instance: dg.DagsterInstance, run: dg.DagsterRun) -> list[dict]:
    records = instance.get_records_for_run(run.run_id, of_type=set(_FAILURE_EVENTS)).records
    rows = []
    for record in records:
        entry = record.event_log_entry
        event = entry.dagster_event
        error_class, error = _error_of(event)
        rows.append(
            {
                "run_id": run.run_id,
                "job": run.job_name,
                "step": event.step_key,
                "event": _FAILURE_EVENTS[event.event_type],
                "at": _timestamp(entry.timestamp),
                "error_class": error_class,
                "error": error,
            }
        )
    return rows


def _records(
    instance: dg.DagsterInstance, job: str | None, run_ids: list[str] | None = None
) -> list:
    """Run records, oldest first (the order they were created in)."""
    filters = dg.RunsFilter(job_name=job, run_ids=run_ids) if job or run_ids else None
    return list(
        instance.get_run_records(filters=filters, order_by="create_timestamp", ascending=True)
    )


def runs(instance: dg.DagsterInstance | None = None, *, job: str | None = None) -> pd.DataFrame:
    """One row per run, oldest first.

    Columns: ``run_id``, ``job``, ``status`` (``SUCCESS``, ``FAILURE``, ``CANCELED``, ``STARTED``...),
    ``partition`` (a day, ``start..end`` for a range, or None), ``is_backfill``, ``simulated_now``
    (the simulated clock when the run started, from the run's tag; NaT if untagged),
    ``started_at`` / ``ended_at`` (wall clock, naive UTC), ``duration_s``, ``root_run_id`` and
    ``retry_number`` (a run re-executed by Dagster's run retries shares its root's id),
    ``attempts`` (the most attempts any step needed), ``step_retries`` (RetryPolicy retries in the
    run), ``failed_steps`` (comma-separated, sorted) and ``error`` (the first failure's first line).
    """
    with _opened(instance) as opened:
        rows = []
        for record in _records(opened, job):
            run = record.dagster_run
            tags = dict(run.tags)
            stats = opened.get_run_step_stats(run.run_id)
            failures = _failure_rows(opened, run)
            failed = sorted({f["step"] for f in failures if f["event"] == "step_failure"})
            first_error = next(
                (f["error"] for f in failures if f["event"] == "step_failure"),
                next((f["error"] for f in failures if f["event"] == "run_failure"), ""),
            )
            started, ended = _timestamp(record.start_time), _timestamp(record.end_time)
            simulated = tags.get(SIMULATED_NOW_TAG)
            rows.append(
                {
                    "run_id": run.run_id,
                    "job": run.job_name,
                    "status": run.status.value,
                    "partition": _partition(tags),
                    "is_backfill": any(tags.get(t) for t in BACKFILL_TAGS),
                    "simulated_now": pd.Timestamp(simulated) if simulated else pd.NaT,
                    "started_at": started,
                    "ended_at": ended,
                    "duration_s": (ended - started).total_seconds()
                    if record.start_time and record.end_time
                    else float("nan"),
                    "root_run_id": tags.get("dagster/root_run_id", run.run_id),
                    "retry_number": int(tags.get("dagster/retry_number", 0)),
                    "attempts": max((s.attempts or 1 for s in stats), default=0),
                    "step_retries": sum(1 for f in failures if f["event"] == "retry"),
                    "failed_steps": ", ".join(failed),
                    "error": first_error if run.status != dg.DagsterRunStatus.SUCCESS else "",
                }
            )
    return pd.DataFrame(rows, columns=RUN_COLUMNS)


def steps(
    instance: dg.DagsterInstance | None = None,
    *,
    job: str | None = None,
    run_ids: list[str] | None = None,
) -> pd.DataFrame:
    """One row per step of each run (oldest run first, steps by start time).

    Columns: ``run_id``, ``job``, ``step`` (the op: e.g. ``billing_api``, ``sproutly_dbt``),
    ``status`` (``SUCCESS``, ``FAILURE``, ``SKIPPED``...), ``attempts`` (1 + retries),
    ``started_at``, ``ended_at``, ``duration_s``.
    """
    with _opened(instance) as opened:
        rows = []
        for record in _records(opened, job, run_ids):
            run = record.dagster_run
            stats = sorted(
                opened.get_run_step_stats(run.run_id),
                key=lambda s: (s.start_time or float("inf"), s.step_key),
            )
            for stat in stats:
                started, ended = _timestamp(stat.start_time), _timestamp(stat.end_time)
                rows.append(
                    {
                        "run_id": run.run_id,
                        "job": run.job_name,
                        "step": stat.step_key,
                        "status": stat.status.value if stat.status else None,
                        "attempts": stat.attempts or 1,
                        "started_at": started,
                        "ended_at": ended,
                        "duration_s": (ended - started).total_seconds()
                        if stat.start_time and stat.end_time
                        else float("nan"),
                    }
                )
    return pd.DataFrame(rows, columns=STEP_COLUMNS)


def failures(
    instance: dg.DagsterInstance | None = None,
    *,
    job: str | None = None,
    run_ids: list[str] | None = None,
) -> pd.DataFrame:
    """One row per failure event, oldest first: every retry a RetryPolicy requested
    (``event="retry"``), every step that finally failed (``"step_failure"``) and every failed run
    (``"run_failure"``), with the error's class and first line."""
    with _opened(instance) as opened:
        rows = [
            row
            for record in _records(opened, job, run_ids)
            for row in _failure_rows(opened, record.dagster_run)
        ]
    frame = pd.DataFrame(rows, columns=FAILURE_COLUMNS)
    return frame.sort_values("at", kind="stable").reset_index(drop=True)


def daily_summary(runs_table: pd.DataFrame) -> pd.DataFrame:
    """Runs per simulated day and job: how many, how many failed, retries, the longest duration.

    Takes the output of :func:`runs` (only rows with a ``simulated_now``)."""
    tagged = runs_table.dropna(subset=["simulated_now"]).copy()
    tagged["simulated_day"] = tagged["simulated_now"].dt.date
    tagged["failed"] = tagged["status"] == "FAILURE"
    summary = (
        tagged.groupby(["simulated_day", "job"], sort=True)
        .agg(
            runs=("run_id", "size"),
            failed=("failed", "sum"),
            step_retries=("step_retries", "sum"),
            max_duration_s=("duration_s", "max"),
        )
        .reset_index()
    )
    return summary


CHECK_COLUMNS = [
    "run_id",
    "job",
    "simulated_now",
    "asset",
    "check",
    "passed",
    "severity",
    "metadata",
]


def check_evaluations(
    instance: dg.DagsterInstance | None = None, *, job: str | None = None
) -> pd.DataFrame:
    """One row per asset check evaluation recorded in a run, oldest run first.

    Columns: ``run_id``, ``job``, ``simulated_now`` (the run's tag), ``asset`` (``raw/events``),
    ``check`` (``source_freshness``, ``published_metrics_are_current``, a dbt test's name...),
    ``passed``, ``severity`` (``WARN`` / ``ERROR``) and ``metadata`` (a dict of plain values, e.g.
    ``{"status": "warn", "age_hours": 48.0}``). The SLOs in ``orchestration.slos`` read their
    freshness facts from here.
    """
    with _opened(instance) as opened:
        rows = []
        for record in _records(opened, job):
            run = record.dagster_run
            simulated = run.tags.get(SIMULATED_NOW_TAG)
            events = opened.get_records_for_run(
                run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
            ).records
            for event in events:
                evaluation = event.event_log_entry.dagster_event.event_specific_data
                rows.append(
                    {
                        "run_id": run.run_id,
                        "job": run.job_name,
                        "simulated_now": pd.Timestamp(simulated) if simulated else pd.NaT,
                        "asset": "/".join(evaluation.asset_key.path),
                        "check": evaluation.check_name,
                        "passed": bool(evaluation.passed),
                        "severity": evaluation.severity.value,
                        "metadata": {k: v.value for k, v in evaluation.metadata.items()},
                    }
                )
    return pd.DataFrame(rows, columns=CHECK_COLUMNS)
