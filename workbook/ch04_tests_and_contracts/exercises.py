"""Checks behind chapter 04's exercises: a test counts when dbt ran it and it passed on clean data
and failed on the defect it is meant to catch (a test that never fails proves nothing).

They read the sandbox's ``run_results.json`` of the learner's own ``!dbt test`` command;
:func:`unit_test_catches_bugs` then re-runs the unit test (in-process) on deliberately broken
copies of the model (``exercise_checks.INVOICE_MUTANTS``), and restores the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbook.ch04_tests_and_contracts import exercise_checks

if TYPE_CHECKING:
    from workbook.sandbox import Sandbox


def _fail(message: str, hint: str) -> None:
    raise AssertionError(f"{message}\nHint: {hint}")


def _results(sb: Sandbox, kind: str, matches) -> dict[str, str]:
    """``unique_id -> status`` of the tests of ``kind`` (``test`` / ``unit_test``) of the last
    dbt command that ``matches(node)``."""
    rerun = f"!{sb.commands[0]}" if sb.commands else "the dbt command above"
    try:
        statuses, manifest = sb.statuses(), sb.manifest()
    except FileNotFoundError:
        _fail(f"dbt has not run in sandbox {sb.name!r} yet.", f"run {rerun}.")
    nodes = manifest.get("unit_tests" if kind == "unit_test" else "nodes", {})
    found = {uid: statuses[uid] for uid, node in nodes.items() if uid in statuses and matches(node)}
    errors = {uid: s for uid, s in statuses.items() if s in {"error", "runtime error"}}
    if not found:
        _fail(
            "the last dbt command ran no such test"
            + (f" ({len(errors)} node(s) errored):\n{sb.failures()}" if errors else "."),
            f"write the file, then run {rerun}.",
        )
    return found


def generic_test_result(sb: Sandbox, test: str, model: str, column: str, want: str) -> None:
    """The last ``!dbt test`` ran the generic test ``test`` on ``model.column`` and it ended
    ``want`` (``pass`` on clean data, ``fail`` once the defect is in)."""
    found = _results(
        sb,
        "test",
        lambda node: (
            (node.get("test_metadata") or {}).get("name") == test
            and node.get("column_name") == column
            and node.get("attached_node", "").endswith(f".{model}")
        ),
    )
    statuses = set(found.values())
    if statuses != {want}:
        got = ", ".join(sorted(statuses))
        if want == "pass":
            _fail(
                f"{test} on {model}.{column} ended '{got}' on clean data: it must return no rows "
                "there.\n" + sb.failures(),
                "select only the rows that break the rule; a null is not blank (not_null's job).",
            )
        _fail(
            f"{test} on {model}.{column} ended '{got}' with the defect in the data: it does not "
            "catch it.",
            "a test fails when its query returns rows: which rows hold a value that is not null "
            "but carries no information?",
        )


def unit_test_catches_bugs(sb: Sandbox, model: str = "stg_billing__invoices") -> None:
    """The last ``!dbt test`` ran unit test(s) on ``model`` and they passed; then each
    deliberately broken copy of the model makes one fail."""
    found = _results(sb, "unit_test", lambda node: node.get("model") == model)
    if set(found.values()) != {"pass"}:
        _fail(
            f"your unit test(s) on {model} do not pass on the real model:\n{sb.failures()}",
            "compare your `expect` rows with what the model really returns for your `given` rows "
            "(amounts are in currency units, columns renamed).",
        )
    exercise_checks.unit_test_has_teeth(sb, model)
