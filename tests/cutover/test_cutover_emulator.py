"""The emulator subprocess: loopback, answers, stops on exit and on error, leaves no orphan."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cutover.emulator import EmulatorError, running
from sproutly import paths


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped) counts as gone.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def _wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.2)
    return not _alive(pid)


def test_emulator_stops_when_the_block_raises_and_db_path_keeps_state(tmp_path):
    with pytest.raises(RuntimeError, match="boom"):
        with running(db_path=tmp_path / "db") as emulator:
            pid, workdir = emulator.process.pid, emulator.log_path.parent
            assert _alive(pid)
            con = emulator.connect()
            con.cursor().execute("create or replace table kept as select 42 as answer")
            con.close()
            raise RuntimeError("boom")
    assert _wait_gone(pid, 10), "the emulator outlived its with-block"
    assert not workdir.exists(), "the emulator's work folder was left behind"
    with running(db_path=tmp_path / "db") as emulator:
        con = emulator.connect()
        try:
            assert con.cursor().execute("select answer from kept").fetchall() == [(42,)]
        finally:
            con.close()


def test_a_start_timeout_raises_and_kills_the_subprocess(monkeypatch):
    started = []
    real_popen = subprocess.Popen

    def recording_popen(*args, **kwargs):
        process = real_popen(*args, **kwargs)
        started.append(process)
        return process

    monkeypatch.setattr(subprocess, "Popen", recording_popen)
    with pytest.raises(EmulatorError, match="did not answer within"):
        with running(timeout=0.05):
            pass
    assert len(started) == 1
    assert _wait_gone(started[0].pid, 10)


def test_the_emulator_exits_when_its_parent_is_killed(tmp_path):
    """A notebook kernel killed mid-chapter must not leave an emulator behind."""
    pid_file = tmp_path / "emulator.pid"
    script = (
        "import time, pathlib\n"
        "from cutover.emulator import running\n"
        "with running() as e:\n"
        f"    pathlib.Path({str(pid_file)!r}).write_text(str(e.process.pid))\n"
        "    time.sleep(120)\n"
    )
    parent = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script],
        cwd=str(paths.REPO_ROOT),
        env={**os.environ, "PYTHONPATH": str(paths.REPO_ROOT)},
    )
    try:
        deadline = time.monotonic() + 90
        while not pid_file.exists() and time.monotonic() < deadline:
            assert parent.poll() is None, "the parent died before the emulator started"
            time.sleep(0.2)
        emulator_pid = int(pid_file.read_text())
        assert _alive(emulator_pid)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        assert _wait_gone(emulator_pid, 15), "the emulator survived its killed parent"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
