"""The raw assets' ``nothing_lost`` checks (``orchestration/defs/ingest.py`` over
``ingestion.reconcile``): they pass after real loads and fail, naming what is missing, when a row
disappears from raw."""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest

from sproutly import paths

pytestmark = pytest.mark.slow  # a simulated world, the definitions and a load through Dagster

RAW_EVENTS = dg.AssetKey(["raw", "events"])
BILLING = [dg.AssetKey(["raw", "billing_invoices"]), dg.AssetKey(["raw", "billing_payments"])]


@pytest.fixture(scope="module")
def world(tmp_path_factory, dbt_parsed):
    """A small simulated world (with invoices and payments), the definitions, and every raw
    asset loaded once through the daily job over all landed partitions."""
    from microproduct import Simulation

    root = tmp_path_factory.mktemp("ingest_checks") / "data"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SPROUTLY_DATA_DIR", str(root))
        mp.setenv("DAGSTER_HOME", str(root / "dagster_home"))
        mp.delenv("SPROUTLY_NOW", raising=False)
        for name in ("BILLING_API_URL", "BILLING_API_TOKEN"):
            mp.delenv(name, raising=False)
        Simulation(root, seed=7, scale=0.05, progress=False).init(days=60)
        from orchestration.definitions import defs

        definitions = defs()
        days = [f.name.removeprefix("date=") for f in sorted(root.glob("sources/landing/events/*"))]
        first = run(definitions, [RAW_EVENTS, *BILLING], range_=(days[0], days[-1]))
        yield definitions, days, first


def run(definitions, selection, *, day=None, range_=None) -> dg.ExecuteInProcessResult:
    tags = {}
    if range_:
        tags = {
            "dagster/asset_partition_range_start": range_[0],
            "dagster/asset_partition_range_end": range_[1],
        }
    return definitions.resolve_job_def("daily_pipeline").execute_in_process(
        partition_key=day, asset_selection=selection, tags=tags, raise_on_error=False
    )


def nothing_lost(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {
        e.asset_key.to_user_string(): e
        for e in result.get_asset_check_evaluations()
        if e.check_name == "nothing_lost"
    }


def execute(sql: str) -> None:
    with duckdb.connect(str(paths.warehouse_path())) as con:
        con.execute(sql)


def test_nothing_lost_passes_after_the_loads(world):
    _, days, first = world
    assert first.success
    checks = nothing_lost(first)
    assert sorted(checks) == ["raw/billing_invoices", "raw/billing_payments", "raw/events"]
    assert all(c.passed for c in checks.values())
    events = {k: v.value for k, v in checks["raw/events"].metadata.items()}
    assert events["partitions"] == f"{days[0]}..{days[-1]}" and events["lost"] == 0
    assert events["lines_delivered"] == events["raw_rows"] + events["quarantined"] > 1000
    payments = {k: v.value for k, v in checks["raw/billing_payments"].metadata.items()}
    assert payments["reconciled"] and payments["source_rows"] > 0 and payments["lost"] == 0


def test_a_row_deleted_from_raw_fails_the_events_check(world):
    definitions, days, _ = world
    day = days[10]
    execute(
        "delete from raw.events where rowid = (select min(rowid) from raw.events "
        f"where starts_with(_source, 'events/date={day}/'))"
    )
    result = run(definitions, [RAW_EVENTS], day=day)
    check = nothing_lost(result)["raw/events"]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    metadata = {k: v.value for k, v in check.metadata.items()}
    assert (metadata["lost"], metadata["partitions_losing"]) == (1, day)
    assert nothing_lost(run(definitions, [RAW_EVENTS], day=days[11]))["raw/events"].passed


def test_a_payment_deleted_from_raw_fails_the_payments_check(world):
    definitions, _, _ = world
    execute(
        "delete from raw.billing_payments "
        "where payment_id = (select min(payment_id) from raw.billing_payments)"
    )
    checks = nothing_lost(run(definitions, BILLING))
    assert checks["raw/billing_invoices"].passed
    assert not checks["raw/billing_payments"].passed
    assert checks["raw/billing_payments"].metadata["lost"].value == 1
