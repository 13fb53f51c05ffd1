"""The billing API against a small hand-built store: auth, pagination, filters, scripted failures."""

from __future__ import annotations

import sqlite3
import time
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from microproduct import billing_store
from microproduct.billing_api import (
    MissingTokenError,
    decode_cursor,
    fault_answer,
    running,
)

TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
N_INVOICES = 23


@pytest.fixture()
def store(tmp_path: Path) -> Path:
    """23 invoices over 10 distinct updated_at values (ties exercise the id tiebreak), 5 payments."""
    path = tmp_path / "billing.db"
    con = billing_store.create_store(path)
    base = datetime(2026, 1, 1, 8)
    for n in range(N_INVOICES):
        stamp = billing_store.iso_z(base + timedelta(hours=n % 10))
        billing_store.put_invoice(
            con,
            {
                "invoice_id": billing_store.invoice_id(n + 1),
                "subscription_id": n,
                "user_id": n,
                "plan_id": "basic_monthly",
                "status": "paid",
                "currency": "USD",
                "amount_due_cents": 499,
                "amount_paid_cents": 499,
                "period_start": stamp,
                "period_end": stamp,
                "issued_at": stamp,
                "paid_at": stamp,
                "updated_at": stamp,
            },
        )
    for n in range(5):
        billing_store.put_payment(
            con,
            {
                "payment_id": billing_store.payment_id(n + 1),
                "invoice_id": billing_store.invoice_id(n + 1),
                "user_id": n,
                "amount_cents": 499,
                "currency": "USD",
                "status": "succeeded",
                "failure_code": None,
                "attempted_at": "2026-01-01T08:00:00Z",
                "refunded_at": None,
                "updated_at": "2026-01-01T08:00:00Z",
            },
        )
    con.commit()
    con.close()
    return path


def fetch_all(api, entity: str, limit: int, **params) -> tuple[list[dict], int]:
    rows, pages, cursor = [], 0, None
    while True:
        query = {"limit": limit, **params} | ({"cursor": cursor} if cursor else {})
        body = httpx.get(f"{api.url}/v1/{entity}", params=query, headers=AUTH).json()
        rows += body["data"]
        pages += 1
        if not body["has_more"]:
            assert body["next_cursor"] is None
            return rows, pages
        cursor = body["next_cursor"]


def test_binds_to_localhost_and_free_port(store):
    with running(store, TOKEN) as api:
        assert api.url.startswith("http://127.0.0.1:")
        assert api.port > 0


def test_auth_401_on_missing_or_wrong_token(store):
    with running(store, TOKEN) as api:
        missing = httpx.get(f"{api.url}/v1/invoices")
        wrong = httpx.get(f"{api.url}/v1/invoices", headers={"Authorization": "Bearer nope"})
        ok = httpx.get(f"{api.url}/v1/invoices", headers=AUTH)
    assert missing.status_code == 401 and wrong.status_code == 401
    assert missing.json()["error"]["type"] == "unauthorized"
    assert ok.status_code == 200


def test_token_from_env_or_clear_error(store, monkeypatch):
    monkeypatch.delenv("BILLING_API_TOKEN", raising=False)
    with pytest.raises(MissingTokenError, match="BILLING_API_TOKEN"):
        with running(store):
            pass
    monkeypatch.setenv("BILLING_API_TOKEN", "from-env")
    with running(store) as api:
        assert api.token == "from-env"


def test_pagination_covers_every_row_exactly_once_in_order(store):
    with running(store, TOKEN) as api:
        rows, pages = fetch_all(api, "invoices", limit=5)
        default = httpx.get(f"{api.url}/v1/invoices", headers=AUTH).json()
    ids = [r["invoice_id"] for r in rows]
    assert len(ids) == N_INVOICES == len(set(ids))
    assert pages == 5
    keys = [(r["updated_at"], r["invoice_id"]) for r in rows]
    assert keys == sorted(keys)
    assert default["object"] == "list" and len(default["data"]) == N_INVOICES
    assert set(default["data"][0]) == set(billing_store.INVOICE_COLUMNS)
    # rows built without the refund columns read "nothing refunded"
    assert {(r["amount_refunded_cents"], r["refunded_at"]) for r in rows} == {(0, None)}


