"""Hostile app DB rows and billing API answers (issue 14 items 3, 4, 7; docs/faults.md rows 28-).

Cursors never move past the load's "now" and come from the latest committed load; billing
pagination is bounded in pages, total time and body time; answers that are not a JSON page fail
with a message naming the endpoint, the page and the HTTP status (never the token or the URL).
"""

from __future__ import annotations

import json
from datetime import datetime

import httpx
import pytest
from ingestion_fixtures import TOKEN, offered_equals_stored, put_rows, query, snapshot, user
from test_ingestion_billing import invoice, store  # noqa: F401 - the store fixture

from ingestion import load
from ingestion.reconcile import billing_reconciliation
from ingestion.sources.billing_api import BillingAPIError, RetrySettings, fetch_all
from microproduct.billing_api import running
from microproduct.billing_store import put_invoice

FUTURE = "2099-01-01 00:00:00"


def cursors(cfg, entity: str) -> list[str]:
    return [
        c
        for (c,) in query(
            cfg.warehouse_path,
            "select cursor_after from meta.loads where entity = ? order by load_id",
            [entity],
        )
    ]


# -- item 3: a timestamp from the future never poisons a cursor -----------------------------------
def test_app_row_from_the_future_is_quarantined_and_the_cursor_stays_at_now(app_db, config):
    put_rows(app_db, "users", [user(4, FUTURE)])
    cfg = config(reject_ratio=0.5)

    results = {r.entity: r for r in load("app", config=cfg)}

    users = results["users"]
    assert (users.status, users.rows_loaded, users.rows_quarantined) == ("warn", 3, 1)
    assert users.cursor_after == "2026-04-30 11:00:00"  # the latest valid row, not 2099
    ((location, reason),) = query(
        cfg.warehouse_path, "select location, reason from meta.quarantine"
    )
    assert location == "app.db:users rowid=4"
    assert reason.startswith("updated_at: 2099-01-01 00:00:00 is later than now (2026-05-01")
    offered_equals_stored(cfg.warehouse_path)
    # a later change is still picked up, and the future row is not offered twice
    put_rows(app_db, "users", [user(1, "2026-04-30 12:00:00", email="new@example.com")])
    again = {r.entity: r for r in load("app", config=cfg)}["users"]
    assert (again.status, again.rows_loaded, again.rows_quarantined) == ("success", 1, 0)
    assert again.cursor_after == "2026-04-30 12:00:00"


def test_full_refresh_resets_a_cursor_that_went_too_far(app_db, config):
    # a load whose clock was wrong (now = 2100) accepted the 2099 row and moved the cursor there
    put_rows(app_db, "users", [user(4, FUTURE)])
    load("app", config=config(now=datetime(2100, 1, 1)))
    cfg = config(reject_ratio=0.5)
    assert cursors(cfg, "users")[-1] == FUTURE
    put_rows(app_db, "users", [user(4, "2026-04-30 09:00:00")])  # fixed at the source

    (users,) = [r for r in load("app", config=cfg, full_refresh=True) if r.entity == "users"]

    assert users.cursor_after == "2026-04-30 11:00:00"  # the latest load's, not the max ever
    put_rows(app_db, "users", [user(2, "2026-04-30 12:00:00")])
    (later,) = [r for r in load("app", config=cfg) if r.entity == "users"]
    assert (later.status, later.rows_loaded) == ("success", 1)  # not a noop


def test_billing_invoice_from_the_future_is_quarantined_and_reconciles(store, config):  # noqa: F811
    import sqlite3

    con = sqlite3.connect(store)
    put_invoice(con, invoice(7, "2099-01-01T00:00:00Z"))
    con.commit()
    con.close()
    with running(store, TOKEN) as api:
        cfg = config(billing_api_url=api.url, reject_ratio=0.5)
        results = {r.entity: r for r in load("billing", config=cfg)}
        invoices = results["invoices"]
        assert (invoices.rows_loaded, invoices.rows_quarantined) == (6, 1)
        assert invoices.cursor_after == "2026-04-30 10:00:06"
        before = snapshot(cfg.warehouse_path)
        load("billing", config=cfg)  # re-running adds nothing
        assert snapshot(cfg.warehouse_path) == before
    table = billing_reconciliation(cfg, billing_store=store)
    assert table["lost"].tolist() == [0, 0]


