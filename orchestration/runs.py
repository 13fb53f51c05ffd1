"""The one way to operate the pipeline in-process: run a job, or simulate days as the daemon would.

Every caller goes through here: ``python -m orchestration`` (the CLI), chapter 05's views,
chapter 06's drills and the week of history its checkpoint builds. A run started here is

- quiet: Dagster's console logger at WARNING, so the console shows dbt's own progress lines
  and what went wrong; with ``capture_output`` (notebooks, checkpoints) whatever still prints is
  swallowed too, so no timestamp or run id reaches a page;
- tagged like the deployment's own runs: ``sproutly/simulated_now`` (the simulated clock it ran
  at, which ``orchestration.observability`` reads), the partition range, ``sproutly/backfill``,
  and the process that runs it (``sproutly/host``, ``sproutly/pid``);
- safe after a crash: a run of this host whose process is gone (``kill -9``, a lost kernel) still
  says STARTED and holds its ``warehouse`` pool slot. Before a run starts, such dead runs are
  marked failed (and alerted), and their slots freed (:func:`recover_dead_runs`). A slot held by
  a live run is waited for with a visible message, at most ``SPROUTLY_POOL_WAIT_SECONDS``
  (default 600), then :class:`PoolBusy` is raised (:func:`wait_for_pool`).

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
import os
import secrets
import socket
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import dagster as dg

from orchestration.instance import WAREHOUSE_POOL
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

#: The process a run started through here executes in (a dead process = a dead run).
HOST_TAG = "sproutly/host"
PID_TAG = "sproutly/pid"
#: How long a run waits for a pool slot held by another live run before giving up.
POOL_WAIT_ENV = "SPROUTLY_POOL_WAIT_SECONDS"

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


def process_tags() -> dict[str, str]:
    """The tags that name this process: its host and pid."""
    return {HOST_TAG: socket.gethostname(), PID_TAG: str(os.getpid())}


def _process_is_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def recover_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark failed every run of this host still STARTING/STARTED whose process is gone, free the
    pool slots of every run that no longer runs, and alert each run marked failed here (once per
    chain, like any failed run). Returns the ids of the runs marked failed.

    Only runs started through :func:`execute` carry a pid; a run the daemon launched is left to
    the daemon (and waited for by :func:`wait_for_pool`).
    """
    from orchestration.alerts import WebhookFailed

    host = socket.gethostname()
    dead: list[str] = []
    in_progress = dg.RunsFilter(
        statuses=[dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]
    )
    for record in instance.get_run_records(filters=in_progress):
        run = record.dagster_run
        pid = run.tags.get(PID_TAG, "")
        if run.tags.get(HOST_TAG) != host or not pid.isdigit() or not _process_is_gone(int(pid)):
            continue
        instance.report_run_failed(
            run, f"the process of this run (pid {pid} on {host}) is gone: marked failed"
        )
        dead.append(run.run_id)
    storage = instance.event_log_storage
    if storage.supports_global_concurrency_limits:
        holders = storage.get_concurrency_run_ids()
        if holders:
            running = {
                r.dagster_run.run_id
                for r in instance.get_run_records(
                    filters=dg.RunsFilter(run_ids=list(holders), statuses=_IN_PROGRESS)
                )
            }
            for run_id in sorted(holders - running):
                storage.free_concurrency_slots_for_run(run_id)
    for run_id in dead:
        try:
            alert_on_failure(instance, run_id)
        except WebhookFailed as failed:  # recorded in the file; the next run still starts
            print(failed, file=sys.__stderr__, flush=True)
    return dead


_IN_PROGRESS = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


class PoolBusy(RuntimeError):
    """A pool slot stayed held by another live run for longer than the wait allows."""


def _pool_holders(instance: dg.DagsterInstance, pool: str) -> list[str]:
    """The runs holding all of ``pool``'s slots (empty when a slot is free or there is no limit)."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return []
    info = storage.get_concurrency_info(pool)
    limit = info.limit if info.limit is not None else info.slot_count
    if not limit or info.active_slot_count < limit:
        return []
    return sorted(info.active_run_ids)


def wait_for_pool(
    instance: dg.DagsterInstance, pool: str = WAREHOUSE_POOL, timeout: float | None = None
) -> None:
    """Return when ``pool`` has a free slot; recover dead runs first and while waiting.

    While another live run holds the slot, say so on stderr (once) and wait, at most ``timeout``
    seconds (default ``SPROUTLY_POOL_WAIT_SECONDS``, 600); then raise :class:`PoolBusy` naming
    the holder.
    """
    if timeout is None:
        timeout = settings().sproutly_pool_wait_seconds
    deadline = time.monotonic() + timeout
    said = False
    while True:
        recover_dead_runs(instance)
        holders = _pool_holders(instance, pool)
        if not holders:
            return
        described = ", ".join(_describe(instance, run_id) for run_id in holders)
        if time.monotonic() >= deadline:
            raise PoolBusy(
                f"the {pool!r} pool is still held by {described} after {timeout:.0f} s: "
                f"wait for that run, or cancel it (Dagster UI, Runs) if it is stuck; "
                f"{POOL_WAIT_ENV} sets how long to wait"
            )
        if not said:
            print(
                f"waiting for the {pool!r} pool, held by {described} "
                f"(at most {timeout:.0f} s, {POOL_WAIT_ENV})",
                file=sys.__stderr__,
                flush=True,
            )
            said = True
        time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))


def _describe(instance: dg.DagsterInstance, run_id: str) -> str:
    run = instance.get_run_by_id(run_id)
    if run is None:
        return f"run {run_id[:8]}"
    where = f", pid {run.tags[PID_TAG]}" if PID_TAG in run.tags else ""
    return f"run {run_id[:8]} ({run.job_name}, {run.status.value}{where})"


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
    ``result.success``. Waits for the ``warehouse`` pool first (:func:`wait_for_pool`), which
    raises :class:`PoolBusy` when a live run keeps it too long.
    """
    if isinstance(job, str):
        if definitions is None:
            from orchestration.definitions import defs

            definitions = defs()
        job = definitions.resolve_job_def(job)
    instance = instance or dg.DagsterInstance.ephemeral()
    wait_for_pool(instance)
    with _quiet(capture_output):
        return job.execute_in_process(
            partition_key=partition_key,
            asset_selection=list(selection) if selection is not None else None,
            instance=instance,
            run_config=QUIET,
            tags={
                **run_tags(partition_range=partition_range, backfill=backfill),
                **process_tags(),
            },
            raise_on_error=False,
        )


def alert_on_failure(
    instance: dg.DagsterInstance,
    result: dg.ExecuteInProcessResult | str,
    alerts: AlertsResource | None = None,
) -> None:
    """Evaluate the project's run-failure sensor (``alert_on_run_failure``) for a failed
    in-process run (its result or run id), as the daemon would for the runs it launches: one
    alert per failure chain, through the configured sink (``ALERT_WEBHOOK_URL`` when set, and
    ``data/alerts.jsonl`` always), whether or not ``alerts`` is given."""
    from orchestration.defs.resources import AlertsResource
    from orchestration.defs.sensors import alert_on_run_failure

    run_id = result if isinstance(result, str) else result.run_id
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.RUN_FAILURE).records
    failure = records[-1].event_log_entry.dagster_event
    context = dg.build_run_status_sensor_context(
        sensor_name=alert_on_run_failure.name,
        dagster_instance=instance,
        dagster_run=instance.get_run_by_id(run_id),
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