def test_updated_since_is_inclusive(store):
    with running(store, TOKEN) as api:
        rows, _ = fetch_all(api, "invoices", limit=4, updated_since="2026-01-01T15:00:00Z")
        offset, _ = fetch_all(api, "invoices", limit=500, updated_since="2026-01-01T16:00:00+01:00")
    # hours 15, 16, 17 (n % 10 in 7..9): n = 7, 8, 9, 17, 18, 19 -> 6 rows
    assert sorted(r["updated_at"] for r in rows)[0] == "2026-01-01T15:00:00Z"
    assert len(rows) == 6
    assert offset == rows  # +01:00 is converted to UTC


def test_payments_endpoint(store):
    with running(store, TOKEN) as api:
        rows, _ = fetch_all(api, "payments", limit=2)
    assert [r["payment_id"] for r in rows] == [f"py_{n:09d}" for n in range(1, 6)]
    assert set(rows[0]) == set(billing_store.PAYMENT_COLUMNS)
    assert rows[0]["amount_refunded_cents"] == 0


@pytest.mark.parametrize(
    "query",
    [
        {"limit": "0"},
        {"limit": "501"},
        {"limit": "x"},
        {"updated_since": "yesterday"},
        {"cursor": "!!"},
    ],
)
def test_bad_parameters_400(store, query):
    with running(store, TOKEN) as api:
        response = httpx.get(f"{api.url}/v1/invoices", params=query, headers=AUTH)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request"


def test_unknown_path_404(store):
    with running(store, TOKEN) as api:
        assert httpx.get(f"{api.url}/v1/customers", headers=AUTH).status_code == 404
        assert httpx.get(f"{api.url}/invoices", headers=AUTH).status_code == 404


def test_script_statuses_then_normal_and_records(store):
    script = [500, 503, 429, 401, 404, 200]
    with running(store, TOKEN, script=script, retry_after=2) as api:
        responses = [httpx.get(f"{api.url}/v1/invoices", headers=AUTH) for _ in range(7)]
        records = api.requests
    assert [r.status_code for r in responses] == [500, 503, 429, 401, 404, 200, 200]
    assert responses[2].headers["Retry-After"] == "2"
    assert "Retry-After" not in responses[0].headers
    assert [r.index for r in records] == list(range(7))
    assert [r.status for r in records] == [500, 503, 429, 401, 404, 200, 200]
    assert records[0].path == "/v1/invoices"


def test_retry_after_fractional_and_query_recorded(store):
    with running(store, TOKEN, script=[429], retry_after=0.5) as api:
        response = httpx.get(f"{api.url}/v1/payments", params={"limit": 3}, headers=AUTH)
        assert api.requests[0].query == {"limit": "3"}
    assert response.headers["Retry-After"] == "0.5"


def test_callable_script(store):
    def fail_third_page(index: int, path: str) -> int | None:
        return 500 if index == 2 else None

    with running(store, TOKEN, script=fail_third_page) as api:
        statuses = [httpx.get(f"{api.url}/v1/invoices", headers=AUTH).status_code for _ in range(4)]
    assert statuses == [200, 200, 500, 200]


def test_timeout_answer_stalls_past_client_timeout(store):
    with running(store, TOKEN, script=["timeout"], timeout_seconds=2.0) as api:
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(f"{api.url}/v1/invoices", headers=AUTH, timeout=0.3)
        assert time.monotonic() - started < 1.5
        assert [(r.index, r.status) for r in api.requests] == [(0, 200)]  # logged on arrival
        assert httpx.get(f"{api.url}/v1/invoices", headers=AUTH).status_code == 200


def test_repeat_cursor_returns_the_request_cursor(store):
    with running(store, TOKEN, script=[200, "repeat_cursor"]) as api:
        first = httpx.get(f"{api.url}/v1/invoices", params={"limit": 5}, headers=AUTH).json()
        cursor = first["next_cursor"]
        second = httpx.get(
            f"{api.url}/v1/invoices", params={"limit": 5, "cursor": cursor}, headers=AUTH
        ).json()
    assert second["next_cursor"] == cursor and second["has_more"] is True
    assert decode_cursor(cursor)[1] == first["data"][-1]["invoice_id"]


