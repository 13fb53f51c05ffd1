"""The dbt project as Dagster sees it (one ``DbtProject`` for every definition that needs it).

Importing this module does no work: ``dbt_project`` only says where the project, its profile and
its artefacts are. The manifest the dbt-dependent definitions are built from is prepared by
:func:`ensure_manifest` when the definitions are built (the ``@dg.definitions`` functions under
``orchestration/defs/``). dbt's environment (the absolute data folder its profile reads, the
profiles folder, telemetry off) is set by ``sproutly.dbt`` around each dbt call.
"""

from __future__ import annotations

from pathlib import Path

from dagster_dbt import DbtProject

from sproutly import paths
from sproutly.dbt import target_dir

dbt_project = DbtProject(
    project_dir=paths.DBT_PROJECT_DIR,
    profiles_dir=paths.DBT_PROJECT_DIR,
    target=paths.target(),
    # $DBT_TARGET_PATH (or dbt_project/target): parallel test workers each keep their own
    target_path=target_dir(),
)


def ensure_manifest() -> Path:
    """dagster-dbt's prepare step, done the project's way: ``dbt parse`` in-process (~2 s,
    ``sproutly.dbt``) when the manifest is missing — a fresh clone, a new ``DBT_TARGET_PATH``.
    Returns the manifest's path.

    dagster-dbt's own ``dbt_project.prepare_if_dev()`` parses only under ``dagster dev``, and
    through a ``dbt`` subprocess; ``dg check defs`` (``make defs``), the CLI and
    the notebooks build the same definitions outside ``dagster dev``.
    """
    if not dbt_project.manifest_path.exists():
        from sproutly.dbt import dbt

        dbt("parse", target_path=dbt_project.manifest_path.parent)
    return dbt_project.manifest_path
