"""Jobs and schedules: what runs together, and when.

``daily_pipeline`` is the whole graph for one events partition (a day's file drops), dbt build,
publish and freshness. A day's partition exists once the day is over, so the 06:00 schedule targets
*yesterday's* partition, the last complete day (as ``python -m orchestration daily`` does); the app
and billing loaders pick up every change since their cursors whatever the partition. A backfill runs
the same job once over its whole range (see the events asset's backfill policy). ``freshness_checks``
selects the source freshness check, whose raw tables come from dbt's manifest: it is built with the
definitions (:func:`schedules`), not when this module is imported.
"""

import dagster as dg

from orchestration.defs.checks import published_metrics_are_current, source_freshness_check
from orchestration.defs.ingest import events_partitions

daily_pipeline = dg.define_asset_job(
    "daily_pipeline",
    selection=dg.AssetSelection.all(),
    partitions_def=events_partitions,
    description="Ingest every source, dbt build (tests + contracts), publish the checked marts.",
    executor_def=dg.in_process_executor,  # one writer anyway; avoids re-importing per step
)

ingest_events = dg.define_asset_job(
    "ingest_events",
    selection=dg.AssetSelection.assets(["raw", "events"]).without_checks(),
    partitions_def=events_partitions,
    description="Load new event files of one drop date (started by the file sensor).",
    executor_def=dg.in_process_executor,
)

daily_schedule = dg.build_schedule_from_partitioned_job(
    daily_pipeline, hour_of_day=6, minute_of_hour=0, name="daily_pipeline_schedule"
)


@dg.definitions
def schedules() -> dg.Definitions:
    freshness_job = dg.define_asset_job(
        "freshness_checks",
        selection=dg.AssetSelection.checks(source_freshness_check(), published_metrics_are_current),
        description="Source freshness (dbt) and published-marts freshness against the simulated clock.",
        executor_def=dg.in_process_executor,
    )
    freshness_schedule = dg.ScheduleDefinition(
        job=freshness_job, cron_schedule="0 * * * *", name="hourly_freshness_schedule"
    )
    return dg.Definitions(
        jobs=[daily_pipeline, ingest_events, freshness_job],
        schedules=[daily_schedule, freshness_schedule],
    )
