"""Dagster definitions for the Sproutly pipeline: they wire and schedule, they never compute metrics.

``orchestration/definitions.py`` loads everything under ``orchestration/defs/``; one file per job
(ingest, dbt, publish, checks, schedules, sensors, resources).
"""
