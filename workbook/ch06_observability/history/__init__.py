"""The ``dagster_history`` checkpoint: a week of simulated daily runs, with two incidents.

Chapter 06 needs a *history* to observe: runs that succeeded, one that failed and retried, an
alert in the sink, a freshness breach. Building it is slow (each day is a full pipeline run), so
it is a checkpoint rung like the others: built once per (seed, scale, code), then restored.

Starting from the ``dagster_run`` state ("now" = 2026-05-01), each simulated day does what the
deployment would do unattended:

1. the product lives one more day (``Simulation.advance(1)``) and the clock moves to midnight;
2. the daily job runs for yesterday's partition (what the 06:00 schedule starts), tagged with the
   simulated clock (``sproutly/simulated_now``);
3. if it failed, the run-failure sensor is evaluated (as the daemon would), which alerts;
4. the freshness job runs (what the hourly schedule starts): dbt source freshness and the
   published-marts check; an error-level breach alerts.

The incidents (:data:`INCIDENTS`) are the microproduct's own faults, switched on for a window of
days before the week starts. The billing API runs with the simulation's fault config (the
pipeline finds it through ``BILLING_API_URL``), so the API outage reaches the real
``billing_api`` asset with its real retry policy.

Run as ``python -m workbook.ch06_observability.history`` inside a data folder at the ``dagster_run`` state.
(A package rather than a module so that the checkpoint's cache key can hash exactly this code.)
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sproutly import clock, paths

#: Days the week of history simulates after the ``dagster_run`` state.
HISTORY_DAYS = 7


@dataclass(frozen=True)
class Incident:
    """A fault switched on for the simulated days ``[from_offset, to_offset)`` after the start.

    Offsets count simulated days from the ``dagster_run`` state (day 0 = 2026-05-01); the API
    faults follow the clock's day, the event-file faults the day being simulated.
    """

    name: str
    fault: str
    from_offset: int
    to_offset: int
    what_happens: str


INCIDENTS = (
    Incident(
        "API outage",
        "api_outage",
        2,
        3,
        "the billing API answers 503 to every request during the 2026-05-03 run: the loader's "
        "retries, then the step's RetryPolicy, give up; the run fails and alerts",
    ),
    Incident(
        "stale source",
        "stale_source",
        3,
        6,
        "no event files are dropped on 2026-05-04..06: raw.events ages 24, 48, 72 hours; "
        "dbt's freshness threshold warns, then errors, and the freshness check alerts",
    ),
)

#: The day after the outage the on-call engineer backfills the missed days instead of the daily
#: run: (offset, first partition, last partition).
BACKFILL = (3, "2026-05-02", "2026-05-03")

QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


def _execute(job, instance, tags: dict[str, str]):
    with contextlib.redirect_stdout(io.StringIO()):
        return job.execute_in_process(
            instance=instance, tags=tags, raise_on_error=False, run_config=QUIET
        )


def build() -> list[str]:
    """Simulate :data:`HISTORY_DAYS` days of unattended operation; returns one line per run."""
    import dagster as dg

    from microproduct import Simulation
    from microproduct.billing_api import running
    from orchestration.instance import ensure_dagster_home

    for name in ("dagster", "dagster.builtin", "dagster_dbt"):
        logging.getLogger(name).setLevel(logging.ERROR)
    ensure_dagster_home()
    simulation = Simulation(paths.data_dir(), progress=False)
    start = simulation.day
    for incident in INCIDENTS:
        simulation.inject(
            incident.fault, from_day=start + incident.from_offset, to_day=start + incident.to_offset
        )
    log: list[str] = []
    with running(
        paths.billing_db_path(), secrets.token_urlsafe(16), faults=simulation.faults
    ) as api:
        os.environ["BILLING_API_URL"], os.environ["BILLING_API_TOKEN"] = api.url, api.token
        # Two attempts per request instead of five: the outage still outlasts every retry (the
        # loader's and the RetryPolicy's), without a minute of real backoff in a simulated week.
        os.environ["BILLING_API_MAX_ATTEMPTS"] = "2"
        from orchestration.definitions import defs
        from orchestration.defs.sensors import alert_for_failed_run

        definitions = defs()
        daily = definitions.resolve_job_def("daily_pipeline")
        freshness = definitions.resolve_job_def("freshness_checks")
        with dg.DagsterInstance.get() as instance:
            for offset in range(1, HISTORY_DAYS + 1):
                simulation.advance(1)
                now = clock.now()
                tags = {"sproutly/simulated_now": now.isoformat(sep=" ")}
                if offset == BACKFILL[0]:
                    first, last = BACKFILL[1], BACKFILL[2]
                    tags["sproutly/backfill"] = "true"
                else:
                    first = last = (now - timedelta(days=1)).date().isoformat()
                tags["dagster/asset_partition_range_start"] = first
                tags["dagster/asset_partition_range_end"] = last
                result = _execute(daily, instance, tags)
                if not result.success:
                    alert_for_failed_run(instance, result)
                log.append(f"{now:%Y-%m-%d} daily_pipeline {first}..{last}: {result.success}")
                checked = _execute(
                    freshness, instance, {"sproutly/simulated_now": tags["sproutly/simulated_now"]}
                )
                log.append(f"{now:%Y-%m-%d} freshness_checks: {checked.success}")
    return log
