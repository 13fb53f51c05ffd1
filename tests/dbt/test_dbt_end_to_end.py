"""End to end on real generated data: simulate -> ingest -> `dbt build` -> marts.

A small scale (scale 0.1, 30 days: ~60 users, a few paying) so it stays fast; the same code
runs the course and the bench.
Asserts what must hold on any data: every node passes, every source is fresh at the simulated
now, the metrics cover every complete day from the first sign-up, the MRR bridge closes, staging has one row per raw key,
and a second build (after another simulated day and load) adds no duplicate events.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from sproutly import clock, paths
from sproutly.dbt import (
    dbt,
    freshness_results,
    node_statuses,
    run_results,
    unsuccessful_nodes,
)

microproduct = pytest.importorskip("microproduct")
ingestion = pytest.importorskip("ingestion")


def simulate_and_load(data_dir: Path, advance: bool = False) -> None:
    simulation = microproduct.Simulation(data_dir, seed=42, scale=0.1)
    if advance:
        simulation.advance(days=1)
    else:
        simulation.init(days=30)
    with microproduct.running(token="e2e-token") as api:
        config = ingestion.IngestionConfig.from_env(
            billing_api_url=api.url, billing_api_token=api.token
        )
        results = ingestion.load("all", config=config)
    assert {r.status for r in results} <= {"success", "noop"}, results


def query(sql: str) -> list[tuple]:
    with duckdb.connect(str(paths.warehouse_path()), read_only=True) as con:
        return con.execute(sql).fetchall()


def assert_build_passes() -> None:
    result = dbt("build")
    bad = unsuccessful_nodes(node_statuses(run_results()))
    assert result.success and not bad, bad


@pytest.mark.slow
def test_simulate_ingest_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPROUTLY_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SPROUTLY_NOW", raising=False)  # the simulation's clock file decides
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "dbt_target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "dbt_logs"))
    simulate_and_load(tmp_path)
    assert str(clock.now()) == "2026-01-31 00:00:00"

    assert_build_passes()

    assert dbt("source", "freshness").success
    freshness = freshness_results()["results"]
    assert {row["status"] for row in freshness} == {"pass"} and len(freshness) == 6

    days = query(
        "select count(*), max(date_day) - min(date_day) + 1, min(date_day), max(date_day),"
        " min(date_day) = (select min(signed_up_date) from marts.dim_users)"
        " from marts.metrics_daily"
    )[0]
    assert days[0] == days[1] and str(days[3]) == "2026-01-30" and days[4]  # no gaps
    assert query("select count(*) from marts.metrics_daily where arr <> mrr * 12") == [(0,)]
    assert query("select mrr > 0 from marts.metrics_daily order by date_day desc limit 1") == [
        (True,)
    ]
    for raw, staged, key in [
        ("raw.app_users", "staging.stg_app__users", "user_id"),
        ("raw.app_subscriptions", "staging.stg_app__subscriptions", "subscription_id"),
        ("raw.billing_invoices", "staging.stg_billing__invoices", "invoice_id"),
        ("raw.billing_payments", "staging.stg_billing__payments", "payment_id"),
    ]:
        assert query(f"select count(distinct {key}) from {raw}") == query(
            f"select count(*) from {staged}"
        )
    assert query("select count(*) > 0 from snapshots.snap_app__subscriptions") == [(True,)]

    # one more simulated day, loaded and built: incremental events stay unique
    simulate_and_load(tmp_path, advance=True)
    assert_build_passes()
    assert query(
        "select count(*) = count(distinct event_id) from intermediate.int_events_deduped"
    ) == [(True,)]
    assert query("select count(distinct event_id) from raw.events") == query(
        "select count(*) from intermediate.int_events_deduped"
    )
    assert str(query("select max(date_day) from marts.metrics_daily")[0][0]) == "2026-01-31"