# -- item 4: billing pagination is bounded --------------------------------------------------------
BASE = "http://user:url-secret@billing.test"


def fetch(handler, **settings):
    settings.setdefault("max_attempts", 1)
    with httpx.Client(base_url=BASE, transport=httpx.MockTransport(handler)) as client:
        return fetch_all(
            client,
            "/v1/invoices",
            updated_since=None,
            page_size=2,
            settings=RetrySettings(**settings),
        )


class Server:
    """A MockTransport handler counting requests; refuses to go on forever (old code would)."""

    def __init__(self, answer, limit: int = 500) -> None:
        self.answer, self.limit, self.requests = answer, limit, 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if self.requests > self.limit:
            raise RuntimeError(f"unbounded: more than {self.limit} requests")
        return self.answer(self.requests, request)


def page(has_more, data=(), cursor="c"):
    return {"object": "list", "data": list(data), "has_more": has_more, "next_cursor": cursor}


def test_empty_pages_with_fresh_cursors_stop_at_the_page_cap():
    server = Server(lambda n, r: httpx.Response(200, json=page(True, cursor=f"c{n}")))
    with pytest.raises(BillingAPIError, match=r"page 50: still has_more after max_pages=50"):
        fetch(server, max_pages=50)
    assert server.requests == 50


@pytest.mark.parametrize("value", ["false", "true", 0, None, [False]])
def test_has_more_must_be_a_json_boolean(value):
    server = Server(lambda n, r: httpx.Response(200, json=page(value, cursor=f"c{n}")))
    with pytest.raises(BillingAPIError, match=r"GET /v1/invoices page 1: has_more is .*not true"):
        fetch(server)
    assert server.requests == 1


def test_the_whole_load_has_a_deadline():
    ticks = iter(range(0, 10_000, 100))  # every look at the clock: 100 s later
    server = Server(lambda n, r: httpx.Response(200, json=page(True, cursor=f"c{n}")))
    with pytest.raises(BillingAPIError, match=r"page \d+: load_deadline=1000 s passed"):
        fetch(server, load_deadline=1000, clock=lambda: next(ticks))
    assert server.requests < 10


def test_a_trickling_body_is_cut_off():
    import time

    def trickle():
        for byte in json.dumps(page(False)).encode():
            time.sleep(0.02)
            yield bytes([byte])

    server = Server(lambda n, r: httpx.Response(200, content=trickle()))
    started = time.monotonic()
    with pytest.raises(BillingAPIError, match=r"page 1 failed after 2 attempts.*body_deadline"):
        fetch(server, body_deadline=0.2, max_attempts=2)
    assert time.monotonic() - started < 1.5  # the full body would take > 2 s per attempt


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, b"<html>maintenance</html>", r"HTTP 200 from GET /v1/invoices page 2: .*not JSON"),
        (302, b"", r"HTTP 302 from GET /v1/invoices page 2: expected 200"),
        (304, b"", r"HTTP 304 from GET /v1/invoices page 2"),
    ],
)
def test_non_json_and_redirect_answers_name_endpoint_page_and_status(status, body, expected):
    def answer(n, request):
        if n == 1:
            return httpx.Response(200, json=page(True, [{"invoice_id": "in_1"}], cursor="c1"))
        headers = {"location": f"{BASE}/login?token={TOKEN}"} if status == 302 else {}
        return httpx.Response(status, content=body, headers=headers)

    with pytest.raises(BillingAPIError, match=expected) as caught:
        fetch(Server(answer))
    text = str(caught.value)
    assert TOKEN not in text and "url-secret" not in text and "billing.test" not in text
