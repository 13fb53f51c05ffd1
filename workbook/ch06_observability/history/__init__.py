"""The ``dagster_history`` checkpoint: a week of simulated daily runs, with two incidents.

Chapter 06 needs a *history* to observe: runs that succeeded, one that failed and retried, an
alert in the sink, a freshness breach. Building it is slow (each day is a full pipeline run), so
it is a checkpoint rung like the others: built once per (seed, scale, code), then restored.

Starting from the ``dagster_run`` state ("now" = 2026-05-01), each simulated day does what the
deployment would do unattended, replayed by :func:`orchestration.runs.simulate_days`: the product
lives one more day, the daily job runs for yesterday's partition (what the 06:00 schedule starts),
a failed run is alerted by the run-failure sensor, and the freshness job runs (what the hourly
schedule starts). What is chapter 06's own lives here: the incidents, the backfill day and how
many days to simulate.

The incidents (:data:`INCIDENTS`) are the microproduct's own faults, switched on for a window of
days before the week starts. The billing API serves the simulation's fault config, so the API
outage reaches the real ``billing_api`` asset with its real retry policy.

Run as ``python -m workbook.ch06_observability.history`` inside a data folder at the ``dagster_run`` state.
(A package rather than a module so that the checkpoint's cache key can hash exactly this code.)
"""

from __future__ import annotations

from dataclasses import dataclass

from sproutly import paths

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


def build() -> list[str]:
    """Simulate :data:`HISTORY_DAYS` days of unattended operation; returns two lines per day
    (the daily run and the freshness run, each with its outcome)."""
    from microproduct import Simulation
    from orchestration import runs
    from sproutly.env import temporarily

    simulation = Simulation(paths.data_dir(), progress=False)
    start = simulation.day
    for incident in INCIDENTS:
        simulation.inject(
            incident.fault, from_day=start + incident.from_offset, to_day=start + incident.to_offset
        )
    # Two attempts per request instead of five: the outage still outlasts every retry (the
    # loader's and the RetryPolicy's), without a minute of real backoff in a simulated week.
    with temporarily({"BILLING_API_MAX_ATTEMPTS": "2"}):
        days = runs.simulate_days(
            simulation, HISTORY_DAYS, backfills={BACKFILL[0]: (BACKFILL[1], BACKFILL[2])}
        )
    return [line for day in days for line in day.lines()]
