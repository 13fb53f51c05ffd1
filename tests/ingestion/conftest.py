"""Fixtures for the ingestion tests (helpers live in ingestion_fixtures.py)."""

from ingestion_fixtures import app_db, config, data_dir, sleeps  # noqa: F401
