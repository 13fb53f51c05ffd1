"""A tiny hand-made raw layer (docs/contracts.md §2) to build the dbt project against.

Small enough to reason about by hand, rich enough to exercise every model: a duplicate user
version, a trial that converts, an upgrade mid-period, a churn and a reactivation, a failed and
retried payment, a partial refund, and a duplicated event. Faults are injected on top of it with
plain SQL.

The expected figures used by the tests are derived in the docstrings of those tests.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

NOW = "2026-03-01 00:00:00"  # the simulated now: days up to 2026-02-28 are complete
LOADED_AT = "2026-02-28 23:00:00"  # the last load, 1 h before now (fresh)

RAW_DDL = """
create schema if not exists raw;
create table raw.app_plans (
    plan_id varchar, plan_name varchar, tier varchar, billing_interval varchar, price_cents bigint,
    currency varchar, is_active boolean, created_at timestamp, updated_at timestamp,
    _load_id varchar, _loaded_at timestamp, _source varchar);
create table raw.app_users (
    user_id bigint, email varchar, country_code varchar, timezone varchar, signup_channel varchar,
    created_at timestamp, updated_at timestamp, deleted_at timestamp,
    _load_id varchar, _loaded_at timestamp, _source varchar);
create table raw.app_subscriptions (
    subscription_id bigint, user_id bigint, plan_id varchar, status varchar,
    trial_start_at timestamp, trial_end_at timestamp, started_at timestamp,
    current_period_start timestamp, current_period_end timestamp, cancel_at_period_end boolean,
    canceled_at timestamp, ended_at timestamp, created_at timestamp, updated_at timestamp,
    _load_id varchar, _loaded_at timestamp, _source varchar);
create table raw.billing_invoices (
    invoice_id varchar, subscription_id bigint, user_id bigint, plan_id varchar, status varchar,
    currency varchar, amount_due_cents bigint, amount_paid_cents bigint,
    amount_refunded_cents bigint, period_start timestamp, period_end timestamp,
    issued_at timestamp, paid_at timestamp, refunded_at timestamp, updated_at timestamp,
    _load_id varchar, _loaded_at timestamp, _source varchar);
create table raw.billing_payments (
    payment_id varchar, invoice_id varchar, user_id bigint, amount_cents bigint,
    amount_refunded_cents bigint, currency varchar, status varchar, failure_code varchar,
    attempted_at timestamp, refunded_at timestamp, updated_at timestamp,
    _load_id varchar, _loaded_at timestamp, _source varchar);
create table raw.events (
    event_id varchar, event_type varchar, user_id bigint, occurred_at timestamp,
    received_at timestamp, platform varchar, app_version varchar, properties json,
    _load_id varchar, _loaded_at timestamp, _source varchar);
create schema if not exists meta;
create table meta.loads (
    load_id varchar, source varchar, entity varchar, strategy varchar, started_at timestamp,
    finished_at timestamp, status varchar, rows_offered bigint, rows_loaded bigint,
    rows_quarantined bigint, cursor_before varchar, cursor_after varchar, message varchar);
"""

L = f"'load_1', timestamp '{LOADED_AT}'"  # _load_id, _loaded_at of the fixture's load

RAW_ROWS = f"""
insert into raw.app_plans values
    ('basic_monthly', 'Basic (monthly)', 'basic', 'month', 500, 'USD', true,
     '2026-01-01', '2026-01-01', {L}, 'app.db:plans'),
    ('basic_annual', 'Basic (annual)', 'basic', 'year', 4800, 'USD', true,
     '2026-01-01', '2026-01-01', {L}, 'app.db:plans'),
    ('pro_monthly', 'Pro (monthly)', 'pro', 'month', 1000, 'USD', true,
     '2026-01-01', '2026-01-01', {L}, 'app.db:plans'),
    ('pro_annual', 'Pro (annual)', 'pro', 'year', 9600, 'USD', true,
     '2026-01-01', '2026-01-01', {L}, 'app.db:plans');

