"""Checks dbt cannot express as tests: source freshness (dagster-dbt does not map it to checks)
and the freshness of the published copy that the product reads.

The thresholds are defined once, in the dbt sources' ``freshness:`` blocks, and evaluated by dbt
itself (``dbt source freshness`` against the simulated "now"); this check only reports dbt's
verdict per raw table and raises an alert on an error-level breach (faults.md row 20). Which raw
tables get the check is read from dbt's manifest when the definitions are built
(:func:`source_freshness_check`), not when this module is imported.
"""

import functools

import dagster as dg
import duckdb

from orchestration.alerts import Alert
from orchestration.defs.dbt import DAGSTER_TARGET_PATH
from orchestration.defs.ingest import WAREHOUSE_POOL, raw_key
from orchestration.defs.resources import AlertsResource
from orchestration.project import dbt_project, ensure_manifest
from sproutly import clock, paths
from sproutly.dbt import dbt, freshness_results, freshness_sources, manifest


def _raw_tables_with_freshness() -> dict[str, str]:
    """source unique_id -> raw table, for every dbt source that declares freshness."""
    return freshness_sources(manifest(dbt_project.manifest_path))


FRESHNESS_TARGET_PATH = DAGSTER_TARGET_PATH.with_name("dagster_freshness")


def source_freshness(context: dg.AssetCheckExecutionContext, alerts: AlertsResource):
    """Run ``dbt source freshness`` and turn each source's verdict into a check result.

    dbt runs in-process here (``sproutly.dbt``: ~2 s instead of a ~10 s subprocess); dbt's
    freshness macro reads the simulated "now" (``sproutly_now()``: the clock file on DuckDB).
    """
    sources = _raw_tables_with_freshness()
    dbt("source", "freshness", target_path=FRESHNESS_TARGET_PATH)
    results = freshness_results(FRESHNESS_TARGET_PATH)["results"]
    sink = alerts.sink()
    sent = sink.sent_keys()
    for result in sorted(results, key=lambda r: r["unique_id"]):
        table = sources.get(result["unique_id"])
        if table is None or (
            dg.AssetCheckKey(raw_key(table), "source_freshness")
            not in context.selected_asset_check_keys
        ):
            continue
        status = result["status"]  # pass | warn | error | runtime error
        age_hours = round(result.get("max_loaded_at_time_ago_in_s", 0) / 3600, 1)
        if status == "error":
            alert = Alert(
                kind="freshness",
                title=f"Stale source: raw.{table}",
                text=f"last load {age_hours} h before now (error threshold breached)",
                chain_id=f"freshness:{table}:{result.get('snapshotted_at', '')[:10]}",
                details={"table": f"raw.{table}", "max_loaded_at": result.get("max_loaded_at")},
            )
            if (alert.kind, alert.chain_id) not in sent:
                sink.send(alert)
        yield dg.AssetCheckResult(
            asset_key=raw_key(table),
            check_name="source_freshness",
            passed=status == "pass",
            severity=dg.AssetCheckSeverity.WARN
            if status == "warn"
            else dg.AssetCheckSeverity.ERROR,
            metadata={
                "status": status,
                "age_hours": age_hours,
                "max_loaded_at": str(result.get("max_loaded_at")),
                "snapshotted_at": str(result.get("snapshotted_at")),
            },
        )


@functools.cache
def source_freshness_check() -> dg.AssetChecksDefinition:
    """:func:`source_freshness` as one multi-asset check with a spec per raw table whose dbt
    source declares a freshness threshold (dbt's manifest, parsed first when missing)."""
    ensure_manifest()
    return dg.multi_asset_check(
        specs=[
            dg.AssetCheckSpec(
                "source_freshness",
                asset=raw_key(table),
                description="dbt source freshness (thresholds in the dbt sources YAML)",
            )
            for table in sorted(set(_raw_tables_with_freshness().values()))
        ],
        pool=WAREHOUSE_POOL,
        can_subset=True,  # selecting one raw asset in the UI runs just its own freshness check
    )(source_freshness)


# The product-facing freshness SLO: the published metrics must cover the last complete simulated
# day (lag 1), may lag one more day with a warning, and beyond that the check fails.
PUBLISHED_MAX_LAG_DAYS = {"warn": 2, "error": 3}


@dg.asset_check(
    asset="published_marts", description="published metrics cover the last complete day"
)
def published_metrics_are_current() -> dg.AssetCheckResult:
    """Read the serving copy (read-only, short-lived) and compare its last day with the clock."""
    with duckdb.connect(str(paths.serving_path()), read_only=True) as con:
        last_day = con.execute("select max(date_day) from main.metrics_daily").fetchone()[0]
    lag_days = (clock.now().date() - last_day).days if last_day else None
    if lag_days is not None and lag_days < PUBLISHED_MAX_LAG_DAYS["warn"]:
        passed, severity = True, dg.AssetCheckSeverity.WARN
    elif lag_days is not None and lag_days < PUBLISHED_MAX_LAG_DAYS["error"]:
        passed, severity = False, dg.AssetCheckSeverity.WARN
    else:
        passed, severity = False, dg.AssetCheckSeverity.ERROR
    return dg.AssetCheckResult(
        passed=passed,
        severity=severity,
        metadata={"last_day": str(last_day), "lag_days": lag_days if lag_days is not None else -1},
    )


@dg.definitions
def checks() -> dg.Definitions:
    return dg.Definitions(asset_checks=[source_freshness_check(), published_metrics_are_current])
