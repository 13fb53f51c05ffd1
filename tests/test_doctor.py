"""`make doctor` (tools/doctor.py): each check fails on a broken machine, with a fix printed."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from sproutly import paths
from tools import doctor


def test_a_port_in_use_fails_and_names_its_process(capsys) -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        [result] = doctor.check_ports({port: "a test"})
        assert not result.ok
        assert f"pid {os.getpid()}" in result.detail
        assert "ss -ltnp" in result.fix
        assert doctor.main(["--ports", str(port), "--min-free-gb", "0"]) == 1
    out = capsys.readouterr().out
    assert f"FAIL  port {port}" in out and "fix: stop that process" in out
    [free] = doctor.check_ports({port: "a test"})
    assert free.ok


def test_a_locked_duckdb_file_fails_with_the_holder(tmp_path: Path) -> None:
    database = tmp_path / "dev.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, sys; c = duckdb.connect({str(database)!r}); c.execute('create table t (x int)');"
            " print('open', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        result = doctor.check_duckdb([database])
        assert not result.ok
        assert f"pid {holder.pid}" in result.detail
        assert "one writer per file" in result.fix
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert doctor.check_duckdb([database]).ok


def test_a_stale_environment_fails(tmp_path: Path) -> None:
    for name in ("pyproject.toml", "uv.lock"):
        shutil.copy2(paths.REPO_ROOT / name, tmp_path / name)
    (tmp_path / ".venv").mkdir()
    synced = tmp_path / ".venv" / ".synced"
    synced.touch()
    old = time.time() - 3600
    os.utime(synced, (old, old))
    result = doctor.check_lock(tmp_path)
    assert not result.ok and result.fix == "make setup (uv sync --locked)"
    synced.touch()
    assert doctor.check_lock(tmp_path).ok
    with (tmp_path / "pyproject.toml").open("a") as pyproject:
        pyproject.write('\n[project.optional-dependencies]\nextra = ["six"]\n')
    changed = doctor.check_lock(tmp_path)
    assert not changed.ok and "does not match" in changed.detail
    python = doctor.check_python(tmp_path)  # no .venv/bin/python here
    assert not python.ok and "make setup" in python.fix


def test_a_cold_checkpoint_cache_and_a_full_disk_fail() -> None:
    cold = doctor.check_checkpoints({"missing": ["raw-x"], "rungs": 7, "cache": "/c"})
    assert not cold.ok and "1 of 7" in cold.detail and "make nbval" in cold.fix
    assert doctor.check_checkpoints({"missing": [], "rungs": 7, "cache": "/c"}).ok
    full = doctor.check_disk(paths.REPO_ROOT, min_free_gb=1e9)
    assert not full.ok and "make clean" in full.fix
