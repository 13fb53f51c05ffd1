"""faults.md row 6 (out-of-range values): tests with warn/error thresholds, at each boundary.

- invoice amounts: `accepted_range(min_value=0)` at error severity: 0 passes, -1 cent fails.
- sign-up times: `not_in_future` at error severity: exactly now passes, 1 s later fails.
- event times: `not_in_future(tolerance_hours=1)` with `warn_if: >0, error_if: >100`: events
  exactly 1 h ahead of now pass, 1 h + 1 s ahead warn; 100 such events warn, 101 fail.

The three tests are independent, so one `dbt build` checks one boundary of each at once.
"""

from __future__ import annotations

import pytest
from dbt_helpers import Project
from dbt_raw_fixture import NOW

SELECT = ("stg_billing__invoices", "stg_app__users", "stg_events__events")
AMOUNT = "test.sproutly.accepted_range_stg_billing__invoices_amount_due_cents"
SIGNUP = "test.sproutly.not_in_future_stg_app__users_signed_up_at"
EVENT = "test.sproutly.not_in_future_stg_events__events_occurred_at"


@pytest.mark.parametrize(
    ("amount_due_cents", "signed_up_at", "future_events", "ahead", "expected"),
    [
        (0, NOW, 1, "interval 1 hour", {AMOUNT: "pass", SIGNUP: "pass", EVENT: "pass"}),
        (
            -1,
            "2026-03-01 00:00:01",
            1,
            "interval 1 hour + interval 1 second",
            {AMOUNT: "fail", SIGNUP: "fail", EVENT: "warn"},
        ),
        (0, NOW, 100, "interval 2 hour", {EVENT: "warn"}),
        (0, NOW, 101, "interval 2 hour", {EVENT: "fail"}),
    ],
    ids=["at-bounds", "just-past-bounds", "100-future-events", "101-future-events"],
)
def test_range_boundaries(
    project: Project,
    amount_due_cents: int,
    signed_up_at: str,
    future_events: int,
    ahead: str,
    expected: dict[str, str],
) -> None:
    project.sql(
        f"update raw.billing_invoices set amount_due_cents = {amount_due_cents},"
        " amount_paid_cents = 0 where invoice_id = 'in_000000001'"
    )
    project.sql(f"update raw.app_users set created_at = '{signed_up_at}' where user_id = 4")
    project.sql(
        "insert into raw.events select md5('future' || i), 'app_opened', 1,"
        f" timestamp '{NOW}' + {ahead}, timestamp '{NOW}', 'ios', '3.4.1', '{{}}', 'load_2',"
        f" timestamp '{NOW}', 'events/future.jsonl:' || i from range({future_events}) as t(i)"
    )

    project.dbt("build", "--select", *SELECT)

    assert {test: project.status(test) for test in expected} == expected
