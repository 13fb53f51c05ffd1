"""Dagster definitions for the Sproutly pipeline: they wire and schedule, they never compute metrics.

``orchestration/definitions.py`` loads everything under ``orchestration/defs/``; one file per job
(ingest, dbt, publish, checks, schedules, sensors, resources).
"""

from orchestration.instance import relaxed_sqlite_sync

# Every process that imports the pipeline (runs, the UI's code server, tests) writes its run history
# without waiting for the disk on each event: see orchestration/instance.py for the measured cost.
relaxed_sqlite_sync()
