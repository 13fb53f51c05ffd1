"""What an attack on the hand-written server found, fixed on FastAPI + uvicorn: answers torn
across a publish swap, a date overflow answered 500, forged access-log lines, slow clients
holding a worker. Plus the OpenAPI schema, /docs, JSON 405/422 and APIRouter extensions.

Each test builds a tiny published copy itself (a second or so), no pipeline run.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import httpx
import pytest
from fastapi import APIRouter

from serving import PinnedStore, running
from serving.api import MRR_COLUMNS
from serving.server import Published

START = date(2026, 1, 1)
PUBLISHED = datetime(2026, 2, 1)


def write_copy(path: Path, generation: int) -> None:
    """A published copy whose every number says which generation it is: ``published_at`` is
    ``generation`` minutes after :data:`PUBLISHED`, metrics_daily/fct_mrr_daily cover 10 + generation % 7
    days, and every MRR row's ``mrr`` equals ``generation``."""
    days = 10 + generation % 7
    columns = [c.strip() for c in MRR_COLUMNS.split(",")]
    tmp = path.with_name(f"{path.name}.{generation}.tmp")
    with duckdb.connect(str(tmp)) as con:
        con.execute("create table metrics_daily (date_day date, dau bigint)")
        con.execute(
            f"create table fct_mrr_daily ({', '.join(f'{c} bigint' for c in columns[1:])}, "
            "date_day date)"
        )
        for offset in range(days):
            day = START + timedelta(days=offset)
            con.execute("insert into metrics_daily values (?, ?)", [day, generation])
            con.execute(
                f"insert into fct_mrr_daily ({', '.join(columns)}) "  # noqa: S608 - test data
                f"values (?, {', '.join('?' for _ in columns[1:])})",
                [day, *([generation] * (len(columns) - 1))],
            )
        con.execute(
            "create table _published as select ?::timestamp as published_at, "
            "'dev.duckdb' as warehouse, ?::json as row_counts",
            [PUBLISHED + timedelta(minutes=generation), json.dumps({"dim_users": 0})],
        )
    os.replace(tmp, path)


