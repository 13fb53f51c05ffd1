"""The publish step of write-audit-publish (the logic lives in ``orchestration.publish``).

``published_marts`` runs after every mart of the dbt project; which models are marts is read from
dbt's manifest when the definitions are built, not when this module is imported.
"""

import functools

import dagster as dg

from orchestration import publish as wap
from orchestration.defs.dbt import DAGSTER_TARGET_PATH, sproutly_dbt_assets
from orchestration.defs.ingest import WAREHOUSE_POOL
from orchestration.project import ensure_manifest


@functools.cache
def build_published_marts() -> dg.AssetsDefinition:
    """The ``published_marts`` asset, downstream of every mart in dbt's manifest."""
    marts = wap.mart_relations(ensure_manifest())
    # by relation, not by model name: the versions of a mart share its name (dim_users v1 and
    # v2), and each is its own asset keyed by its relation (see SproutlyTranslator)
    dbt_keys = {key.path[-1]: key for key in sproutly_dbt_assets().keys}

    @dg.asset(
        deps=[dbt_keys[rel.name] for rel in marts],
        group_name="serving",
        kinds={"duckdb"},
        pool=WAREHOUSE_POOL,
    )
    def published_marts(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        """The marts, copied atomically to the serving database once every blocking test passed."""
        result = wap.audit_and_publish(DAGSTER_TARGET_PATH / "run_results.json", marts)
        return dg.MaterializeResult(
            metadata={
                "path": dg.MetadataValue.path(str(result.path)),
                "published_at": result.published_at,
                "tables": len(result.tables),
                **{f"rows.{name}": rows for name, rows in result.tables.items()},
            }
        )

    return published_marts


@dg.definitions
def publish() -> dg.Definitions:
    return dg.Definitions(assets=[build_published_marts()])
