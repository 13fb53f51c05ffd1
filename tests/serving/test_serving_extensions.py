"""Extra endpoints (``routes=``) and the notebook entry point of the load test, over real HTTP.

A tiny but valid published copy (``_published`` + a three-day ``metrics_daily``) stands in for
the pipeline's output, so these run in about a second.
"""

from __future__ import annotations

import json
import sys

import duckdb
import httpx
import pytest

from serving import api, loadtest, make_server, running
from serving.server import route_path
from sproutly import paths

DAYS = [("2026-03-01", 10), ("2026-03-02", 12), ("2026-03-03", 9)]


@pytest.fixture
def tiny_published(data_dir, monkeypatch):
    """A published copy at ``paths.serving_path()`` with three days of ``metrics_daily``."""
    monkeypatch.setenv("SPROUTLY_NOW", "2026-03-04 00:00:00")
    path = paths.serving_path()
    paths.ensure(path)
    with duckdb.connect(str(path)) as con:
        con.execute("create table metrics_daily (date_day date, dau bigint)")
        con.executemany("insert into metrics_daily values (?::date, ?)", DAYS)
        con.execute(
            "create table _published as select '2026-03-04 00:00:00'::timestamp as published_at, "
            "'dev.duckdb' as warehouse, ?::json as row_counts",
            [json.dumps({"metrics_daily": len(DAYS)})],
        )
    return path


def dau(store, query):
    """An extra endpoint written like a learner would: bound parameters, 400 on bad input."""
    params = api.single(query, {"start", "end"})
    if set(params) != {"start", "end"}:
        raise api.BadRequest("give start=YYYY-MM-DD and end=YYYY-MM-DD")
    start, end = api.parse_date("start", params["start"]), api.parse_date("end", params["end"])
    api.check_range(start, end)
    rows = store.query(
        "select date_day, dau from metrics_daily where date_day between ? and ? order by 1",
        [start, end],
        shape=api.to_json_row,
    )
    return 200, {"days": rows}


def broken(store, query):
    raise RuntimeError("a bug in an extra endpoint, with a detail the client must not see")


def test_extra_endpoints_are_served_next_to_the_built_in_ones(tiny_published):
    routes = {"/v1/metrics/dau": dau, "/v1/broken": broken}
    with running(routes=routes) as url, httpx.Client(base_url=url, timeout=10) as http:
        answer = http.get("/v1/metrics/dau?start=2026-03-02&end=2026-03-03")
        assert answer.status_code == 200
        assert answer.json() == {
            "days": [{"date_day": "2026-03-02", "dau": 12}, {"date_day": "2026-03-03", "dau": 9}]
        }
        assert http.get("/v1/metrics/dau/?start=2026-03-01&end=2026-03-01").json() == {
            "days": [{"date_day": "2026-03-01", "dau": 10}]
        }  # the same path normalisation as the built-in routes
        bad = http.get("/v1/metrics/dau?start=2026-03-03&end=2026-03-01")
        assert bad.status_code == 400 and "is after end" in bad.json()["error"]
        assert http.get("/v1/metrics/dau?start=2026-03-01").status_code == 400
        failed = http.get("/v1/broken")
        assert failed.status_code == 500 and "detail" not in failed.text
        assert http.get("/health").json()["last_day"] == "2026-03-03"  # built-ins unchanged
        missing = http.get("/v1/metrics/nope")
        assert missing.status_code == 404
        assert {"/v1/metrics/dau", "/v1/broken"} <= set(missing.json()["endpoints"])
        assert http.post("/v1/metrics/dau").status_code == 405  # read-only, extras included


def test_without_routes_an_extra_path_is_404(tiny_published):
    with running() as url:
        assert httpx.get(f"{url}/v1/metrics/dau", timeout=10).status_code == 404


@pytest.mark.parametrize(
    "path",
    ["v1/x", "/v1/X", "/v1/a b", "/v1//x", "/v1/x/", "/v1/x?y=1", "/", "/v1/../x", ""],
)
def test_extra_paths_must_be_plain_lower_case_segments(path):
    with pytest.raises(ValueError, match="lower-case segments"):
        route_path(path)


@pytest.mark.parametrize("path", ["/health", "/v1/metrics/mrr", "/v1/users/7/summary"])
def test_built_in_endpoints_cannot_be_replaced(path, data_dir):
    with pytest.raises(ValueError, match="built-in endpoint"):
        make_server(routes={path: dau})


def test_a_handler_must_be_callable(data_dir):
    with pytest.raises(TypeError, match="not a function"):
        make_server(routes={"/v1/x": "select 1"})


def test_measure_records_every_sample_and_restores_the_switch_interval(tiny_published):
    before = sys.getswitchinterval()
    with running() as url:
        result = loadtest.measure(url=url, clients=3, requests=60, seconds=20)
        mix = set(loadtest.endpoint_mix(url))
    assert sys.getswitchinterval() == before
    assert result.requests == len(result.samples) == 60
    assert {path for path, _ in result.samples} <= mix
    assert sorted(ms for _, ms in result.samples)[-1] == result.max_ms
