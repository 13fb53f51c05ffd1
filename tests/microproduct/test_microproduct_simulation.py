"""The generator: determinism, path independence, scale, integrity, lifecycle, formats, DST."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from mp_helpers import event_files, query, read_events, table

from microproduct import Simulation
from sproutly import clock

APP_TS = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
API_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
LOCAL_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")
EVENT_KEYS = {
    "app_version",
    "event_id",
    "event_type",
    "occurred_at",
    "platform",
    "properties",
    "received_at",
    "user_id",
}


def all_files(root) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def contents(sim: Simulation) -> dict:
    """Table contents and event files: what path independence must preserve."""
    tables = {
        name: table(sim.paths.app_db, name) for name in ("plans", "users", "subscriptions")
    } | {name: table(sim.paths.billing_db, name) for name in ("invoices", "payments")}
    files = {
        str(p.relative_to(sim.paths.sources)): p.read_bytes()
        for p in sorted(sim.paths.sources.rglob("*.jsonl"))
    }
    return {"tables": tables, "files": files, "state": sim.state()}


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# ------------------------------------------------------------------------------------ determinism
def test_same_inputs_give_byte_identical_files(tmp_path):
    faults = {"duplicate_events": {"rate": 0.05}, "late_files": {"rate": 0.3}}
    first = Simulation(tmp_path / "a", seed=3, scale=0.1, progress=False)
    second = Simulation(tmp_path / "b", seed=3, scale=0.1, progress=False)
    first.init(days=25, faults=faults)
    second.init(days=25, faults=faults)
    files_a, files_b = all_files(tmp_path / "a"), all_files(tmp_path / "b")
    assert "sources/app.db" in files_a and "sources/billing.db" in files_a
    assert len(files_a) > 20
    assert files_a == files_b
    other = Simulation(tmp_path / "c", seed=4, scale=0.1, progress=False)
    other.init(days=25, faults=faults)
    assert all_files(tmp_path / "c")["sources/app.db"] != files_a["sources/app.db"]


def test_path_independence(tmp_path):
    """Stopping and resuming (from a new process) changes nothing: every day is a resume point."""
    faults = {"duplicate_events": {"rate": 0.05}, "late_files": {"rate": 0.3, "delay_days": 2}}
    whole = Simulation(tmp_path / "whole", seed=5, scale=0.4, progress=False)
    whole.init(days=50, faults=faults)
    pieces = Simulation(tmp_path / "pieces", seed=5, scale=0.4, progress=False)
    pieces.init(days=30, faults=faults)
    pieces.advance(2)
    for _ in range(18):
        Simulation(tmp_path / "pieces", progress=False).advance(1)  # a fresh object each time
    a, b = contents(whole), contents(pieces)
    assert a["tables"]["subscriptions"] and a["tables"]["payments"]
    assert a == b
    assert (tmp_path / "whole/clock.json").read_text() == (
        tmp_path / "pieces/clock.json"
    ).read_text()


def test_scale_is_roughly_linear(tmp_path):
    small = Simulation(tmp_path / "s", seed=1, scale=0.2, progress=False)
    large = Simulation(tmp_path / "l", seed=1, scale=0.6, progress=False)
    s, l_ = small.init(days=30), large.init(days=30)
    assert 2.2 < l_.rows["users"] / s.rows["users"] < 3.8
    assert 2.2 < l_.events_written / s.events_written < 3.8


def test_tiny_scale_works(tmp_path):
    summary = Simulation(tmp_path, seed=42, scale=0.02, progress=False).init(days=5)
    assert summary.rows["plans"] == 4
    assert summary.clock == "2026-01-06 00:00:00"


def test_clock_file_and_state(tmp_path, monkeypatch):
    monkeypatch.setenv("SPROUTLY_DATA_DIR", str(tmp_path))
    sim = Simulation(seed=9, scale=0.05, progress=False)  # default paths follow the env var
    sim.init(days=3)
    assert clock.read_clock_file() == {
        "now": "2026-01-04 00:00:00",
        "day": 3,
        "seed": 9,
        "scale": 0.05,
        "start_date": "2026-01-01",
    }
    assert clock.now() == datetime(2026, 1, 4)
    Simulation(seed=1, scale=5.0, progress=False).advance(2)  # stored seed/scale win
    assert clock.read_clock_file()["day"] == 5 and clock.read_clock_file()["seed"] == 9
    assert (tmp_path / "sources/state.json").exists()


def test_default_init_reaches_2026_05_01_with_course_volumes(world):
    # the session world is 100 days at scale 1; check the calendar arithmetic of the default
    assert world.status()["clock"] == "2026-04-11 00:00:00"
    rows = world.status()["rows"]
    assert 2_400 < rows["users"] < 4_000
    assert 80_000 < world.status()["event_lines"] < 200_000


def test_no_progress_bar_in_captured_output(tmp_path, capsys):
    Simulation(tmp_path, scale=0.02).init(days=3)
    captured = capsys.readouterr()
    assert "simulating" not in captured.err and captured.out == ""


# ------------------------------------------------------------------------------------ integrity
def test_referential_integrity(world):
    app, billing = world.paths.app_db, world.paths.billing_db
    users = {r[0] for r in query(app, "select user_id from users")}
    plans = {r[0] for r in query(app, "select plan_id from plans")}
    subs = dict(query(app, "select subscription_id, user_id from subscriptions"))
    assert set(subs.values()) <= users
    assert {r[0] for r in query(app, "select plan_id from subscriptions")} <= plans
    invoices = query(billing, "select invoice_id, subscription_id, user_id, plan_id from invoices")
    assert invoices
    for _, sub_id, user_id, plan_id in invoices:
        assert subs[sub_id] == user_id and plan_id in plans
    invoice_users = {r[0]: r[2] for r in invoices}
    for _, invoice_id, user_id in query(
        billing, "select payment_id, invoice_id, user_id from payments"
    ):
        assert invoice_users[invoice_id] == user_id
    assert {e["user_id"] for e in read_events(world)} <= users


def test_user_ids_and_emails(world):
    rows = query(world.paths.app_db, "select user_id, email, created_at, updated_at from users")
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
    assert sum(r[1] == f"user{r[0]}@example.com" for r in rows) > 0.9 * len(rows)
    assert all(r[3] >= r[2] for r in rows)


# ------------------------------------------------------------------------------------ lifecycle
def test_lifecycle_sanity(world):
    now = "2026-04-11 00:00:00"
    subs = query(
        world.paths.app_db,
        "select subscription_id, user_id, status, trial_start_at, trial_end_at, started_at, "
        "current_period_start, current_period_end, canceled_at, ended_at, created_at, updated_at "
        "from subscriptions",
    )
    live_per_user = Counter()
    for (
        sid,
        uid,
        status,
        t_start,
        t_end,
        started,
        p_start,
        p_end,
        canceled,
        ended,
        created,
        upd,
    ) in subs:
        assert (status == "canceled") == (ended is not None), sid
        assert created <= upd < now
        if ended is not None:
            assert ended < now and ended >= created
        else:
            live_per_user[uid] += 1
        if status == "trialing":
            assert t_end > now and started is None
        if status in ("active", "past_due"):
            assert started is not None and p_start <= now < p_end, sid
        if t_start is not None:
            assert t_end > t_start
        if canceled is not None:
            assert canceled >= created
    assert max(live_per_user.values()) == 1


def test_every_lifecycle_path_occurs(world):
    app, billing = world.paths.app_db, world.paths.billing_db
    statuses = dict(query(app, "select status, count(*) from subscriptions group by 1"))
    assert statuses.keys() >= {"trialing", "active", "canceled"}
    assert query(app, "select count(*) from subscriptions where trial_start_at is null")[0][0] > 0
    involuntary = query(
        app, "select count(*) from subscriptions where ended_at is not null and canceled_at is null"
    )[0][0]
    assert involuntary > 0
    reactivated = query(
        app,
        "select count(*) from (select user_id from subscriptions group by 1 having count(*) > 1)",
    )[0][0]
    assert reactivated > 0
    assert query(app, "select count(*) from users where deleted_at is not null")[0][0] > 0
    assert (
        query(
            app, "select count(*) from users where updated_at > created_at and deleted_at is null"
        )[0][0]
        > 0
    )
    invoice_statuses = {r[0] for r in query(billing, "select distinct status from invoices")}
    assert {"paid", "uncollectible", "void"} <= invoice_statuses
    payment_statuses = {r[0] for r in query(billing, "select distinct status from payments")}
    assert payment_statuses == {"succeeded", "failed", "refunded"}
    # an upgrade or downgrade: one subscription billed on two plans
    assert (
        query(
            billing,
            "select count(*) from (select subscription_id from invoices group by 1 "
            "having count(distinct plan_id) > 1)",
        )[0][0]
        > 0
    )
    # the price change: pro_monthly billed at the old and the new price, the plan row bumped
    prices = {
        r[0]
        for r in query(
            billing, "select amount_due_cents from invoices where plan_id = 'pro_monthly'"
        )
    }
    assert {999, 1099} <= prices
    assert query(
        app, "select price_cents, updated_at from plans where plan_id = 'pro_monthly'"
    ) == [(1099, "2026-03-02 00:00:00")]


def test_failed_payments_are_retried_three_days_later(world):
    rows = query(
        world.paths.billing_db,
        "select invoice_id, status, attempted_at from payments order by invoice_id, payment_id",
    )
    by_invoice: dict[str, list] = {}
    for invoice_id, status, attempted in rows:
        by_invoice.setdefault(invoice_id, []).append((status, parse(attempted)))
    retried = [p for p in by_invoice.values() if len(p) > 1]
    assert retried
    for attempts in by_invoice.values():
        assert len(attempts) <= 3
        assert all(s == "failed" for s, _ in attempts[:-1])
        for (_, a), (_, b) in zip(attempts, attempts[1:], strict=False):
            assert (b - a).days == 3
    uncollectible = query(
        world.paths.billing_db,
        "select invoice_id from invoices where status = 'uncollectible'",
    )
    assert all(len(by_invoice[i]) == 3 for (i,) in uncollectible)


def test_refunds_are_recorded_on_the_payment_and_its_invoice(world):
    billing, app = world.paths.billing_db, world.paths.app_db
    refunds = query(
        billing,
        "select p.payment_id, p.amount_cents, p.amount_refunded_cents, p.attempted_at,"
        " p.refunded_at, i.status, i.amount_paid_cents, i.amount_refunded_cents, i.refunded_at,"
        " i.updated_at, i.subscription_id, i.period_start"
        " from payments p join invoices i using (invoice_id) where p.status = 'refunded'",
    )
    assert refunds
    canceled_by_refund = 0
    for (
        _,
        amount,
        refunded,
        attempted,
        refunded_at,
        status,
        paid,
        invoice_refunded,
        invoice_refunded_at,
        updated,
        sub_id,
        period_start,
    ) in refunds:
        assert status == "paid" and paid == amount  # the invoice stays paid, like Stripe's
        assert 0 < refunded <= amount and invoice_refunded == refunded
        assert invoice_refunded_at == refunded_at and attempted < refunded_at <= updated
        assert (parse(refunded_at) - parse(attempted)).days <= 14
        (sub,) = query(
            app,
            "select canceled_at, cancel_at_period_end, current_period_start, status"
            " from subscriptions where subscription_id = ?",
            sub_id,
        )
        if sub[0] is not None and sub[0].replace(" ", "T") + "Z" == refunded_at:
            assert refunded == amount and sub[1] == 1  # a full refund cancels the renewal
            canceled_by_refund += 1
        elif (
            refunded == amount
            and sub[3] == "active"
            and sub[2] == period_start.replace("T", " ")[:19]
        ):
            assert sub[1] == 1  # canceled before the refund: still not renewing
    assert canceled_by_refund > 0
    # nothing refunded elsewhere
    assert query(
        billing,
        "select count(*) from payments where status <> 'refunded'"
        " and (amount_refunded_cents <> 0 or refunded_at is not null)",
    ) == [(0,)]
    assert query(
        billing,
        "select count(*) from invoices where invoice_id not in"
        " (select invoice_id from payments where status = 'refunded')"
        " and (amount_refunded_cents <> 0 or refunded_at is not null)",
    ) == [(0,)]
    # plausible: a few percent of the payments that went through
    rate = query(
        billing,
        "select avg(status = 'refunded') from payments where status in ('succeeded', 'refunded')",
    )[0][0]
    assert 0.003 < rate < 0.05


def test_event_lifecycle_agrees_with_app_db(world):
    from_events = set()
    for e in read_events(world):
        if e["event_type"] in ("trial_started", "subscription_started", "subscription_canceled"):
            moment = parse(e["occurred_at"]).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
            from_events.add(
                (e["properties"]["subscription_id"], e["event_type"], moment, e["user_id"])
            )
    from_db = set()
    for sid, uid, trial, started, canceled in query(
        world.paths.app_db,
        "select subscription_id, user_id, trial_start_at, started_at, canceled_at from subscriptions",
    ):
        for kind, moment in (
            ("trial_started", trial),
            ("subscription_started", started),
            ("subscription_canceled", canceled),
        ):
            if moment is not None:
                from_db.add((sid, kind, moment, uid))
    assert len(from_db) > 100
    assert from_events == from_db


# ------------------------------------------------------------------------------------ formats
def test_source_formats(world):
    app, billing = world.paths.app_db, world.paths.billing_db
    for ts in query(app, "select created_at, updated_at from users limit 200"):
        assert all(APP_TS.match(v) for v in ts)
    for row in query(
        billing, "select issued_at, period_start, period_end, updated_at from invoices"
    ):
        assert all(API_TS.match(v) for v in row)
    assert all(
        re.fullmatch(r"in_\d{9}", r[0]) for r in query(billing, "select invoice_id from invoices")
    )
    assert all(
        re.fullmatch(r"py_\d{9}", r[0]) for r in query(billing, "select payment_id from payments")
    )


def test_event_lines_follow_the_contract(world):
    files = event_files(world)
    assert files and all(re.fullmatch(r"events-\d{3}\.jsonl", p.name) for p in files)
    assert not list(world.paths.events.rglob(".*"))  # atomic writes leave no temporary files
    seen = set()
    for path in files[::7]:
        previous = ""
        for line in path.read_text().splitlines():
            record = json.loads(line)
            assert line == json.dumps(record, sort_keys=True, separators=(",", ":"))
            assert set(record) == EVENT_KEYS
            assert re.fullmatch(r"[0-9a-f]{32}", record["event_id"])
            assert LOCAL_TS.match(record["occurred_at"]) and API_TS.match(record["received_at"])
            assert isinstance(record["user_id"], int) and record["platform"] in (
                "ios",
                "android",
                "web",
            )
            assert parse(record["occurred_at"]) <= parse(record["received_at"])
            assert record["received_at"][:10] == path.parent.name.removeprefix("date=")
            assert record["received_at"] >= previous
            previous = record["received_at"]
            seen.add(record["event_type"])
    assert len(seen) == 9


def test_dst_offsets_are_real(world):
    zones = dict(
        query(
            world.paths.app_db, "select user_id, timezone from users where updated_at = created_at"
        )
    )
    berlin_offsets, checked = set(), 0
    for e in read_events(world):
        zone = zones.get(e["user_id"])
        if zone is None:
            continue
        local = datetime.fromisoformat(e["occurred_at"])
        expected = local.astimezone(UTC).astimezone(ZoneInfo(zone)).utcoffset()
        assert local.utcoffset() == expected, e
        checked += 1
        if zone == "Europe/Berlin":
            berlin_offsets.add(
                (
                    local.astimezone(UTC) >= datetime(2026, 3, 29, 1, tzinfo=UTC),
                    local.strftime("%z"),
                )
            )
    assert checked > 10_000
    assert berlin_offsets == {(False, "+0100"), (True, "+0200")}


def test_signups_grow_and_have_weekday_seasonality(world):
    per_day = dict(
        query(
            world.paths.app_db, "select substr(created_at, 1, 10), count(*) from users group by 1"
        )
    )
    first, last = sum(list(per_day.values())[:20]), sum(list(per_day.values())[-20:])
    assert last > 1.4 * first
    weekday = Counter()
    for day, count in per_day.items():
        weekday[datetime.fromisoformat(day).weekday() >= 5] += count
    assert weekday[True] / 2 > weekday[False] / 5  # weekend days are busier


@pytest.mark.parametrize("days", [0])
def test_init_zero_days_has_plans_only(tmp_path, days):
    summary = Simulation(tmp_path, scale=0.1, progress=False).init(days=days)
    assert summary.rows == {}
    assert query(Simulation(tmp_path).paths.app_db, "select count(*) from plans") == [(4,)]
    assert clock.read_clock_file(tmp_path / "clock.json")["now"] == "2026-01-01 00:00:00"
