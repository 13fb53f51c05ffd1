"""Whole-source behaviour: the same load twice (fault 8), partitions and backfills, load ids,
status, the CLI, and one end-to-end run over the simulator."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from ingestion_fixtures import TOKEN, event, offered_equals_stored, query, snapshot, write_events

from ingestion import DuckDBDestination, IngestionConfig, backfill_events, load, status
from ingestion.__main__ import main
from ingestion.schemas import Column
from microproduct.billing_api import running

D1, D2, D3 = date(2026, 4, 28), date(2026, 4, 29), date(2026, 4, 30)


@pytest.fixture
def three_days(data_dir):
    write_events(data_dir, D1, "a.jsonl", [event(1), event(2)])
    write_events(data_dir, D2, "a.jsonl", [event(3), "not json"])
    write_events(data_dir, D3, "a.jsonl", [event(4)])
    return data_dir


def test_fault_08_the_same_load_twice_is_a_noop(app_db, three_days, config):
    from microproduct.billing_store import create_store

    create_store(three_days / "sources" / "billing.db").close()  # an empty billing store
    with running(three_days / "sources" / "billing.db", TOKEN) as api:
        cfg = config(billing_api_url=api.url, reject_ratio=0.5)
        first = load("all", config=cfg)
        before = snapshot(cfg.warehouse_path)
        second = load("all", config=cfg)
    assert [r.status for r in first] == ["success"] * 3 + ["noop"] * 2 + ["warn"]
    assert [r.status for r in second] == ["noop"] * 6
    assert all(r.rows_offered == 0 for r in second)
    assert snapshot(cfg.warehouse_path) == before
    offered_equals_stored(cfg.warehouse_path)
    assert len(status(cfg)) == 6


def test_load_ids_are_deterministic_and_counted(three_days, config):
    cfg = config(reject_ratio=0.5)
    (a,) = load("events", config=cfg)
    (b,) = load("events", config=cfg)
    assert (a.load_id, b.load_id) == ("events-20260501T000000-0001", "events-20260501T000000-0002")
    loaded_at = query(cfg.warehouse_path, "select distinct _loaded_at::varchar from raw.events")
    assert loaded_at == [("2026-05-01 00:00:00",)]


def test_partition_load_and_backfill_are_idempotent(three_days, config):
    cfg = config(reject_ratio=0.5)
    (only,) = load("events", config=cfg, partition_date=D2)
    assert (only.rows_loaded, only.rows_quarantined) == (1, 1)
    load("events", config=cfg)
    content = "select event_id, _source from raw.events order by all"
    rows_before = query(cfg.warehouse_path, content)
    quarantine_before = query(cfg.warehouse_path, "select location, reason from meta.quarantine")

    results = backfill_events(D1, D3, config=cfg)

    assert [r.strategy for r in results] == ["backfill"] * 3
    assert [(r.rows_offered, r.rows_loaded, r.rows_quarantined) for r in results] == [
        (2, 2, 0),
        (2, 1, 1),
        (1, 1, 0),
    ]
    offered_equals_stored(cfg.warehouse_path, [r.load_id for r in results])
    assert query(cfg.warehouse_path, content) == rows_before  # same rows, no duplicates
    assert query(cfg.warehouse_path, "select location, reason from meta.quarantine") == (
        quarantine_before
    )
    after = snapshot(cfg.warehouse_path)
    backfill_events(D1, D3, config=cfg)
    again = snapshot(cfg.warehouse_path)
    # only _load_id differs on a re-backfill: counts are identical, rows are the same
    assert {k: v[0] for k, v in again.items()} == {k: v[0] for k, v in after.items()}
    assert query(cfg.warehouse_path, content) == rows_before


def test_one_bad_backfill_partition_fails_alone(three_days, config):
    cfg = config()
    load("events", config=config(reject_ratio=0.5))
    results = backfill_events(D1, D3, config=cfg, raise_on_failure=False)
    assert [r.status for r in results] == ["success", "failed", "success"]
    # the failed partition kept its earlier rows (its delete was rolled back)
    assert query(cfg.warehouse_path, "select count(*) from raw.events") == [(4,)]


def test_destination_transaction_is_all_or_nothing(tmp_path: Path):
    dest = DuckDBDestination(tmp_path / "w.duckdb")
    with dest.transaction():
        dest.ensure_table("raw", "t", [Column("a", "BIGINT")])
        assert dest.append("raw", "t", pa.table({"a": [1, 2]})) == 2
    with pytest.raises(RuntimeError, match="boom"):
        with dest.transaction():
            dest.append("raw", "t", pa.table({"a": [3]}))
            dest.add_columns("raw", "t", [Column("b")])
            dest.delete_where("raw", "t", "a", equals=1)
            raise RuntimeError("boom")
    with dest.session(read_only=True):
        assert dest.query("select a from raw.t order by a") == [(1,), (2,)]
        assert list(dest.columns("raw", "t")) == ["a"]
    # the file is not held between loads: another connection can open it read-write
    duckdb.connect(str(tmp_path / "w.duckdb")).close()


def test_cli_prints_one_line_per_entity(three_days, capsys):
    assert main(["load", "events"]) == 1  # 1 of 5 lines rejected > 5%
    out = capsys.readouterr()
    assert "events.events" in out.out and "failed" in out.out
    assert main(["backfill", "events", "--start", "2026-04-28", "--end", "2026-04-28"]) == 0
    assert "offered=2 loaded=2 quarantined=0" in capsys.readouterr().out
    assert main(["status"]) == 0
    assert "backfill" in capsys.readouterr().out


def test_cli_can_start_the_simulated_api(app_db, data_dir, capsys):
    from microproduct.billing_store import create_store

    create_store(data_dir / "sources" / "billing.db").close()
    assert main(["load", "billing"]) == 2  # no URL and no flag: a clear error
    assert "BILLING_API_URL is not set" in capsys.readouterr().err
    assert main(["load", "billing", "--start-simulated-api"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["billing.invoices", "billing.payments"]


@pytest.mark.slow
def test_end_to_end_with_the_simulator(data_dir, monkeypatch):
    from microproduct import Simulation

    monkeypatch.delenv("SPROUTLY_NOW")  # use the simulator's clock
    Simulation(data_dir, seed=7, scale=0.1).init(days=40)
    with running(token=TOKEN) as api:
        cfg = IngestionConfig.from_env(billing_api_url=api.url, progress=False)
        first = load("all", config=cfg)
        before = snapshot(cfg.warehouse_path)
        second = load("all", config=cfg)
    assert all(r.status in ("success", "warn") for r in first), [r.line() for r in first]
    assert sum(r.rows_loaded for r in first) > 100
    assert all(r.rows_loaded == 0 and r.rows_quarantined == 0 for r in second)
    assert snapshot(cfg.warehouse_path) == before
    offered_equals_stored(cfg.warehouse_path)
    assert first[0].load_id.endswith("T000000-0001")
    assert first[0].load_id.split("-")[1] == "20260210T000000"  # the simulated clock: day 40


def test_progress_bars_only_when_asked(three_days, config, capsys):
    load("events", config=config(reject_ratio=0.5, progress=False))
    assert "event files" not in capsys.readouterr().err
    write_events(three_days, D3, "b.jsonl", [event(9)])
    load("events", config=config(progress=True))
    assert "event files" in capsys.readouterr().err
