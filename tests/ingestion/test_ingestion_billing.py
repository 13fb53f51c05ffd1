"""Billing API: retries and backoff, Retry-After, terminal 4xx, pagination failures and loops,
missing secrets. A hand-made billing store served by the simulator's local API."""

from __future__ import annotations

import duckdb
import pytest
from ingestion_fixtures import TOKEN, offered_equals_stored, query, snapshot

from ingestion import LoadFailed, MissingSetting, load
from microproduct.billing_api import running
from microproduct.billing_store import create_store, put_invoice, put_payment


def invoice(n: int, updated_at: str = "2026-04-30T10:00:00Z", **overrides) -> dict:
    row = {
        "invoice_id": f"in_{n:09d}",
        "subscription_id": 10,
        "user_id": 1,
        "plan_id": "basic_monthly",
        "status": "paid",
        "currency": "USD",
        "amount_due_cents": 499,
        "amount_paid_cents": 499,
        "period_start": "2026-04-01T00:00:00Z",
        "period_end": "2026-05-01T00:00:00Z",
        "issued_at": "2026-04-01T00:00:00Z",
        "paid_at": "2026-04-01T00:05:00Z",
        "updated_at": updated_at,
    }
    return {**row, **overrides}


def payment(n: int, updated_at: str = "2026-04-30T10:00:00Z") -> dict:
    return {
        "payment_id": f"py_{n:09d}",
        "invoice_id": f"in_{n:09d}",
        "user_id": 1,
        "amount_cents": 499,
        "currency": "USD",
        "status": "succeeded",
        "failure_code": None,
        "attempted_at": "2026-04-01T00:05:00Z",
        "refunded_at": None,
        "updated_at": updated_at,
    }


@pytest.fixture
def store(data_dir):
    """6 invoices and 2 payments."""
    path = data_dir / "sources" / "billing.db"
    con = create_store(path)
    for n in range(1, 7):
        put_invoice(con, invoice(n, f"2026-04-30T10:00:0{n}Z"))
    for n in range(1, 3):
        put_payment(con, payment(n))
    con.commit()
    con.close()
    return path


def test_fault_13_transient_errors_are_retried_with_backoff_and_retry_after(store, config, sleeps):
    with running(store, TOKEN, script=[500, 429, 503], retry_after=7.0) as api:
        cfg = config(billing_api_url=api.url)
        results = load("billing", config=cfg)
        statuses = [r.status for r in api.requests]

    assert [(r.entity, r.status, r.rows_loaded) for r in results] == [
        ("invoices", "success", 6),
        ("payments", "success", 2),
    ]
    assert statuses == [500, 429, 503, 200, 200]
    assert len(sleeps) == 3
    assert sleeps[1] == 7.0  # Retry-After honoured
    assert 0 < sleeps[0] < sleeps[2] <= cfg.backoff_initial * 4 + cfg.backoff_initial  # backoff
    offered_equals_stored(cfg.warehouse_path)
    before = snapshot(cfg.warehouse_path)
    with running(store, TOKEN) as api:
        again = load("billing", config=config(billing_api_url=api.url))
    assert [r.status for r in again] == ["noop", "noop"]
    assert snapshot(cfg.warehouse_path) == before


def test_attempts_per_request_come_from_the_environment(
    store, config, sleeps, monkeypatch: pytest.MonkeyPatch
):
    """BILLING_API_MAX_ATTEMPTS=2: one retry per request, then the load gives up."""
    monkeypatch.setenv("BILLING_API_MAX_ATTEMPTS", "2")
    with running(store, TOKEN, script=[503, 503, 503]) as api:
        cfg = config(billing_api_url=api.url)
        assert cfg.max_attempts == 2
        results = load("billing", config=cfg, raise_on_failure=False)
        statuses = [r.status for r in api.requests]
    # invoices: 503, 503 -> gives up; payments: 503, then the API answers
    assert [(r.entity, r.status) for r in results] == [
        ("invoices", "failed"),
        ("payments", "success"),
    ]
    assert statuses == [503, 503, 503, 200]
    assert len(sleeps) == 2  # one wait per request that was retried
    for bad in ("0", "two"):
        monkeypatch.setenv("BILLING_API_MAX_ATTEMPTS", bad)
        with pytest.raises(ValueError, match="BILLING_API_MAX_ATTEMPTS"):
            config()


def test_fault_13_retry_after_is_capped_and_timeouts_retried(store, config, sleeps):
    with running(store, TOKEN, script=[429, "timeout"], retry_after=3600, timeout_seconds=2) as api:
        cfg = config(billing_api_url=api.url, retry_after_cap=60.0, read_timeout=0.3)
        (invoices, _) = load("billing", config=cfg)
    assert invoices.rows_loaded == 6
    assert sleeps[0] == 60.0


def test_fault_13_exhausted_retries_fail_and_leave_raw_unchanged(store, config, sleeps):
    with running(store, TOKEN) as api:
        cfg = config(billing_api_url=api.url)
        load("billing", config=cfg)
    before = snapshot(cfg.warehouse_path)
    con = create_store(store)
    put_invoice(con, invoice(7, "2026-04-30T12:00:00Z"))
    con.commit()
    con.close()

    with running(store, TOKEN, script=lambda i, path: 500) as api:
        with pytest.raises(LoadFailed) as caught:
            load("billing", config=config(billing_api_url=api.url))
        requests = api.requests

    assert len(requests) == 2 * cfg.max_attempts  # bounded: 5 per endpoint, then give up
    invoices = caught.value.results[0]
    assert invoices.status == "failed"
    assert "failed after 5 attempts" in invoices.message
    assert invoices.cursor_after == invoices.cursor_before == "2026-04-30 10:00:06"
    assert snapshot(cfg.warehouse_path) == before
    failed = query(cfg.warehouse_path, "select count(*) from meta.loads where status = 'failed'")
    assert failed == [(2,)]


