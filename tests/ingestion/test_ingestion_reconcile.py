"""Nothing lost (faults.md's first invariant), reconciled against the sources themselves:
``ingestion.reconcile`` finds 0 lost after real loads (with quarantined lines) and finds the row
when raw loses one, a payment goes missing, or a delivered line was never loaded."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest
from ingestion_fixtures import TOKEN

from ingestion import IngestionConfig, load
from ingestion.reconcile import (
    all_events_reconciliation,
    billing_reconciliation,
    events_reconciliation,
    partitions_reconciliation,
)
from microproduct import Simulation, running
from sproutly import paths


@pytest.fixture(scope="module")
def loaded_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small simulated world with malformed event lines, loaded once (kept as a copy)."""
    root = tmp_path_factory.mktemp("reconcile") / "data"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SPROUTLY_DATA_DIR", str(root))
        mp.delenv("SPROUTLY_NOW", raising=False)  # the simulation's clock
        mp.delenv("BILLING_API_URL", raising=False)
        sim = Simulation(root, seed=7, scale=0.05, progress=False)
        sim.init(days=60, faults={"malformed_lines": {"rate": 0.004}})
        with running(token=TOKEN) as api:
            config = IngestionConfig.from_env(
                billing_api_url=api.url, billing_api_token=api.token, progress=False
            )
            results = load("all", config=config)
    assert all(r.status in ("success", "warn") for r in results), [r.line() for r in results]
    return root


@pytest.fixture
def world(loaded_world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the loaded world (a test may break it)."""
    root = tmp_path / "data"
    shutil.copytree(loaded_world, root)
    monkeypatch.setenv("SPROUTLY_DATA_DIR", str(root))
    monkeypatch.delenv("SPROUTLY_NOW", raising=False)
    return root


def days() -> list[str]:
    folders = sorted((paths.landing_dir() / "events").glob("date=*"))
    return [folder.name.removeprefix("date=") for folder in folders]


def execute(sql: str) -> None:
    with duckdb.connect(str(paths.warehouse_path())) as con:
        con.execute(sql)


def test_nothing_lost_after_loads_that_quarantined_lines(world):
    everything = all_events_reconciliation()
    assert everything["quarantined"].item() > 0, "the fault must have quarantined some lines"
    assert everything["lost"].item() == 0 and everything["raw_rows"].item() > 1000
    per_day = partitions_reconciliation(days())
    assert list(per_day["partition"]) == days() and (per_day["lost"] == 0).all()
    assert per_day["lines_delivered"].sum() == everything["lines_delivered"].item()
    billing = billing_reconciliation()
    assert list(billing["entity"]) == ["invoices", "payments"]
    assert (billing["source_rows"] > 0).all() and (billing["lost"] == 0).all()
    assert list(billing.columns) == ["entity", "source_rows", "raw_keys", "quarantined", "lost"]


def test_a_row_deleted_from_raw_events_is_lost_in_its_partition(world):
    day = days()[5]
    execute(
        "delete from raw.events where rowid = (select min(rowid) from raw.events "
        f"where starts_with(_source, 'events/date={day}/'))"
    )
    row = events_reconciliation(day)
    assert list(row.columns) == ["partition", "lines_delivered", "raw_rows", "quarantined", "lost"]
    assert (row["partition"].item(), row["lost"].item()) == (day, 1)
    assert events_reconciliation(date.fromisoformat(days()[6]))["lost"].item() == 0
    assert all_events_reconciliation()["lost"].item() == 1


def test_a_payment_missing_from_raw_is_lost(world):
    execute(
        "delete from raw.billing_payments "
        "where payment_id = (select min(payment_id) from raw.billing_payments)"
    )
    lost = billing_reconciliation().set_index("entity")["lost"].to_dict()
    assert lost == {"invoices": 0, "payments": 1}


def test_a_delivered_line_never_loaded_is_lost(world):
    day = days()[-1]
    drop = sorted((paths.landing_dir() / "events" / f"date={day}").glob("*.jsonl"))[0]
    with drop.open("a") as handle:
        handle.write('{"event_id": "late-and-never-loaded"}\n')
    assert events_reconciliation(day)["lost"].item() == 1
