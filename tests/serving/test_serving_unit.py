"""Serving without a published copy: binding rules, parameter parsing, the CLI, 503s.

None of these needs the pipeline, so they run in about a second.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from datetime import date

import httpx
import pytest

from serving import NoPublishedCopy, NotLoopback, api, loadtest, make_server, running


@pytest.mark.parametrize("host", ["0.0.0.0", "10.0.0.1", "192.168.1.20", "::", "example.com", ""])
def test_refuses_to_bind_anything_but_loopback(host, data_dir):
    with pytest.raises(NotLoopback, match="127.0.0.0/8 only"):
        make_server(host=host)
    with pytest.raises(NotLoopback), running(host=host):
        pass


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "127.0.0.2"])
def test_binds_to_loopback_addresses(host, data_dir):
    server = make_server(host=host)
    try:
        assert server.server_address[0] == ("127.0.0.1" if host == "localhost" else host)
        assert server.server_address[1] > 0  # port 0 = a free port
    finally:
        server.server_close()


def test_cli_refuses_a_public_host_and_a_bad_port(data_dir):
    public = subprocess.run(
        [sys.executable, "-m", "serving", "--host", "0.0.0.0", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert public.returncode == 2 and "127.0.0.0/8 only" in public.stderr
    bad_port = subprocess.run(
        [sys.executable, "-m", "serving", "--port", "70000"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert bad_port.returncode == 2 and "port must be 0..65535" in bad_port.stderr


def test_nothing_published_is_503_but_bad_parameters_still_400(data_dir):
    with running() as url, httpx.Client(base_url=url, timeout=10) as http:
        health = http.get("/health")
        assert health.status_code == 503
        assert health.json()["status"] == "unavailable"
        assert "make run" in health.json()["error"]
        assert http.get("/v1/metrics/mrr").status_code == 503
        assert http.get("/v1/metrics/daily?date=2026-01-01").status_code == 503
        assert http.get("/v1/users/1/summary").status_code == 503
        assert http.get("/v1/metrics/mrr?start=soon").status_code == 400


def test_cli_stops_on_sigint(data_dir, monkeypatch):
    monkeypatch.setenv("SERVING_PORT", "0")
    process = subprocess.Popen(
        [sys.executable, "-m", "serving"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{url}/health", timeout=10).status_code == 503
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0 and "serving: stopped" in stderr
    assert "GET /health 503" in stderr


def test_parse_date_accepts_only_real_iso_dates():
    assert api.parse_date("start", "2026-02-28") == date(2026, 2, 28)
    for bad in ["2026-2-28", "20260228", "2026-02-29", "2026-02-28T00:00", " 2026-02-28", ""]:
        with pytest.raises(api.BadRequest):
            api.parse_date("start", bad)


def test_parse_user_id_bounds():
    assert api.parse_user_id("42") == 42
    assert api.parse_user_id(str(2**63 - 1)) == 2**63 - 1
    for bad in ["0", "-1", "1.5", "1e3", str(2**63), "", "٣"]:
        with pytest.raises(api.BadRequest):
            api.parse_user_id(bad)


def test_json_values_are_iso_utc_and_numbers():
    from datetime import datetime
    from decimal import Decimal

    assert api.to_json_value(datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02T03:04:05Z"
    assert api.to_json_value(date(2026, 1, 2)) == "2026-01-02"
    assert api.to_json_value(Decimal("2967.4102")) == 2967.4102
    assert repr(api.to_json_value(Decimal("35608.9224"))) == "35608.9224"


def test_loadtest_refuses_non_loopback_targets():
    for url in ["http://10.0.0.1:8000", "http://example.com", "https://127.0.0.1:8000", "ftp://x"]:
        with pytest.raises(ValueError):
            loadtest.check_loopback_url(url)
    assert loadtest.check_loopback_url("http://127.0.0.1:8000/") == "http://127.0.0.1:8000"


def test_percentile_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert loadtest.percentile(values, 50) == 50.0
    assert loadtest.percentile(values, 95) == 95.0
    assert loadtest.percentile(values, 100) == 100.0
    assert loadtest.percentile([7.0], 95) == 7.0


@pytest.fixture
def tiny_copy(tmp_path):
    """A one-table DuckDB file standing in for a published copy (store mechanics only)."""
    import duckdb

    path = tmp_path / "copy.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create table t as select range as v from range(5)")
    return path


def test_generation_closes_only_after_the_last_borrowed_cursor_returns(tiny_copy):
    from serving.store import Generation, file_identity

    generation = Generation(tiny_copy, file_identity(tiny_copy))
    cursor = generation.borrow()
    generation.retire()  # a newer copy was published while a request is running
    assert not generation.closed
    assert cursor.execute("select count(*) from t").fetchall() == [(5,)]  # still readable
    generation.give_back(cursor)
    assert generation.closed
    with pytest.raises(RuntimeError, match="closed"):
        generation.borrow()


def test_generation_cache_computes_each_key_once_under_concurrency(tiny_copy):
    import threading
    import time

    from serving.store import Generation, file_identity

    generation = Generation(tiny_copy, file_identity(tiny_copy))
    calls = []

    def slow() -> list:
        calls.append(1)
        time.sleep(0.05)
        return ["value"]

    results = []
    threads = [
        threading.Thread(target=lambda: results.append(generation.cached(("k",), slow)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert results == [["value"]] * 8 and len(calls) == 1
    generation.retire()
    assert generation.closed


def test_store_follows_an_os_replace_swap(tiny_copy, tmp_path):
    import os

    import duckdb

    from serving import PublishedStore

    store = PublishedStore(tiny_copy)
    assert store.query("select count(*) as n from t") == [{"n": 5}]
    replacement = tmp_path / "next.duckdb"
    with duckdb.connect(str(replacement)) as con:
        con.execute("create table t as select range as v from range(7)")
    os.replace(replacement, tiny_copy)
    assert store.query("select count(*) as n from t") == [{"n": 7}]
    tiny_copy.unlink()
    with pytest.raises(NoPublishedCopy):
        store.query("select 1")
    store.close()
