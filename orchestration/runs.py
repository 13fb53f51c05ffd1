"""The one way to operate the pipeline in-process: run a job, or simulate days as the daemon would.

Every caller goes through here: ``python -m orchestration`` (the CLI), chapter 05's views,
chapter 06's drills and the week of history its checkpoint builds. A run started here is

- quiet: Dagster's console logger at WARNING, so the console shows dbt's own progress lines
  and what went wrong; with ``capture_output`` (notebooks, checkpoints) whatever still prints is
  swallowed too, so no timestamp or run id reaches a page;
- tagged like the deployment's own runs: ``sproutly/simulated_now`` (the simulated clock it ran
  at, which ``orchestration.observability`` reads), the partition range, ``sproutly/backfill``.

::

    from orchestration import runs
    with runs.project_instance() as instance:
        result = runs.execute("daily_pipeline", partition_range=("2026-04-30", "2026-04-30"),
                              instance=instance)
        if not result.success:
            runs.alert_on_failure(instance, result)   # what the daemon's failure sensor does

    runs.simulate_days(simulation, 7)   # advance the product a day, daily run, sensor, freshness
"""

from __future__ import annotations

import contextlib
import io
import logging
import secrets
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import dagster as dg

from sproutly import clock, paths
from sproutly.settings import settings

if TYPE_CHECKING:
    from microproduct import Simulation
    from orchestration.defs.resources import AlertsResource

#: The simulated clock a run started at (``YYYY-MM-DD HH:MM:SS``).
SIMULATED_NOW_TAG = "sproutly/simulated_now"
#: Marks a reload of a partition range (delete + insert) rather than a normal incremental load.
BACKFILL_TAG = "sproutly/backfill"
#: Dagster's own tags for a run over a range of partitions.
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"

#: Only warnings and errors reach the console; the full event log is in the Dagster UI.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
#: Python loggers Dagster and dagster-dbt write INFO lines to (with run ids and paths).
_NOISY_LOGGERS = ("dagster", "dagster.builtin", "dagster_dbt")


def project_instance() -> dg.DagsterInstance:
    """The project's Dagster instance (``$DAGSTER_HOME`` in the data folder): runs executed on
    it are part of the recorded history, like the ones a schedule starts. Close it after use
    (``with runs.project_instance() as instance: ...``)."""
    from orchestration.instance import ensure_dagster_home

    ensure_dagster_home()
    return dg.DagsterInstance.get()


def yesterday() -> str:
    """The partition the daily schedule runs for: the simulated day before "now"."""
    return (clock.now() - timedelta(days=1)).date().isoformat()


def run_tags(
    *, partition_range: tuple[str, str] | None = None, backfill: bool = False
) -> dict[str, str]:
    """The tags of a run started now: the simulated clock (when one is set), the partition
    range, and the backfill marker."""
    tags: dict[str, str] = {}
    try:
        tags[SIMULATED_NOW_TAG] = clock.now().isoformat(sep=" ")
    except clock.ClockNotSet:
        pass
    if partition_range is not None:
        tags[RANGE_START_TAG], tags[RANGE_END_TAG] = partition_range
    if backfill:
        tags[BACKFILL_TAG] = "true"
    return tags


