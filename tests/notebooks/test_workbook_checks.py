"""Every check passes on a right answer and fails, with a helpful message, on a wrong one, and
no failure message holds the expected value."""

from __future__ import annotations

import json
from pathlib import Path

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
    with pytest.raises(AssertionError, match="the count is 2: not the expected value") as info:
        checks.equal(2, 3, what="the count")
    assert "3" not in str(info.value)
    with pytest.raises(AssertionError, match=r"is 80: not the expected value \(too low by more"):
        checks.equal(80, 90, what="referrals")
    with pytest.raises(AssertionError, match=r"is 91: not the expected value \(too high\)\.$"):
        checks.equal(91, 90, what="referrals")
    with pytest.raises(AssertionError) as info:
        checks.equal("app_users-7", "app_users-12", what="the load")
    assert "app_users-12" not in str(info.value)


def test_close() -> None:
    checks.close(0.1 + 0.2, 0.3)
    checks.close(10.4, 10.0, abs_tol=0.5)
    with pytest.raises(AssertionError, match=r"is 14.0: not the expected value \(too high by") as e:
        checks.close(14.0, 11.0)
    assert "11" not in str(e.value)


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
        (REFERENCE.iloc[:2], "your result has 2 rows; missing keys: 'c'"),
        (
            pd.concat([REFERENCE, REFERENCE.iloc[:1]]),
            "key \\['plan_id'\\] is not unique in your result: \\('a',\\)",
        ),
        (
            REFERENCE.assign(price=[1.0, 2.5, 300.0]),
            "column 'price' is wrong in 1 of 3 rows; e.g. key 'c': yours is 300.0 \\(too high",
        ),
        (REFERENCE.assign(tier=["x", "y", "z"]), "column 'tier' is wrong in 1 of 3 rows"),
        (REFERENCE.drop(columns="tier"), "missing column\\(s\\): tier"),
        (None, "the result is still None"),
    ],
)
def test_same_rows_fails(actual: pd.DataFrame | None, message: str) -> None:
    with pytest.raises(AssertionError, match=message) as info:
        checks.same_rows(actual, REFERENCE, key="plan_id")
    assert "3.0" not in str(info.value) and "expected 3" not in str(info.value)  # no answer


def test_checks_record_expected_values_in_the_ledger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = tmp_path / "ledger.jsonl"
    checks.equal(3, 3)
    assert not ledger.exists()  # off unless configured
    monkeypatch.setenv("SPROUTLY_CHECKS_LEDGER", str(ledger))
    checks.equal(90, 90)
    checks.same_rows(REFERENCE, REFERENCE, key="plan_id")
    with pytest.raises(AssertionError):
        checks.equal(None, "app_users-12")
    recorded = [json.loads(line) for line in ledger.read_text().splitlines()]
    assert recorded == [90, 1.0, 2.5, 3.0, "x", "y", "app_users-12"]  # keys are not answers


class FakeSandbox:
    """What the dbt checks read from a sandbox: its last run_results and manifest."""

    name = "ex"
    commands = ("dbt build --select fct_x",)

    def __init__(self, statuses: dict[str, str], nodes: dict[str, dict]) -> None:
        self._statuses, self._nodes = statuses, nodes

    def run_results(self) -> dict:
        return {"results": [{"unique_id": u, "status": s} for u, s in self._statuses.items()]}

    def manifest(self) -> dict:
        return {"nodes": self._nodes, "sources": {}, "unit_tests": {}}

    def statuses(self) -> dict[str, str]:
        return self._statuses

    def failures(self) -> str:
        return "\n".join(f"{u}: boom" for u, s in self._statuses.items() if s in {"error", "fail"})


MODEL = "model.p.fct_x"
TEST = "test.p.unique_fct_x_month.1"
NODES = {
    MODEL: {
        "name": "fct_x",
        "resource_type": "model",
        "description": "One row per month.",
        "depends_on": {"nodes": ["model.p.metrics_daily"]},
    },
    TEST: {
        "name": "unique_fct_x_month",
        "resource_type": "test",
        "attached_node": MODEL,
        "column_name": "month",
        "test_metadata": {"name": "unique"},
        "depends_on": {"nodes": [MODEL]},
    },
}


def test_dbt_passed() -> None:
    checks.dbt_passed(FakeSandbox({MODEL: "success", TEST: "pass"}, NODES), "fct_x")
    with pytest.raises(AssertionError, match="1 failing node.*\n.*boom\nHint: .*!dbt build"):
        checks.dbt_passed(FakeSandbox({MODEL: "success", TEST: "fail"}, NODES), "fct_x")
    with pytest.raises(AssertionError, match="no test of 'fct_x' ran"):
        checks.dbt_passed(FakeSandbox({MODEL: "success"}, NODES), "fct_x")
    checks.dbt_passed(FakeSandbox({MODEL: "success"}, NODES), "fct_x", tests=False)
    with pytest.raises(AssertionError, match="did not build 'fct_y'"):
        checks.dbt_passed(FakeSandbox({MODEL: "success", TEST: "pass"}, NODES), "fct_y")


def test_reads_only_and_documented() -> None:
    sb = FakeSandbox({}, NODES)
    checks.reads_only(sb, "fct_x", ["metrics_daily"])
    with pytest.raises(AssertionError, match="fct_x reads metrics_daily, which the exercise"):
        checks.reads_only(sb, "fct_x", ["fct_mrr_daily"])
    with pytest.raises(AssertionError, match="does not read fct_mrr_daily"):
        checks.reads_only(sb, "fct_x", ["metrics_daily", "fct_mrr_daily"])
    with pytest.raises(AssertionError, match="fct_x.month \\(the grain\\) has no not_null test"):
        checks.documented(sb, "fct_x", grain="month")
    checks.documented(sb, "fct_x", grain="month", tests=["unique"])
    vague = {MODEL: {**NODES[MODEL], "description": "Monthly numbers."}, TEST: NODES[TEST]}
    with pytest.raises(AssertionError, match="does not state its grain"):
        checks.documented(FakeSandbox({}, vague), "fct_x", grain="month")


def test_trigger_report() -> None:
    expected = {"fired": ["run_minutes"], "verdict": "warehouse-first"}
    checks.trigger_report(
        upgrade_triggers(run_minutes=35, data_gb=5, concurrent_users=2), **expected
    )
    wrong = upgrade_triggers(run_minutes=25, data_gb=5, concurrent_users=2)
    with pytest.raises(
        AssertionError, match="run duration is 'watch' \\(you passed 25 min\\): not what the"
    ) as info:
        checks.trigger_report(wrong, **expected)
    assert "fire" not in str(info.value)
    with pytest.raises(AssertionError, match="your assessment is still None"):
        checks.trigger_report(None, **expected)
