"""The dbt project as Dagster sees it (one ``DbtProject`` for every definition that needs it)."""

from __future__ import annotations

import os

from dagster_dbt import DbtProject

from sproutly import paths
from sproutly.dbt import target_dir


def _environment() -> None:
    """dbt reads its warehouse path from the environment: make it absolute before anything runs."""
    os.environ.setdefault("SPROUTLY_DATA_DIR", str(paths.data_dir()))
    os.environ.setdefault("DBT_PROFILES_DIR", str(paths.DBT_PROJECT_DIR))
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")


_environment()
dbt_project = DbtProject(
    project_dir=paths.DBT_PROJECT_DIR,
    profiles_dir=paths.DBT_PROJECT_DIR,
    target=paths.target(),
    # $DBT_TARGET_PATH (or dbt_project/target): parallel test workers each keep their own
    target_path=target_dir(),
)


def ensure_manifest() -> None:
    """Definitions need dbt's manifest; parse once (in-process, ~2 s) when it is missing."""
    if not dbt_project.manifest_path.exists():
        from sproutly.dbt import dbt

        dbt("parse")