-- user 1 changed email: two versions in the log, the later one wins
insert into raw.app_users values
    (1, 'user1@example.com', 'de', 'Europe/Berlin', 'organic',
     '2026-01-01 08:00', '2026-01-01 08:00', null, {L}, 'app.db:users'),
    (1, 'user1b@example.com', 'de', 'Europe/Berlin', 'organic',
     '2026-01-01 08:00', '2026-01-10 08:00', null, {L}, 'app.db:users'),
    (2, 'user2@example.com', 'US', 'America/New_York', 'paid_search',
     '2026-01-02 09:00', '2026-01-02 09:00', null, {L}, 'app.db:users'),
    (3, 'user3@example.com', 'FR', 'Europe/Paris', 'referral',
     '2026-01-03 10:00', '2026-01-03 10:00', null, {L}, 'app.db:users'),
    (4, 'user4@example.com', 'BR', 'America/Sao_Paulo', 'social',
     '2026-02-20 10:00', '2026-02-20 10:00', null, {L}, 'app.db:users');

-- 100: user 1, basic monthly from Jan 1, upgraded to pro monthly on Feb 10.
-- 101: user 2, pro annual from Jan 2.
-- 102: user 3, 14-day trial from Jan 3, converts to basic monthly on Jan 17, churns Feb 17
--      (payment failed three times -> uncollectible).
-- 103: user 3 comes back on Feb 25 (a new subscription): a reactivation.
insert into raw.app_subscriptions values
    (100, 1, 'pro_monthly', 'active', null, null, '2026-01-01 08:00',
     '2026-02-10 12:00', '2026-03-10 12:00', false, null, null,
     '2026-01-01 08:00', '2026-02-10 12:00', {L}, 'app.db:subscriptions'),
    (101, 2, 'pro_annual', 'active', null, null, '2026-01-02 09:00',
     '2026-01-02 09:00', '2027-01-02 09:00', false, null, null,
     '2026-01-02 09:00', '2026-01-02 09:00', {L}, 'app.db:subscriptions'),
    (102, 3, 'basic_monthly', 'canceled', '2026-01-03 10:00', '2026-01-17 10:00',
     '2026-01-17 10:00', '2026-02-17 10:00', '2026-03-17 10:00', false, null,
     '2026-02-23 10:00', '2026-01-03 10:00', '2026-02-23 10:00', {L}, 'app.db:subscriptions'),
    (103, 3, 'basic_monthly', 'active', null, null, '2026-02-25 10:00',
     '2026-02-25 10:00', '2026-03-25 10:00', false, null, null,
     '2026-02-25 10:00', '2026-02-25 10:00', {L}, 'app.db:subscriptions');

