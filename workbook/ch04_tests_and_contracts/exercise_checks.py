"""Exercise checks for chapter 04: a test is right when it passes on clean data AND fails on the
defect it is meant to catch (a test that never fails proves nothing).

    unit_test_has_teeth(sb, "stg_billing__invoices")

It runs dbt in the sandbox only, and leaves its warehouse and models as it found them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import yaml as pyyaml

from workbook import checks

if TYPE_CHECKING:
    from workbook.sandbox import Sandbox

#: Deliberate bugs in ``stg_billing__invoices`` that a good unit test must catch:
#: (what the bug is, text in the model, what replaces it).
INVOICE_MUTANTS = (
    (
        "amount_due divided by 10 instead of 100",
        "{{ cents_to_amount('amount_due_cents') }}",
        "cast(amount_due_cents / 10.0 as decimal(18, 2))",
    ),
    (
        "dedup keeps the OLDEST version",
        "{{ latest_version_of('renamed', key='invoice_id') }}",
        "select * from renamed qualify row_number() over ("
        "partition by invoice_id order by updated_at asc, _loaded_at asc, _source asc) = 1",
    ),
)


def attach_column_test(sb: Sandbox, model: str, column: str, test: str) -> None:
    """Add ``test`` to ``model.column``'s ``data_tests`` in the sandbox's YAML (idempotent).

    The YAML file is re-written by a YAML library: comments and layout of that sandbox copy are
    not kept (the real project is never touched)."""
    for path in sorted((sb.project_dir / "models").rglob("*.yml")):
        document = pyyaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for node in document.get("models", []):
            if node.get("name") != model:
                continue
            for entry in node.setdefault("columns", []):
                if entry.get("name") == column:
                    break
            else:
                entry = {"name": column}
                node["columns"].append(entry)
            tests = entry.setdefault("data_tests", [])
            if test not in tests:
                tests.append(test)
            path.write_text(pyyaml.safe_dump(document, sort_keys=False), encoding="utf-8")
            return
    raise ValueError(f"model {model!r} is not documented in any YAML file of {sb!r}")


def _test_statuses(sb: Sandbox, selector: str) -> dict[str, str]:
    sb.dbt("test", "--select", selector)
    return sb.statuses()


def unit_test_has_teeth(sb: Sandbox, model: str = "stg_billing__invoices") -> None:
    """Your unit test(s) on ``model`` pass on the real model and fail on each mutant in
    :data:`INVOICE_MUTANTS` (the model is restored afterwards)."""
    checks.answered(sb, "the sandbox")
    selector = f"{model},test_type:unit"
    statuses = _test_statuses(sb, selector)
    if not statuses:
        checks._fail(
            f"there is no unit test on {model} in the sandbox.",
            "write a YAML file with a top-level `unit_tests:` list (model, given, expect), e.g. "
            "sb.write_file('models/staging/billing/_billing__unit_tests.yml', text).",
        )
    checks.equal(
        sorted(set(statuses.values())),
        ["pass"],
        what=f"your unit test(s) on the real {model}",
        hint="compare your `expect` rows with what the model really returns. "
        + (sb.failures() or ""),
    )
    path = sb.path(model)
    original = path.read_text(encoding="utf-8")
    try:
        for bug, text, mutated in INVOICE_MUTANTS:
            assert text in original, f"{model} changed: {text!r} not found (update the check)"
            path.write_text(original.replace(text, mutated), encoding="utf-8")
            statuses = _test_statuses(sb, selector)
            if "fail" not in statuses.values():
                checks._fail(
                    f"your unit test still passes when the model has a bug: {bug}.",
                    "give it inputs where that bug changes the output (e.g. two versions of one "
                    "invoice with different updated_at) and expect amount_due in the rows.",
                )
    finally:
        path.write_text(original, encoding="utf-8")