def test_latency_is_added(store):
    with running(store, TOKEN, latency=0.2) as api:
        started = time.monotonic()
        httpx.get(f"{api.url}/v1/invoices", headers=AUTH)
    assert time.monotonic() - started >= 0.2


def test_reads_the_store_per_request(store):
    with running(store, TOKEN) as api:
        before = len(httpx.get(f"{api.url}/v1/payments", headers=AUTH).json()["data"])
        con = billing_store.create_store(store)
        con.execute("update payments set updated_at = '2026-02-01T00:00:00Z', status = 'refunded'")
        con.commit()
        con.close()
        after = httpx.get(
            f"{api.url}/v1/payments", params={"updated_since": "2026-02-01"}, headers=AUTH
        ).json()["data"]
    assert before == 5 and len(after) == 5 and after[0]["status"] == "refunded"


def test_fault_windows_by_simulated_day():
    faults = {
        "api_outage": {"from_day": 50, "to_day": 52},
        "api_429": {"from_day": 10, "rate": 1.0},
    }
    assert fault_answer(faults, 49, 0) == 429
    assert fault_answer(faults, 50, 0) == 503
    assert fault_answer(faults, 51, 7) == 503
    assert fault_answer(faults, 52, 0) == 429
    assert fault_answer(faults, 9, 0) is None
    assert fault_answer(None, 50, 0) is None
    half = [fault_answer({"api_500": {"rate": 0.5}}, 3, i) for i in range(400)]
    assert 120 < half.count(500) < 280 and set(half) == {500, None}


def test_faults_applied_by_clock_day(store, tmp_path):
    # the store lives in <data>/sources/billing.db; the clock is <data>/clock.json
    data = tmp_path / "data"
    (data / "sources").mkdir(parents=True)
    db = data / "sources" / "billing.db"
    db.write_bytes(store.read_bytes())
    (data / "clock.json").write_text('{"now": "2026-02-20 00:00:00", "day": 50}')
    faults = {"api_outage": {"from_day": 50, "to_day": 52}}
    with running(db, TOKEN, faults=faults) as api:
        assert httpx.get(f"{api.url}/v1/invoices", headers=AUTH).status_code == 503
        (data / "clock.json").write_text('{"now": "2026-02-22 00:00:00", "day": 52}')
        assert httpx.get(f"{api.url}/v1/invoices", headers=AUTH).status_code == 200


def test_sproutly_now_overrides_the_clock_file(store, tmp_path, monkeypatch):
    data = tmp_path / "data2"
    (data / "sources").mkdir(parents=True)
    db = data / "sources" / "billing.db"
    db.write_bytes(store.read_bytes())
    (data / "clock.json").write_text('{"now": "2026-01-02 00:00:00", "day": 1}')
    faults = {"api_outage": {"from_day": 50, "to_day": 52}}
    with running(db, TOKEN, faults=faults) as api:
        assert httpx.get(f"{api.url}/v1/invoices", headers=AUTH).status_code == 200
        monkeypatch.setenv("SPROUTLY_NOW", "2026-02-20T12:00:00Z")  # day 50
        assert httpx.get(f"{api.url}/v1/invoices", headers=AUTH).status_code == 503


def test_a_store_from_before_refund_columns_gains_them(tmp_path):
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    old.executescript(
        "create table invoices (invoice_id text primary key, updated_at text not null);"
        "create table payments (payment_id text primary key, updated_at text not null);"
        "insert into invoices values ('in_000000001', '2026-01-01T00:00:00Z');"
    )
    old.commit()
    old.close()
    con = billing_store.create_store(path)
    columns = {row[1] for row in con.execute("pragma table_info(invoices)")}
    assert {"amount_refunded_cents", "refunded_at"} <= columns
    assert con.execute("select amount_refunded_cents, refunded_at from invoices").fetchall() == [
        (0, None)
    ]
    assert "amount_refunded_cents" in {row[1] for row in con.execute("pragma table_info(payments)")}
    con.close()
