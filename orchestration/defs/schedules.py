"""Jobs and schedules: what runs together, and when.

``daily_pipeline`` is the whole graph for one events partition (a day's file drops), dbt build,
publish and freshness. The events partitions run one day past "now" (``end_offset=1``: today's drops
are a partition while they land), so the 06:00 schedule targets *today's* partition and its run also
picks up every earlier file through the app/billing cursors and the file manifest. Backfills run the
same job one partition per run (see the events asset's backfill policy). ``freshness_checks``
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
