"""The whole project builds on the hand-made raw layer, and its figures are the hand-derived ones."""

from __future__ import annotations

from decimal import Decimal

from dbt_helpers import Project

from sproutly import dbt as sproutly_dbt


def test_fixture_build_passes_every_node(project: Project) -> None:
    """The session build succeeded; its warehouse holds every mart and the snapshot."""
    tables = {
        row[0]
        for row in project.sql(
            "select table_schema || '.' || table_name from information_schema.tables"
        )
    }
    expected = {
        "marts.dim_users",
        "marts.dim_plans",
        "marts.fct_subscriptions",
        "marts.fct_invoices",
        "marts.fct_payments",
        "marts.fct_mrr_daily",
        "marts.fct_active_users_daily",
        "marts.fct_retention_cohorts",
        "marts.metrics_daily",
        "snapshots.snap_app__subscriptions",
        "intermediate.int_events_deduped",
    }
    assert expected <= tables, expected - tables


def test_mrr_matches_hand_derivation(project: Project) -> None:
    """By hand (dbt_raw_fixture.py): Feb 28 = user 1 pro monthly 10 + user 2 pro annual 96/12 = 8 +
    user 3 back on basic monthly 5 = 23. Movements over the period: new 5 + 8 + 5, expansion 5
    (Feb 10 upgrade), churn -5 (Feb 23), reactivation 5 (Feb 25) -> 23."""
    last = project.sql(
        "select mrr, arr from marts.metrics_daily where date_day = date '2026-02-28'"
    )[0]
    assert last == (Decimal("23.0000"), Decimal("276.0000"))
    sums = project.sql(
        "select sum(new_mrr), sum(expansion_mrr), sum(contraction_mrr), sum(churned_mrr),"
        " sum(reactivation_mrr) from marts.fct_mrr_daily"
    )[0]
    assert sums == (Decimal(18), Decimal(5), Decimal(0), Decimal(-5), Decimal(5))
    churn_day = project.sql("select date_day from marts.fct_mrr_daily where churned_mrr != 0")
    assert [str(row[0]) for row in churn_day] == ["2026-02-23"]


def test_revenue_matches_hand_derivation(project: Project) -> None:
    """By hand (dbt_raw_fixture.py): gross = invoices paid 5 (Jan 1) + 96 (Jan 2) + 5 (Jan 17) +
    5 (Feb 1) + 10 (Feb 10) + 5 (Feb 25) = 126; in_000000004 is refunded 2.50 on Feb 12 (not on
    Feb 1, its charge day), a day with no payment: net -2.50. Net over all days 123.50. The
    partial refund leaves MRR alone (test_mrr_matches_hand_derivation)."""
    totals = project.sql(
        "select sum(gross_revenue), sum(refunded_revenue), sum(net_revenue) from marts.metrics_daily"
    )[0]
    assert totals == (Decimal("126.00"), Decimal("2.50"), Decimal("123.50"))
    refund_days = project.sql(
        "select date_day, gross_revenue, refunded_revenue, net_revenue from marts.metrics_daily"
        " where refunded_revenue != 0"
    )
    assert [(str(d), g, r, n) for d, g, r, n in refund_days] == [
        ("2026-02-12", Decimal("0.00"), Decimal("2.50"), Decimal("-2.50"))
    ]
    invoice = project.sql(
        "select amount_paid, amount_refunded, amount_net, is_refunded, is_fully_refunded,"
        " refunded_date from marts.fct_invoices where invoice_id = 'in_000000004'"
    )[0]
    assert invoice[:5] == (Decimal("5.00"), Decimal("2.50"), Decimal("2.50"), True, False)
    assert str(invoice[5]) == "2026-02-12"
    payments = project.sql(
        "select payment_status, amount_paid, amount_refunded, amount_net from marts.fct_payments"
        " where payment_id in ('py_000000004', 'py_000000006') order by payment_id"
    )
    assert payments == [
        ("refunded", Decimal("5.00"), Decimal("2.50"), Decimal("2.50")),
        ("failed", Decimal("0.00"), Decimal("0.00"), Decimal("0.00")),
    ]


def test_refund_columns_loaded_before_they_existed_read_as_no_refund(project: Project) -> None:
    """Raw rows loaded before the refund columns were declared read NULL (docs/contracts.md §2):
    staging reads no refund on an invoice, and a full refund on a `refunded` payment (every refund
    was full then)."""
    project.sql("update raw.billing_invoices set amount_refunded_cents = null")
    project.sql("update raw.billing_invoices set refunded_at = null")
    project.sql("update raw.billing_payments set amount_refunded_cents = null")
    result = project.dbt("build", "--select", "stg_billing__invoices", "stg_billing__payments")
    assert result.success, project.statuses()
    assert project.scalar("select sum(amount_refunded) from staging.stg_billing__invoices") == 0
    assert project.sql(
        "select payment_id, amount_refunded_cents from staging.stg_billing__payments"
        " where amount_refunded_cents != 0"
    ) == [("py_000000004", 500)]


def test_activation_dedup_and_activity(project: Project) -> None:
    """User 1 activates (plant day 0, reminder day 2); user 3's reminder came after 7 days.
    Event e02 was delivered twice and counts once. Feb 28: user 4 opened the app (dau 1); in the
    30 days to Feb 28 users 1 (Feb 2), 3 (Feb 26) and 4 were active (mau 3)."""
    activated = project.sql("select user_id from marts.dim_users where is_activated")
    assert activated == [(1,)]
    assert project.scalar("select count(*) from raw.events") == 12
    assert project.scalar("select count(*) from intermediate.int_events_deduped") == 11
    row = project.sql(
        "select dau, wau, mau from marts.fct_active_users_daily where date_day = '2026-02-28'"
    )[0]
    assert row == (1, 2, 3)


def test_staging_keeps_latest_version(project: Project) -> None:
    """user 1 has two versions in raw; staging keeps the later email."""
    assert project.sql("select email from staging.stg_app__users where user_id = 1") == [
        ("user1b@example.com",)
    ]


def test_every_model_states_its_grain_and_every_mart_is_contracted(project: Project) -> None:
    manifest = sproutly_dbt.manifest()
    nodes = [n for n in manifest["nodes"].values() if n["resource_type"] in ("model", "snapshot")]
    assert len(nodes) == 25  # dim_users counts twice: v1 and v2
    no_grain = [n["name"] for n in nodes if "grain:" not in n["description"].lower()]
    assert no_grain == []
    marts = [n for n in nodes if n["resource_type"] == "model" and n["fqn"][1] == "marts"]
    assert len(marts) == 10
    assert [n["name"] for n in marts if not n["config"]["contract"]["enforced"]] == []
    tested = {
        dep
        for n in manifest["nodes"].values()
        if n["resource_type"] == "test"
        for dep in n["depends_on"]["nodes"]
    }
    assert [n["name"] for n in nodes if n["unique_id"] not in tested] == []