@contextlib.contextmanager
def _quiet(capture_output: bool) -> Iterator[None]:
    """Python loggers at WARNING for the duration (dagster-dbt's handler keeps the original
    stderr); with ``capture_output``, stdout and stderr swallowed as well."""
    loggers = [logging.getLogger(name) for name in _NOISY_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        if capture_output:
            captured = io.StringIO()
            with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
                yield
        else:
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def execute(
    job: dg.JobDefinition | str,
    *,
    partition_key: str | None = None,
    partition_range: tuple[str, str] | None = None,
    selection: Sequence[dg.AssetKey] | None = None,
    backfill: bool = False,
    instance: dg.DagsterInstance | None = None,
    definitions: dg.Definitions | None = None,
    capture_output: bool = True,
) -> dg.ExecuteInProcessResult:
    """Execute ``job`` (a job or its name in ``definitions``) in-process, quietly and tagged.

    ``partition_key`` runs one partition, ``partition_range`` a ``(first, last)`` range in one
    run; ``selection`` limits the run to these assets (and their checks); ``backfill`` reloads
    the range. Without ``instance`` the run goes to an ephemeral instance (nothing recorded);
    pass :func:`project_instance` to record it. Never raises on a failed step: inspect
    ``result.success``.
    """
    if isinstance(job, str):
        if definitions is None:
            from orchestration.definitions import defs

            definitions = defs()
        job = definitions.resolve_job_def(job)
    with _quiet(capture_output):
        return job.execute_in_process(
            partition_key=partition_key,
            asset_selection=list(selection) if selection is not None else None,
            instance=instance or dg.DagsterInstance.ephemeral(),
            run_config=QUIET,
            tags=run_tags(partition_range=partition_range, backfill=backfill),
            raise_on_error=False,
        )


def alert_on_failure(
    instance: dg.DagsterInstance,
    result: dg.ExecuteInProcessResult,
    alerts: AlertsResource | None = None,
) -> None:
    """Evaluate the project's run-failure sensor (``alert_on_run_failure``) for a failed
    in-process run, as the daemon would: one alert per failure chain, sent to the sink
    (``data/alerts.jsonl`` without a webhook)."""
    from orchestration.defs.resources import AlertsResource
    from orchestration.defs.sensors import alert_on_run_failure

    failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.RUN_FAILURE)
    context = dg.build_run_status_sensor_context(
        sensor_name=alert_on_run_failure.name,
        dagster_instance=instance,
        dagster_run=instance.get_run_by_id(result.run_id),
        dagster_event=failure,
        resources={"alerts": alerts or AlertsResource()},
    ).for_run_failure()
    alert_on_run_failure(context)


@dataclass(frozen=True)
class SimulatedDay:
    """What the daemon ran on one simulated day."""

    now: datetime
    partition_range: tuple[str, str]
    backfill: bool
    daily_success: bool
    freshness_success: bool

    def lines(self) -> list[str]:
        first, last = self.partition_range
        return [
            f"{self.now:%Y-%m-%d} daily_pipeline {first}..{last}: {self.daily_success}",
            f"{self.now:%Y-%m-%d} freshness_checks: {self.freshness_success}",
        ]


def simulate_days(
    simulation: Simulation,
    days: int,
    *,
    backfills: Mapping[int, tuple[str, str]] | None = None,
) -> list[SimulatedDay]:
    """Replay ``days`` simulated days of unattended operation, as the Dagster daemon would.

    Each day (``offset`` = 1, 2, ... ``days``):

    1. the product lives one more day (``simulation.advance(1)``): the clock moves to midnight;
    2. the daily job runs for yesterday's partition (what the 06:00 schedule starts) — or, when
       ``backfills`` plans one for that offset, a backfill of the ``(first, last)`` range;
    3. if it failed, the run-failure sensor is evaluated, which alerts;
    4. the freshness job runs (what the hourly schedule starts); an error-level breach alerts.

    Runs are recorded on the project's instance. The simulated billing API serves the
    simulation's fault config (the pipeline finds it through ``BILLING_API_URL``), so an injected
    API fault reaches the real ``billing_api`` asset with its real retry policy.
    """
    from microproduct.billing_api import running
    from sproutly.env import temporarily

    backfills = backfills or {}
    report: list[SimulatedDay] = []
    with running(
        paths.billing_db_path(),
        settings().plain("BILLING_API_TOKEN") or secrets.token_urlsafe(16),
        faults=simulation.faults,
    ) as api:
        with temporarily({"BILLING_API_URL": api.url, "BILLING_API_TOKEN": api.token}):
            from orchestration.definitions import defs

            definitions = defs()  # after BILLING_API_URL is set: the resource reads it
            with project_instance() as instance:
                for offset in range(1, days + 1):
                    simulation.advance(1)
                    day = yesterday()
                    partition_range = backfills.get(offset, (day, day))
                    daily = execute(
                        "daily_pipeline",
                        partition_range=partition_range,
                        backfill=offset in backfills,
                        instance=instance,
                        definitions=definitions,
                    )
                    if not daily.success:
                        alert_on_failure(instance, daily)
                    freshness = execute(
                        "freshness_checks", instance=instance, definitions=definitions
                    )
                    report.append(
                        SimulatedDay(
                            now=clock.now(),
                            partition_range=partition_range,
                            backfill=offset in backfills,
                            daily_success=daily.success,
                            freshness_success=freshness.success,
                        )
                    )
    return report