-- in_000000004 (user 1's February basic period, superseded by the Feb 10 upgrade) gets a
-- goodwill partial refund of half its charge on Feb 12: a second version of the invoice and of its
-- payment in the log. A partial refund leaves the subscription alone (MRR unchanged).
insert into raw.billing_invoices values
    ('in_000000001', 100, 1, 'basic_monthly', 'paid', 'usd', 500, 500, 0,
     '2026-01-01 08:00', '2026-02-01 08:00', '2026-01-01 08:00', '2026-01-01 08:05', null,
     '2026-01-01 08:05', {L}, '/v1/invoices?page=1'),
    ('in_000000002', 101, 2, 'pro_annual', 'paid', 'usd', 9600, 9600, 0,
     '2026-01-02 09:00', '2027-01-02 09:00', '2026-01-02 09:00', '2026-01-02 09:05', null,
     '2026-01-02 09:05', {L}, '/v1/invoices?page=1'),
    ('in_000000003', 102, 3, 'basic_monthly', 'paid', 'usd', 500, 500, 0,
     '2026-01-17 10:00', '2026-02-17 10:00', '2026-01-17 10:00', '2026-01-17 10:05', null,
     '2026-01-17 10:05', {L}, '/v1/invoices?page=1'),
    ('in_000000004', 100, 1, 'basic_monthly', 'paid', 'usd', 500, 500, 0,
     '2026-02-01 08:00', '2026-03-01 08:00', '2026-02-01 08:00', '2026-02-01 08:05', null,
     '2026-02-01 08:05', {L}, '/v1/invoices?page=1'),
    ('in_000000004', 100, 1, 'basic_monthly', 'paid', 'usd', 500, 500, 250,
     '2026-02-01 08:00', '2026-03-01 08:00', '2026-02-01 08:00', '2026-02-01 08:05',
     '2026-02-12 15:00', '2026-02-12 15:00', {L}, '/v1/invoices?page=2'),
    ('in_000000005', 100, 1, 'pro_monthly', 'paid', 'usd', 1000, 1000, 0,
     '2026-02-10 12:00', '2026-03-10 12:00', '2026-02-10 12:00', '2026-02-10 12:05', null,
     '2026-02-10 12:05', {L}, '/v1/invoices?page=1'),
    ('in_000000006', 102, 3, 'basic_monthly', 'open', 'usd', 500, 0, 0,
     '2026-02-17 10:00', '2026-03-17 10:00', '2026-02-17 10:00', null, null,
     '2026-02-17 10:00', {L}, '/v1/invoices?page=2'),
    ('in_000000006', 102, 3, 'basic_monthly', 'uncollectible', 'usd', 500, 0, 0,
     '2026-02-17 10:00', '2026-03-17 10:00', '2026-02-17 10:00', null, null,
     '2026-02-23 10:00', {L}, '/v1/invoices?page=2'),
    ('in_000000007', 103, 3, 'basic_monthly', 'paid', 'usd', 500, 500, 0,
     '2026-02-25 10:00', '2026-03-25 10:00', '2026-02-25 10:00', '2026-02-25 10:05', null,
     '2026-02-25 10:05', {L}, '/v1/invoices?page=2');

insert into raw.billing_payments values
    ('py_000000001', 'in_000000001', 1, 500, 0, 'usd', 'succeeded', null,
     '2026-01-01 08:05', null, '2026-01-01 08:05', {L}, '/v1/payments?page=1'),
    ('py_000000002', 'in_000000002', 2, 9600, 0, 'usd', 'succeeded', null,
     '2026-01-02 09:05', null, '2026-01-02 09:05', {L}, '/v1/payments?page=1'),
    ('py_000000003', 'in_000000003', 3, 500, 0, 'usd', 'succeeded', null,
     '2026-01-17 10:05', null, '2026-01-17 10:05', {L}, '/v1/payments?page=1'),
    ('py_000000004', 'in_000000004', 1, 500, 0, 'usd', 'succeeded', null,
     '2026-02-01 08:05', null, '2026-02-01 08:05', {L}, '/v1/payments?page=1'),
    ('py_000000004', 'in_000000004', 1, 500, 250, 'usd', 'refunded', null,
     '2026-02-01 08:05', '2026-02-12 15:00', '2026-02-12 15:00', {L}, '/v1/payments?page=2'),
    ('py_000000005', 'in_000000005', 1, 1000, 0, 'usd', 'succeeded', null,
     '2026-02-10 12:05', null, '2026-02-10 12:05', {L}, '/v1/payments?page=1'),
    ('py_000000006', 'in_000000006', 3, 500, 0, 'usd', 'failed', 'card_declined',
     '2026-02-17 10:05', null, '2026-02-17 10:05', {L}, '/v1/payments?page=2'),
    ('py_000000007', 'in_000000006', 3, 500, 0, 'usd', 'failed', 'card_declined',
     '2026-02-20 10:05', null, '2026-02-20 10:05', {L}, '/v1/payments?page=2'),
    ('py_000000008', 'in_000000006', 3, 500, 0, 'usd', 'failed', 'expired_card',
     '2026-02-23 10:05', null, '2026-02-23 10:05', {L}, '/v1/payments?page=2'),
    ('py_000000009', 'in_000000007', 3, 500, 0, 'usd', 'succeeded', null,
     '2026-02-25 10:05', null, '2026-02-25 10:05', {L}, '/v1/payments?page=2');

-- user 1 activates (plant day 0, reminder day 2); user 2 adds a plant only; user 3 completes a
-- reminder only after day 7. Event e02 arrives twice (a re-sent file).
insert into raw.events values
    ('{"e01":0}', 'app_opened', 1, '2026-01-01 08:10', '2026-01-01 08:11', 'ios', '3.4.1', '{{}}', {L}, 'events/date=2026-01-01/a.jsonl:1'),
    ('{"e02":0}', 'plant_added', 1, '2026-01-01 08:12', '2026-01-01 08:13', 'ios', '3.4.1', '{{}}', {L}, 'events/date=2026-01-01/a.jsonl:2'),
    ('{"e02":0}', 'plant_added', 1, '2026-01-01 08:12', '2026-01-01 08:13', 'ios', '3.4.1', '{{}}', {L}, 'events/date=2026-01-02/b.jsonl:1'),
    ('{"e03":0}', 'reminder_completed', 1, '2026-01-03 07:00', '2026-01-03 07:01', 'ios', '3.4.1', '{{}}', {L}, 'events/date=2026-01-03/a.jsonl:1'),
    ('{"e04":0}', 'plant_added', 2, '2026-01-02 09:30', '2026-01-02 09:31', 'android', '3.4.1', '{{}}', {L}, 'events/date=2026-01-02/a.jsonl:1'),
    ('{"e05":0}', 'reminder_sent', 2, '2026-01-05 09:30', '2026-01-05 09:31', 'android', '3.4.1', '{{}}', {L}, 'events/date=2026-01-05/a.jsonl:1'),
    ('{"e06":0}', 'app_opened', 3, '2026-01-03 10:10', '2026-01-03 10:11', 'web', '3.4.1', '{{}}', {L}, 'events/date=2026-01-03/a.jsonl:2'),
    ('{"e07":0}', 'plant_added', 3, '2026-01-03 10:20', '2026-01-03 10:21', 'web', '3.4.1', '{{}}', {L}, 'events/date=2026-01-03/a.jsonl:3'),
    ('{"e08":0}', 'reminder_completed', 3, '2026-01-12 10:20', '2026-01-12 10:21', 'web', '3.4.1', '{{}}', {L}, 'events/date=2026-01-12/a.jsonl:1'),
    ('{"e09":0}', 'app_opened', 1, '2026-02-02 08:00', '2026-02-02 08:01', 'ios', '3.4.1', '{{}}', {L}, 'events/date=2026-02-02/a.jsonl:1'),
    ('{"e10":0}', 'app_opened', 3, '2026-02-26 08:00', '2026-02-26 08:01', 'web', '3.4.1', '{{}}', {L}, 'events/date=2026-02-26/a.jsonl:1'),
    ('{"e11":0}', 'app_opened', 4, '2026-02-28 12:00', '2026-02-28 12:01', 'android', '3.4.1', '{{}}', {L}, 'events/date=2026-02-28/a.jsonl:1');
update raw.events set event_id = md5(event_id);

-- meta.loads: the last load of every app/billing entity (their freshness reads it)
insert into meta.loads
select 'load_1', source, entity, 'incremental', timestamp '{LOADED_AT}' - interval 1 minute,
       timestamp '{LOADED_AT}', 'success', 0, 0, 0, null, null, null
from (values ('app', 'plans'), ('app', 'users'), ('app', 'subscriptions'),
             ('billing', 'invoices'), ('billing', 'payments')) as entities (source, entity);
"""


def create_raw_layer(warehouse: Path) -> None:
    """Create ``raw.*`` with the contract's columns and the fixture's rows in ``warehouse``."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(RAW_DDL)
        con.execute(RAW_ROWS)
