"""Every check passes on a right answer and fails, with a helpful message, on a wrong one."""

from __future__ import annotations

import pandas as pd
import pytest

from workbook import checks, upgrade_triggers

REFERENCE = pd.DataFrame(
    {"plan_id": ["a", "b", "c"], "price": [1.0, 2.5, 3.0], "tier": ["x", "y", None]}
)


def test_answered_and_equal() -> None:
    checks.equal(3, 3)
    with pytest.raises(AssertionError, match="answer is still None.\nHint: replace None"):
        checks.equal(None, 3, what="answer")
    with pytest.raises(AssertionError, match="the count is 2, expected 3"):
        checks.equal(2, 3, what="the count")


def test_close() -> None:
    checks.close(0.1 + 0.2, 0.3)
    checks.close(10.4, 10.0, abs_tol=0.5)
    with pytest.raises(AssertionError, match="expected about 10.0"):
        checks.close(11.0, 10.0)


def test_columns() -> None:
    checks.columns(REFERENCE, ["plan_id", "tier"])
    with pytest.raises(AssertionError, match="missing column\\(s\\): amount"):
        checks.columns(REFERENCE, ["plan_id", "amount"])
    with pytest.raises(AssertionError, match="unexpected column\\(s\\): tier"):
        checks.columns(REFERENCE, ["plan_id", "price"], exact=True)


def test_same_rows_passes_in_any_order() -> None:
    checks.same_rows(REFERENCE.iloc[::-1].reset_index(drop=True), REFERENCE, key="plan_id")


@pytest.mark.parametrize(
    ("actual", "message"),
    [
        (REFERENCE.iloc[:2], "2 rows, expected 3; missing keys: 'c'"),
        (
            pd.concat([REFERENCE, REFERENCE.iloc[:1]]),
            "key \\['plan_id'\\] is not unique in your result: \\('a',\\)",
        ),
        (REFERENCE.assign(price=[1.0, 2.5, 300.0]), "column 'price' differs in 1 of 3 rows"),
        (REFERENCE.assign(tier=["x", "y", "z"]), "column 'tier' differs in 1 of 3 rows"),
        (REFERENCE.drop(columns="tier"), "missing column\\(s\\): tier"),
        (None, "the result is still None"),
    ],
)
def test_same_rows_fails(actual: pd.DataFrame | None, message: str) -> None:
    with pytest.raises(AssertionError, match=message):
        checks.same_rows(actual, REFERENCE, key="plan_id")


def test_trigger_report() -> None:
    expected = {"fired": ["run_minutes"], "verdict": "warehouse-first"}
    checks.trigger_report(
        upgrade_triggers(run_minutes=35, data_gb=5, concurrent_users=2), **expected
    )
    wrong = upgrade_triggers(run_minutes=25, data_gb=5, concurrent_users=2)
    with pytest.raises(
        AssertionError, match="run duration is 'watch' \\(you passed 25 min\\), expected 'fire'"
    ):
        checks.trigger_report(wrong, **expected)
    with pytest.raises(AssertionError, match="your assessment is still None"):
        checks.trigger_report(None, **expected)
