"""The publish step of write-audit-publish (the logic lives in ``orchestration.publish``)."""

import dagster as dg
from dagster_dbt import get_asset_key_for_model

from orchestration import publish as wap
from orchestration.defs.dbt import DAGSTER_TARGET_PATH, sproutly_dbt
from orchestration.defs.ingest import WAREHOUSE_POOL
from orchestration.project import dbt_project

MARTS = wap.mart_relations(dbt_project.manifest_path)


@dg.asset(
    deps=[get_asset_key_for_model([sproutly_dbt], rel.name) for rel in MARTS],
    group_name="serving",
    kinds={"duckdb"},
    pool=WAREHOUSE_POOL,
)
def published_marts(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """The marts, copied atomically to the serving database once every blocking test passed."""
    wap.audit(DAGSTER_TARGET_PATH / "run_results.json")
    result = wap.publish(MARTS)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(result.path)),
            "published_at": result.published_at,
            "tables": len(result.tables),
            **{f"rows.{name}": rows for name, rows in result.tables.items()},
        }
    )
