"""The command line: init / advance / status in-process; serve-api as a real subprocess."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from microproduct.cli import main
from sproutly import clock


def test_init_advance_status(capsys):
    assert main(["init", "--scale", "0.05", "--days", "4", "--fault", "late_files:rate=0.5"]) == 0
    out = capsys.readouterr().out
    assert "simulated 4 day(s)" in out and "users" in out
    assert clock.read_clock_file()["now"] == "2026-01-05 00:00:00"

    assert main(["init", "--scale", "0.05", "--days", "4", "--if-missing"]) == 0
    assert "nothing to do" in capsys.readouterr().out

    assert main(["advance", "--days", "2"]) == 0
    assert clock.read_clock_file()["day"] == 6

    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert "2026-01-07 00:00:00" in out and "subscriptions" in out and "late_files" in out


def test_if_missing_rebuilds_on_other_scale(capsys):
    main(["init", "--scale", "0.05", "--days", "2"])
    capsys.readouterr()
    assert main(["init", "--scale", "0.1", "--days", "3", "--if-missing"]) == 0
    assert "rebuilding" in capsys.readouterr().out
    assert clock.read_clock_file()["scale"] == 0.1


def test_bad_fault_is_refused(capsys):
    assert main(["init", "--days", "1", "--fault", "gremlins"]) == 2
    assert "unknown fault 'gremlins'" in capsys.readouterr().err


def test_status_without_sources(capsys):
    assert main(["status"]) == 1
    assert "no sources" in capsys.readouterr().out


def test_serve_api_subprocess(tmp_path):
    env = {**os.environ, "SPROUTLY_DATA_DIR": str(tmp_path / "data"), "BILLING_API_TOKEN": "cli"}
    subprocess.run(
        [sys.executable, "-m", "microproduct", "init", "--scale", "0.2", "--days", "20"],
        env=env,
        check=True,
        capture_output=True,
    )
    port_file = tmp_path / "port"
    server = subprocess.Popen(
        [sys.executable, "-m", "microproduct", "serve-api", "--port-file", str(port_file)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while not port_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        port = int(port_file.read_text())
        url = f"http://127.0.0.1:{port}/v1/invoices"
        response = httpx.get(url, headers={"Authorization": "Bearer cli"})
        assert response.status_code == 200 and response.json()["data"]
        assert httpx.get(url).status_code == 401
    finally:
        server.send_signal(signal.SIGTERM)
        out, _ = server.communicate(timeout=10)
    assert server.returncode == 0
    assert f"http://127.0.0.1:{port}" in out and "stopped" in out


def test_serve_api_needs_a_token(monkeypatch, capsys):
    monkeypatch.delenv("BILLING_API_TOKEN", raising=False)
    assert main(["serve-api"]) == 2
    assert "BILLING_API_TOKEN" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["--help"], ["init", "--help"]])
def test_help(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 0
    assert "usage" in capsys.readouterr().out
