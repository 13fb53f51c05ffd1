"""Process-level faults: killed mid-load (16), a second process holding the file (17), memory
or temp space exhausted (19)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from ingestion_fixtures import event, query, snapshot, write_events

from ingestion import LoadFailed, WarehouseLocked, load
from ingestion.destination import PAUSE_BEFORE_COMMIT_ENV
from sproutly.paths import REPO_ROOT


def _env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), **extra}
    return env


def _wait_for(path: Path, proc: subprocess.Popen, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert proc.poll() is None, "the loader exited before reaching COMMIT"
        assert time.monotonic() < deadline, "the loader never reached COMMIT"
        time.sleep(0.05)


def test_fault_16_sigkill_inside_the_transaction_leaves_none_then_rerun_completes(
    data_dir, config, tmp_path
):
    write_events(data_dir, date(2026, 4, 29), "a.jsonl", [event(i) for i in range(5)])
    cfg = config()
    load("events", config=cfg)
    before = snapshot(cfg.warehouse_path)
    write_events(data_dir, date(2026, 4, 30), "b.jsonl", [event(i) for i in range(100, 150)])
    marker = tmp_path / "at-commit"

    proc = subprocess.Popen(
        [sys.executable, "-c", "from ingestion import load; load('events')"],
        env=_env(**{PAUSE_BEFORE_COMMIT_ENV: str(marker)}),
    )
    try:
        _wait_for(marker, proc)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    assert snapshot(cfg.warehouse_path) == before  # none of the new rows (reopen replays the WAL)
    assert query(cfg.warehouse_path, "select count(*) from meta.loads") == [(1,)]
    (rerun,) = load("events", config=cfg)
    assert (rerun.status, rerun.rows_loaded) == ("success", 50)
    assert query(cfg.warehouse_path, "select count(*) from raw.events") == [(55,)]
    after = snapshot(cfg.warehouse_path)
    load("events", config=cfg)
    assert snapshot(cfg.warehouse_path) == after


def test_fault_17_second_process_holding_the_file_gets_a_clear_error(data_dir, config):
    write_events(data_dir, date(2026, 4, 30), "a.jsonl", [event(1)])
    cfg = config()
    load("events", config=cfg)
    before = snapshot(cfg.warehouse_path)
    write_events(data_dir, date(2026, 4, 30), "b.jsonl", [event(2)])
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
            "print('ready', flush=True); time.sleep(60)",
            str(cfg.warehouse_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(WarehouseLocked) as caught:
            load("events", config=cfg)
    finally:
        holder.terminate()
        holder.wait(timeout=30)

    message = str(caught.value)
    assert str(cfg.warehouse_path) in message
    assert f"PID {holder.pid}" in message
    assert "one writer at a time" in message and "then run the load again" in message
    assert snapshot(cfg.warehouse_path) == before
    (result,) = load("events", config=cfg)  # the holder is gone: the load goes through
    assert result.rows_loaded == 1


def test_fault_19_memory_and_temp_space_exhausted_leave_state_intact(data_dir, config):
    write_events(data_dir, date(2026, 4, 29), "a.jsonl", [event(i) for i in range(10)])
    cfg = config()
    load("events", config=cfg)
    before = snapshot(cfg.warehouse_path)
    pad = {"pad": "x" * 200}
    write_events(
        data_dir, date(2026, 4, 30), "b.jsonl", [event(i, properties=pad) for i in range(20_000)]
    )
    tight = config(duckdb_settings={"memory_limit": "2MB", "max_temp_directory_size": "0KB"})

    with pytest.raises(LoadFailed, match="Out of Memory"):
        load("events", config=tight)

    assert snapshot(cfg.warehouse_path) == before
    statuses = query(cfg.warehouse_path, "select status from meta.loads order by load_id")
    assert statuses == [("success",), ("failed",)]
    (rerun,) = load("events", config=cfg)
    assert rerun.rows_loaded == 20_000
