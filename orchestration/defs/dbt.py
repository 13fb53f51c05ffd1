"""The dbt project as assets: dbt stays the source of truth.

Folders become groups (staging / intermediate / marts), sources map onto the ingestion assets'
keys, and dbt tests surface as asset checks — the tests on sources too, as checks of the raw
tables. ``dbt build`` runs models and tests in DAG order, so a failing error-severity test stops
everything downstream of it — including publish.

The assets are built from dbt's manifest when the definitions are built
(:func:`sproutly_dbt_assets`, called by the ``@dg.definitions`` function below), never when this
module is imported.
"""

import functools
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, dbt_assets

from orchestration import dbt_inprocess
from orchestration.defs.ingest import WAREHOUSE_POOL, raw_key
from orchestration.project import dbt_project, ensure_manifest
from sproutly.dbt import target_dir

# One fixed target folder for Dagster's dbt calls (instead of one new folder per run): runs are
# serialised by the warehouse pool, partial parsing is reused, and publish audits this run_results.json.
DAGSTER_TARGET_PATH = target_dir() / "dagster"


class SproutlyTranslator(DagsterDbtTranslator):
    def __init__(self, settings: DagsterDbtTranslatorSettings | None = None) -> None:
        # a test on a dbt source (``matches_declared_schema``) is a check of that raw table
        super().__init__(
            settings or DagsterDbtTranslatorSettings(enable_source_tests_as_checks=True)
        )

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            # a dbt source *is* a raw table written by ingestion: same asset, one node in the graph
            return raw_key(dbt_resource_props["identifier"])
        if dbt_resource_props.get("version") is not None:
            # a model version is keyed like any model, schema then relation (dagster-dbt's default
            # drops the schema): v2 of dim_users (alias dim_users) stays marts/dim_users, v1 is
            # marts/dim_users_v1
            schema = dbt_resource_props["config"].get("schema")
            return dg.AssetKey([*([schema] if schema else []), dbt_resource_props["alias"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        # fqn = [project, folder, ...]: models/staging/... -> "staging"; snapshots -> "snapshots"
        if dbt_resource_props["resource_type"] == "snapshot":
            return "snapshots"
        return fqn[1] if len(fqn) > 2 else "dbt"


@functools.cache
def sproutly_dbt_assets() -> dg.AssetsDefinition:
    """The ``@dbt_assets`` of the whole project, from dbt's manifest (parsed first when missing)."""

    @dbt_assets(
        manifest=ensure_manifest(),
        project=dbt_project,
        dagster_dbt_translator=SproutlyTranslator(),
        pool=WAREHOUSE_POOL,
    )
    def sproutly_dbt(context: dg.AssetExecutionContext):
        """``dbt build``: staging -> intermediate -> marts with their tests, contracts and snapshot.

        In-process (``orchestration/dbt_inprocess.py``): ~12 s less per run than dagster-dbt's
        subprocess, same events. The simulated "now" reaches dbt as a var through ``sproutly.dbt``.
        """
        yield from dbt_inprocess.build(
            context,
            ["build"],
            manifest=dbt_project.manifest_path,
            translator=SproutlyTranslator(),
            target_path=DAGSTER_TARGET_PATH,
        )

    return sproutly_dbt


@dg.definitions
def dbt_definitions() -> dg.Definitions:
    return dg.Definitions(assets=[sproutly_dbt_assets()])