def test_fault_14_failure_mid_pagination_commits_nothing(store, config):
    script = lambda index, path: 503 if index >= 2 else None  # noqa: E731 - page 3 onwards fail
    with running(store, TOKEN, script=script) as api:
        cfg = config(billing_api_url=api.url, page_size=2, max_attempts=2)
        results = load("billing", config=cfg, raise_on_failure=False)
        pages = [r.query.get("cursor") is not None for r in api.requests[:3]]
    assert pages == [False, True, True]  # page 1, page 2, page 3 (failed)
    assert results[0].status == "failed"
    assert query(
        cfg.warehouse_path,
        "select count(*) from information_schema.tables where table_name = 'billing_invoices'",
    ) == [(0,)]
    assert results[0].cursor_after is None


def test_fault_14_repeated_cursor_is_a_loop(store, config):
    script = lambda index, path: "repeat_cursor" if index == 1 else None  # noqa: E731
    with running(store, TOKEN, script=script) as api:
        cfg = config(billing_api_url=api.url, page_size=2)
        with pytest.raises(LoadFailed, match="pagination loop"):
            load("billing", config=cfg)
        assert len(api.requests) < 10


@pytest.mark.parametrize("status", [401, 403, 404, 400])
def test_fault_15_client_errors_are_terminal(store, config, sleeps, status):
    with running(store, TOKEN, script=[status]) as api:
        cfg = config(billing_api_url=api.url)
        results = load("billing", config=cfg, raise_on_failure=False)
        first_endpoint = [r for r in api.requests if r.path.endswith("invoices")]
    assert len(first_endpoint) == 1  # exactly one request, no retry
    assert sleeps == []
    assert results[0].status == "failed"
    assert f"HTTP {status} from GET /v1/invoices" in results[0].message
    assert "Not retried" in results[0].message


def test_fault_15_wrong_token_message_never_shows_a_token(store, config):
    with running(store, TOKEN) as api:
        cfg = config(billing_api_url=api.url, billing_api_token="not-" + TOKEN)
        with pytest.raises(LoadFailed) as caught:
            load("billing", config=cfg)
    text = str(caught.value)
    assert "HTTP 401" in text and "BILLING_API_TOKEN" in text
    assert TOKEN not in text  # neither the real nor the wrong token (which contains it) is shown


@pytest.mark.parametrize("variable", ["BILLING_API_TOKEN", "BILLING_API_URL"])
def test_fault_21_missing_secret_fails_before_any_write(data_dir, monkeypatch, capsys, variable):
    monkeypatch.setenv("BILLING_API_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("BILLING_API_TOKEN", "s3cret-value-123")
    monkeypatch.delenv(variable)
    from ingestion import IngestionConfig
    from ingestion.__main__ import main

    with pytest.raises(MissingSetting, match=variable):
        load("all")
    assert main(["load", "billing"]) == 2
    out = capsys.readouterr()
    assert variable in out.err
    assert "s3cret-value-123" not in out.out + out.err
    assert "s3cret" not in repr(IngestionConfig.from_env())
    assert not (data_dir / "warehouse").exists()  # nothing written, not even meta


def test_refunds_land_in_raw_typed_also_in_a_raw_table_made_before_them(data_dir, config):
    path = data_dir / "sources" / "billing.db"
    con = create_store(path)
    put_invoice(con, invoice(1))
    put_payment(con, payment(1))
    con.commit()
    with running(path, TOKEN) as api:
        load("billing", config=config(billing_api_url=api.url))
    cfg = config()
    # a raw layer made before the refund columns were declared: drop them (rows stay)
    with duckdb.connect(str(cfg.warehouse_path)) as wh:
        for table, column in (
            ("billing_invoices", "amount_refunded_cents"),
            ("billing_invoices", "refunded_at"),
            ("billing_payments", "amount_refunded_cents"),
        ):
            wh.execute(f"alter table raw.{table} drop column {column}")
    refunded_at = "2026-04-30T11:00:00Z"
    put_invoice(con, invoice(1, refunded_at, amount_refunded_cents=250, refunded_at=refunded_at))
    row = payment(1, refunded_at) | {"status": "refunded", "amount_refunded_cents": 250}
    put_payment(con, row | {"refunded_at": refunded_at})
    con.commit()
    con.close()
    with running(path, TOKEN) as api:
        results = load("billing", config=config(billing_api_url=api.url))
    assert [(r.entity, r.status, r.rows_loaded) for r in results] == [
        ("invoices", "success", 1),
        ("payments", "success", 1),
    ]
    types = dict(
        query(
            cfg.warehouse_path,
            "select table_name || '.' || column_name, data_type from information_schema.columns"
            " where table_schema = 'raw' and column_name in"
            " ('amount_refunded_cents', 'refunded_at')",
        )
    )
    assert types == {
        "billing_invoices.amount_refunded_cents": "BIGINT",
        "billing_invoices.refunded_at": "TIMESTAMP",
        "billing_payments.amount_refunded_cents": "BIGINT",
        "billing_payments.refunded_at": "TIMESTAMP",
    }
    assert query(
        cfg.warehouse_path,
        "select amount_refunded_cents, cast(refunded_at as varchar) from raw.billing_invoices"
        " order by updated_at",
    ) == [(None, None), (250, "2026-04-30 11:00:00")]
    offered_equals_stored(cfg.warehouse_path)
