"""The serving API over real HTTP, against a real published copy (one shared world).

Every number the API returns is compared with the mart it must come from, read directly from the
published file: the API may select and reshape, never recompute.
"""

from __future__ import annotations

import http.client as http_client
import json
import os
import signal
import subprocess
import sys
import threading
from decimal import Decimal

import duckdb
import httpx
import pytest

from serving import api, loadtest, make_server, running

pytestmark = pytest.mark.usefixtures("in_world")


def mart(world, sql: str, params: list | None = None) -> list[dict]:
    with duckdb.connect(str(world.serving), read_only=True) as con:
        cursor = con.execute(sql, params or [])
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def as_json(value):
    """What the API promises for a mart value: decimals as numbers, dates as ISO text."""
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "hour"):
        return value.isoformat() + "Z"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


@pytest.fixture(scope="module")
def url(world):
    """One server for the read-only tests of this module (the world is never modified here)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SPROUTLY_DATA_DIR", str(world.data_dir))
        with running() as base_url:
            yield base_url


@pytest.fixture
def http(url):
    with httpx.Client(base_url=url, timeout=10) as client:
        yield client


def test_health_reports_publish_time_last_day_lag_and_row_counts(world, http, monkeypatch):
    response = http.get("/health")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    published = mart(world, "select published_at, row_counts::varchar as rc from _published")[0]
    assert body["status"] == "ok"
    assert body["published_at"] == "2026-01-31T00:00:00Z" == as_json(published["published_at"])
    assert body["last_day"] == "2026-01-30" and body["first_day"] == "2026-01-01"
    assert body["now"] == "2026-01-31T00:00:00Z"
    assert body["lag_days"] == 1 and body["lag_hours"] == 0.0  # covers the last complete day
    assert body["row_counts"] == json.loads(published["rc"])
    assert body["row_counts"]["metrics_daily"] == 30

    monkeypatch.setenv("SPROUTLY_NOW", "2026-02-03T06:00:00Z")  # the clock moves on, no publish
    later = http.get("/health").json()
    assert later["lag_days"] == 4 and later["lag_hours"] == 78.0
    assert later["published_at"] == body["published_at"]


def test_mrr_series_is_the_mart_with_its_movements(world, http):
    expected = mart(
        world,
        "select * from fct_mrr_daily where date_day between ? and ? order by date_day",
        ["2026-01-10", "2026-01-30"],
    )
    body = http.get("/v1/metrics/mrr", params={"start": "2026-01-10", "end": "2026-01-30"}).json()
    assert (body["start"], body["end"]) == ("2026-01-10", "2026-01-30")
    assert len(body["series"]) == 21
    assert body["series"] == [{k: as_json(v) for k, v in row.items()} for row in expected]
    assert body["series"][-1]["mrr"] > 0  # the world has paying users by day 30
    movements = {"new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr", "reactivation_mrr"}
    assert movements | {"net_new_mrr", "mrr", "arr", "paying_users"} <= set(body["series"][0])


def test_mrr_series_defaults_to_the_last_30_days_and_clips_to_coverage(http):
    default = http.get("/v1/metrics/mrr").json()
    assert (default["start"], default["end"]) == ("2026-01-01", "2026-01-30")
    assert [r["date_day"] for r in default["series"]][-1] == "2026-01-30"
    assert default["covered"] == {"first_day": "2026-01-01", "last_day": "2026-01-30"}
    beyond = http.get("/v1/metrics/mrr", params={"start": "2026-03-01", "end": "2026-03-05"})
    assert beyond.status_code == 200 and beyond.json()["series"] == []


def test_daily_metrics_one_day_a_range_and_an_uncovered_day(world, http):
    row = mart(world, "select * from metrics_daily where date_day = ?", ["2026-01-30"])[0]
    one = http.get("/v1/metrics/daily", params={"date": "2026-01-30"})
    assert one.status_code == 200
    assert one.json() == {"date": "2026-01-30", "metrics": {k: as_json(v) for k, v in row.items()}}
    assert {"dau", "wau", "mau", "signups", "trial_conversion_rate"} <= set(one.json()["metrics"])

    days = http.get("/v1/metrics/daily", params={"start": "2026-01-28", "end": "2026-01-30"})
    assert [d["date_day"] for d in days.json()["days"]] == [
        "2026-01-28",
        "2026-01-29",
        "2026-01-30",
    ]

    missing = http.get("/v1/metrics/daily", params={"date": "2025-12-31"})
    assert missing.status_code == 404
    assert "2026-01-01 to 2026-01-30" in missing.json()["error"]


@pytest.mark.parametrize("preload", [True, False], ids=["in-memory-index", "point-queries"])
def test_user_summary_from_the_marts_without_email(world, http, monkeypatch, preload):
    monkeypatch.setattr(api, "PRELOAD_MAX_USERS", 200_000 if preload else 0)
    payer = mart(world, "select * from dim_users where is_paying order by user_id limit 1")[0]
    subscriptions = mart(
        world,
        "select subscription_id, subscription_status, current_mrr_amount from fct_subscriptions "
        "where user_id = ? order by created_at, subscription_id",
        [payer["user_id"]],
    )
    response = http.get(f"/v1/users/{payer['user_id']}/summary")
    assert response.status_code == 200
    body = response.json()
    expected_user = {k: as_json(v) for k, v in payer.items() if k != "email"}
    assert body["user"] == expected_user
    assert "email" not in body["user"] and "@example.com" not in response.text
    assert [
        (s["subscription_id"], s["subscription_status"], s["current_mrr_amount"])
        for s in body["subscriptions"]
    ] == [
        (s["subscription_id"], s["subscription_status"], float(s["current_mrr_amount"]))
        for s in subscriptions
    ]
    assert body["user"]["current_mrr_amount"] > 0 and body["subscriptions"]


@pytest.mark.parametrize("preload", [True, False], ids=["in-memory-index", "point-queries"])
def test_unknown_user_is_404(http, monkeypatch, preload):
    monkeypatch.setattr(api, "PRELOAD_MAX_USERS", 200_000 if preload else 0)
    response = http.get("/v1/users/987654321/summary")
    assert response.status_code == 404
    assert response.json() == {"error": "unknown user 987654321"}


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/v1/metrics/mrr?start=2026-1-5", "start must be a date written YYYY-MM-DD"),
        ("/v1/metrics/mrr?end=2026-02-30", "end is not a real calendar date"),
        ("/v1/metrics/mrr?start=2026-01-20&end=2026-01-10", "is after end"),
        ("/v1/metrics/mrr?start=2020-01-01&end=2026-01-10", "at most 1096 days"),
        ("/v1/metrics/mrr?start=x';drop table fct_mrr_daily;--", "must be a date"),
        ("/v1/metrics/mrr?limit=5", "unknown parameter(s) limit"),
        ("/v1/metrics/mrr?end=2026-01-10&end=2026-01-11", "more than once: end"),
        ("/v1/metrics/daily", "give date=YYYY-MM-DD, or both"),
        ("/v1/metrics/daily?start=2026-01-01", "give date=YYYY-MM-DD, or both"),
        ("/v1/metrics/daily?date=2026-01-05&start=2026-01-01", "either date or start and end"),
        ("/v1/users/abc/summary", "user_id must be a positive integer"),
        ("/v1/users/0/summary", "user_id must be a positive integer"),
        ("/v1/users/-3/summary", "user_id must be a positive integer"),
        ("/v1/users/99999999999999999999/summary", "user_id must be a positive integer"),
        ("/health?verbose=1", "unknown parameter(s) verbose"),
    ],
)
def test_bad_parameters_are_400_with_a_clear_message(http, path, message):
    response = http.get(path)
    assert response.status_code == 400, response.text
    assert message in response.json()["error"]


def test_injection_attempt_changed_nothing(world, http):
    http.get("/v1/metrics/mrr", params={"start": "x';drop table fct_mrr_daily;--"})
    assert mart(world, "select count(*) as n from fct_mrr_daily")[0]["n"] == 30


def test_unknown_route_is_404_and_writes_are_405(http):
    missing = http.get("/v2/anything")
    assert missing.status_code == 404 and "/health" in missing.json()["endpoints"]
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        response = http.request(method, "/health")
        assert response.status_code == 405, method
        assert response.headers["allow"] == "GET"


def test_keep_alive_connections_are_reused(url):
    host, port = url.removeprefix("http://").split(":")
    connection = http_client.HTTPConnection(host, int(port), timeout=10)
    try:
        sockets = []
        for _ in range(3):
            connection.request("GET", "/health")
            response = connection.getresponse()
            assert response.status == 200 and json.loads(response.read())["status"] == "ok"
            sockets.append(connection.sock)
        assert sockets[0] is not None and sockets[0] is sockets[1] is sockets[2]
    finally:
        connection.close()


def test_missing_copy_503_then_publish_swaps_are_picked_up_without_restart(
    world, tmp_path, monkeypatch
):
    """A fresh serving path: nothing published (503), then two real publishes (swaps)."""
    from orchestration import publish as wap

    serving = tmp_path / "serving" / "copy.duckdb"
    relations = wap.mart_relations(world.manifest)
    server = make_server(path=serving)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with httpx.Client(base_url=server.url, timeout=10) as http:
            health = http.get("/health")
            assert health.status_code == 503
            assert health.json()["status"] == "unavailable"
            assert "no published copy" in health.json()["error"]
            assert http.get("/v1/metrics/mrr").status_code == 503
            assert http.get("/v1/users/1/summary").status_code == 503

            monkeypatch.setenv("SPROUTLY_NOW", "2026-01-31 00:00:00")
            wap.publish(relations, warehouse=world.warehouse, serving=serving)
            first = http.get("/health").json()
            assert first["published_at"] == "2026-01-31T00:00:00Z"
            assert "fct_payments" in first["row_counts"]
            generation = server.store._current
            assert generation is not None and not generation.closed

            monkeypatch.setenv("SPROUTLY_NOW", "2026-01-31 06:30:00")
            subset = [r for r in relations if r.name != "fct_payments"]
            wap.publish(subset, warehouse=world.warehouse, serving=serving)
            second = http.get("/health").json()
            assert second["published_at"] == "2026-01-31T06:30:00Z"
            assert "fct_payments" not in second["row_counts"]
            assert generation.closed  # the old copy was released once no request used it
            assert http.get("/v1/metrics/mrr").json()["series"][-1]["date_day"] == "2026-01-30"
    finally:
        server.shutdown()
        server.server_close()
        server.store.close()


def test_concurrent_readers_see_whole_copies_during_swaps(world, tmp_path, monkeypatch):
    """Eight clients read while the copy is swapped three times: never an error, never a mix."""
    from orchestration import publish as wap

    serving = tmp_path / "copy.duckdb"
    relations = wap.mart_relations(world.manifest)
    monkeypatch.setenv("SPROUTLY_NOW", "2026-01-31 01:00:00")
    wap.publish(relations, warehouse=world.warehouse, serving=serving)
    stop = threading.Event()
    seen: list[tuple[int, str]] = []
    lock = threading.Lock()

    def reader(url: str) -> None:
        with httpx.Client(base_url=url, timeout=10) as http:
            while not stop.is_set():
                response = http.get("/health")
                with lock:
                    seen.append((response.status_code, response.json().get("published_at")))

    with running(path=serving) as url:
        threads = [threading.Thread(target=reader, args=(url,)) for _ in range(8)]
        for thread in threads:
            thread.start()
        for hour in (2, 3, 4):
            monkeypatch.setenv("SPROUTLY_NOW", f"2026-01-31 0{hour}:00:00")
            wap.publish(relations, warehouse=world.warehouse, serving=serving)
        final = httpx.get(f"{url}/health").json()["published_at"]
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
    assert final == "2026-01-31T04:00:00Z"
    assert seen and {status for status, _ in seen} == {200}
    assert {at for _, at in seen} <= {f"2026-01-31T0{h}:00:00Z" for h in (1, 2, 3, 4)}


SENTINELS = {
    "BILLING_API_TOKEN": "sentinel-billing-token-5f1e",
    "ALERT_WEBHOOK_URL": "http://127.0.0.1:9/sentinel-webhook-8c2a",
    "SNOWFLAKE_PASSWORD": "sentinel-snowflake-pw-77d3",
}


def every_request(url: str) -> list[httpx.Response]:
    paths = [
        "/health",
        "/v1/metrics/mrr",
        "/v1/metrics/mrr?start=2026-01-01&end=2026-01-30",
        "/v1/metrics/daily?date=2026-01-30",
        "/v1/metrics/daily?start=2026-01-01&end=2026-01-30",
        "/v1/metrics/daily?date=2020-01-01",
        "/v1/users/1/summary",
        "/v1/users/987654321/summary",
        "/v1/users/nope/summary",
        "/v1/metrics/mrr?start=bad",
        "/v1/metrics/mrr?start=2026-01-01&end=2026-01-02&canary=querycanary91",
        "/nowhere",
    ]
    with httpx.Client(base_url=url, timeout=10) as http:
        return [http.get(p) for p in paths] + [http.post("/health")]


def assert_no_secret(text: str) -> None:
    for name, value in SENTINELS.items():
        assert value not in text, f"{name} leaked"


def test_no_secret_in_responses_or_logs_in_process(world, monkeypatch, caplog):
    for name, value in SENTINELS.items():
        monkeypatch.setenv(name, value)
    caplog.set_level("DEBUG")
    with running(path=world.serving) as url:
        responses = every_request(url)
    log_text = caplog.text  # every logger, the HTTP client's included
    server_log = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("serving"))
    assert "GET /v1/metrics/mrr?end&start 200" in server_log  # the access log was captured
    assert "querycanary91" not in server_log  # query values are never logged
    for response in responses:
        assert_no_secret(response.text)
        assert_no_secret(str(response.headers))
    assert_no_secret(log_text)


def test_cli_prints_url_serves_logs_without_secrets_and_stops_on_sigterm(world):
    env = {**os.environ, **SENTINELS, "SPROUTLY_DATA_DIR": str(world.data_dir), "SERVING_PORT": "0"}
    process = subprocess.Popen(
        [sys.executable, "-m", "serving"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and not url.endswith(":8000")
        responses = every_request(url)
        assert [r.status_code for r in responses[:4]] == [200, 200, 200, 200]
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0
    assert "serving: stopped" in stderr
    assert "serving.access GET /v1/users/1/summary 200" in stderr
    assert "querycanary91" not in stderr
    for response in responses:
        assert_no_secret(response.text)
    assert_no_secret(stdout + stderr)


def test_loadtest_runs_bounded_and_reports_percentiles(world):
    with running(path=world.serving) as url:
        result = loadtest.run(url, clients=4, requests=120, seconds=20)
    assert result.requests == 120 == len(result.samples) and result.errors == 0
    assert set(result.statuses) <= {200, 404} and result.statuses.get(200, 0) > 0
    assert 0 < result.p50_ms <= result.p95_ms <= result.p99_ms <= result.max_ms
    assert "p95" in result.summary(4)
