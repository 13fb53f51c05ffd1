"""Sensors: start ingestion when files land, and alert when runs fail (deduplicated per chain)."""

import json

import dagster as dg

from orchestration.alerts import FailedRun, decide
from orchestration.defs.resources import AlertsResource
from orchestration.defs.schedules import ingest_events
from orchestration.landing import landed_files


@dg.sensor(job=ingest_events, minimum_interval_seconds=30)
def new_event_files(context: dg.SensorEvaluationContext):
    """Request an ``ingest_events`` run for every partition whose set of files changed.

    The cursor remembers the files seen per partition; a late file (an old folder gaining a
    file) requests that old partition again — the loader's manifest skips what it already has.
    """
    seen: dict[str, list[str]] = json.loads(context.cursor) if context.cursor else {}
    now = landed_files()
    changed = {day: files for day, files in now.items() if files and seen.get(day) != files}
    if not changed:
        return dg.SkipReason("no new event files")
    requests = [
        dg.RunRequest(partition_key=day, run_key=f"{day}:{len(files)}:{files[-1]}")
        for day, files in sorted(changed.items())
    ]
    return dg.SensorResult(run_requests=requests, cursor=json.dumps(now, sort_keys=True))


def _step_retries(context: dg.RunFailureSensorContext) -> int:
    records = context.instance.get_records_for_run(
        context.dagster_run.run_id, of_type=dg.DagsterEventType.STEP_UP_FOR_RETRY
    ).records
    return len(records)


@dg.run_failure_sensor(
    monitor_all_code_locations=False,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def alert_on_run_failure(context: dg.RunFailureSensorContext, alerts: AlertsResource):
    """One alert per failure chain, one escalation when it keeps retrying (faults.md row 24)."""
    run = context.dagster_run
    failure = FailedRun(
        run_id=run.run_id,
        job_name=run.job_name,
        root_run_id=run.tags.get("dagster/root_run_id", run.run_id),
        retry_number=int(run.tags.get("dagster/retry_number", 0)),
        step_retries=_step_retries(context),
        error=(context.failure_event.message or "run failed"),
    )
    sink = alerts.sink()
    for alert in decide(failure, sink.sent_keys(), escalate_after=alerts.escalate_after):
        sink.send(alert)
