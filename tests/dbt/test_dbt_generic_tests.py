"""The project's own generic tests fail on the data they exist to catch (and pass otherwise)."""

from __future__ import annotations

from dbt_helpers import Project

SELECT = ("stg_events__events", "stg_billing__invoices", "int_subscriptions_mrr_daily")


def test_custom_generic_tests_catch_bad_data(project: Project) -> None:
    project.sql("delete from raw.events")  # an empty feed
    project.sql(  # a period that ends before it starts
        "update raw.billing_invoices set period_end = period_start - interval 1 day"
        " where invoice_id = 'in_000000003'"
    )
    project.dbt("build", "--select", *SELECT, "--exclude", "test_name:relationships")
    assert project.status("test.sproutly.at_least_one_stg_events__events_event_id") == "fail"
    assert (
        project.status("test.sproutly.expression_is_true_stg_billing__invoices_period_end_at")
        == "fail"
    )
    assert project.status("model.sproutly.int_subscriptions_mrr_daily") == "skipped"


def test_unique_combination_catches_a_duplicate_key(project: Project) -> None:
    """Two copies of one subscription-day in the spine fail the composite-key test."""
    project.sql(
        "insert into intermediate.int_subscriptions_mrr_daily"
        " select * from intermediate.int_subscriptions_mrr_daily limit 1"
    )
    project.dbt("test", "--select", "int_subscriptions_mrr_daily,test_name:unique_combination")
    assert project.status("test.sproutly.unique_combination_int_subscriptions_mrr_daily_") == "fail"