@pytest.fixture
def copy_path(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("SPROUTLY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SPROUTLY_NOW", "2026-02-01 00:00:00")
    path = tmp_path / "copy.duckdb"
    write_copy(path, 0)
    return path


def test_an_answer_reads_one_published_generation_while_publishes_swap(copy_path):
    """A new copy is swapped in every few ms (seven distinct copies in turn); every MRR answer
    must be internally consistent: its publish time, coverage and rows come from one copy."""
    copies = []
    for generation in range(7):
        copies.append(copy_path.with_name(f"generation-{generation}.duckdb"))
        write_copy(copies[-1], generation)
    stop = threading.Event()
    torn: list[str] = []
    answers: list[int] = []

    def publisher() -> None:
        swaps = 0
        while not stop.is_set():
            swaps += 1
            tmp = copy_path.with_name("swap.tmp")
            shutil.copyfile(copies[swaps % len(copies)], tmp)
            os.replace(tmp, copy_path)
            time.sleep(0.003)

    def reader(url: str) -> None:
        with httpx.Client(base_url=url, timeout=10) as http:
            while not stop.is_set():
                response = http.get("/v1/metrics/mrr")
                assert response.status_code == 200, response.text
                body = response.json()
                answers.append(1)
                published_at = datetime.fromisoformat(body["published_at"].rstrip("Z"))
                generation = (published_at - PUBLISHED) // timedelta(minutes=1)
                expected_last = (START + timedelta(days=9 + generation % 7)).isoformat()
                series = body["series"]
                if (
                    body["covered"]["last_day"] != expected_last
                    or body["end"] != expected_last
                    or {row["mrr"] for row in series} != {generation}
                    or series[-1]["date_day"] != expected_last
                ):
                    torn.append(json.dumps(body)[:200])

    with running(path=copy_path) as url:
        threads = [threading.Thread(target=publisher)]
        threads += [threading.Thread(target=reader, args=(url,)) for _ in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(5)
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
    assert len(answers) > 50
    assert not torn, f"{len(torn)} of {len(answers)} answers mixed two copies, e.g. {torn[0]}"


def test_an_end_date_near_the_calendar_start_is_400_not_500(copy_path):
    with running(path=copy_path) as url:
        response = httpx.get(f"{url}/v1/metrics/mrr?end=0001-01-05", timeout=10)
    assert response.status_code == 400, response.text
    assert "end is too early" in response.json()["error"]


@pytest.mark.parametrize(
    "path",
    [
        "/v1/metrics/mrr?start=2026-01-01%0aGET%20/forged%20200&end=2026-01-02",
        "/v1/metrics/mrr?x%0aGET%20/forged%20200=1",
        "/v1/metrics/mrr%0aGET%20/forged%20200",
        "/v1/metrics/mrr?x%0d%0a%1b[31m=1",
    ],
)
def test_the_access_log_cannot_be_forged(copy_path, caplog, path):
    caplog.set_level("INFO", logger="serving")
    with running(path=copy_path) as url:
        httpx.get(f"{url}{path}", timeout=10)
    lines = [r.getMessage() for r in caplog.records if r.name == "serving.access"]
    assert len(lines) == 1, lines
    assert not any(ch in lines[0] for ch in "\n\r\x1b"), lines


def test_a_slow_client_is_disconnected_within_seconds(copy_path):
    """Slowloris: one header byte every second never completes a request; the server must
    close the connection after its header deadline (5 s), not hold it for minutes."""
    with running(path=copy_path) as url:
        host, port = url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            started = time.monotonic()
            closed_after = None
            for byte in b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 20:
                try:
                    sock.sendall(bytes([byte]))
                    sock.settimeout(1.0)
                    if sock.recv(1) == b"":
                        closed_after = time.monotonic() - started
                        break
                except TimeoutError:
                    continue
                except OSError:
                    closed_after = time.monotonic() - started
                    break
                if time.monotonic() - started > 12:
                    break
        # while the slow client trickles, the server still answers everyone else at once
        assert httpx.get(f"{url}/health", timeout=5).status_code == 200
    assert closed_after is not None and closed_after < 8, closed_after


def test_openapi_schema_and_docs_are_served_offline(copy_path):
    with running(path=copy_path) as url, httpx.Client(base_url=url, timeout=10) as http:
        schema = http.get("/openapi.json").json()
        docs = http.get("/docs")
        bundle = http.get("/static-offline-docs/swagger-ui-bundle.js")
    assert {
        "/health",
        "/v1/metrics/mrr",
        "/v1/metrics/daily",
        "/v1/users/{user_id}/summary",
    } <= set(schema["paths"])
    assert {p["name"] for p in schema["paths"]["/v1/metrics/mrr"]["get"]["parameters"]} == {
        "start",
        "end",
    }
    assert docs.status_code == 200 and "swagger-ui" in docs.text
    assert "https://" not in docs.text  # no CDN: every asset comes from this server
    assert bundle.status_code == 200 and len(bundle.content) > 100_000


def test_errors_are_json_405_and_422_from_a_typed_router(copy_path):
    extra = APIRouter()

    @extra.get("/v1/metrics/dau")
    def dau(store: Published, start: date, end: date) -> dict:
        assert isinstance(store, PinnedStore)
        rows = store.query(
            "select date_day::varchar as date_day, dau from metrics_daily "
            "where date_day between ? and ? order by 1",
            [start, end],
        )
        return {"days": rows}

    with running(path=copy_path, routers=[extra]) as url, httpx.Client(base_url=url) as http:
        ok = http.get("/v1/metrics/dau?start=2026-01-01&end=2026-01-02")
        assert ok.json() == {
            "days": [{"date_day": "2026-01-01", "dau": 0}, {"date_day": "2026-01-02", "dau": 0}]
        }
        invalid = http.get("/v1/metrics/dau?start=yesterday&end=2026-01-02")
        assert invalid.status_code == 422 and "start" in invalid.json()["error"]
        post = http.post("/v1/metrics/dau")
        assert post.status_code == 405 and post.headers["allow"] == "GET"
        assert "read-only" in post.json()["error"]
        assert "/v1/metrics/dau" in http.get("/nowhere").json()["endpoints"]


def test_a_router_cannot_replace_a_built_in_endpoint(copy_path):
    extra = APIRouter()

    @extra.get("/health")
    def fake() -> dict:
        return {}

    with pytest.raises(ValueError, match="built-in endpoint"), running(routers=[extra]):
        pass


def test_a_cached_only_read_answers_hits_and_defers_everything_else(copy_path):
    """The event-loop pass (io=False) never touches DuckDB: a miss or a new copy is NeedsIO, and
    the retry with io=True reads the same generation the first pass pinned."""
    from serving import PublishedStore
    from serving.store import NeedsIO

    store = PublishedStore(copy_path)
    sql = "select count(*) as n from metrics_daily"
    with store.pinned(io=False) as cached:
        with pytest.raises(NeedsIO):
            cached.query(sql, cache_key=("n",))  # nothing opened yet: a new copy
    assert store.query(sql, cache_key=("n",)) == [{"n": 10}]  # opens and caches
    with store.pinned(io=False) as cached:
        assert cached.query(sql, cache_key=("n",)) == [{"n": 10}]  # a hit, no I/O
        with pytest.raises(NeedsIO):
            cached.query(sql, cache_key=("other",))
        pinned = cached.generation()
        write_copy(copy_path, 1)  # a publish swaps the file mid-request
        cached.io = True
        assert cached.query(sql, cache_key=("other",)) == [{"n": 10}]  # still the first copy
        assert cached.generation() is pinned
    assert store.query(sql) == [{"n": 11}]  # the next request reads the new copy
    store.close()
