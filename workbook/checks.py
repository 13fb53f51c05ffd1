"""Checks for "Check yourself" cells and exercises.

Each function returns quietly when the answer is right and raises ``AssertionError`` with a
message that says *what* is wrong and *where to look* when it is not. A check never fixes
anything for you.

    checks.equal(answer, 42, what="the number of German users")
    checks.columns(df, ["user_id", "email"])
    checks.same_rows(mine, reference, key="plan_id")
    checks.model_builds(sb, "stg_app__plans")
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from sproutly.dbt import failed_nodes

if TYPE_CHECKING:
    from workbook.sandbox import Sandbox
    from workbook.triggers import UpgradeAssessment


def _fail(message: str, hint: str | None = None) -> None:
    raise AssertionError(f"{message}\nHint: {hint}" if hint else message)


def answered(value: Any, name: str = "your answer") -> None:
    """Fail when an exercise variable is still ``None`` (the exercise was not done yet)."""
    if value is None:
        _fail(
            f"{name} is still None.", f"replace None with your code in the cell that sets {name}."
        )


def equal(
    actual: Any, expected: Any, *, what: str = "your answer", hint: str | None = None
) -> None:
    """``actual == expected`` (numbers compare exactly; use :func:`close` for floats)."""
    answered(actual, what)
    if actual != expected:
        _fail(f"{what} is {actual!r}, expected {expected!r}.", hint)


def close(
    actual: float,
    expected: float,
    *,
    what: str = "your answer",
    rel: float = 1e-6,
    abs_tol: float = 0.0,
    hint: str | None = None,
) -> None:
    """``actual`` is within a relative (``rel``) or absolute (``abs_tol``) tolerance of ``expected``."""
    answered(actual, what)
    if not math.isclose(float(actual), float(expected), rel_tol=rel, abs_tol=abs_tol):
        _fail(f"{what} is {actual!r}, expected about {expected!r}.", hint)


def columns(df: pd.DataFrame, expected: Iterable[str], *, exact: bool = False) -> None:
    """``df`` has every expected column (and, with ``exact=True``, no others, in this order)."""
    answered(df, "the DataFrame")
    expected = list(expected)
    actual = list(df.columns)
    missing = [c for c in expected if c not in actual]
    if missing:
        _fail(
            f"missing column(s): {', '.join(missing)}; the result has: {', '.join(actual)}.",
            "check the names in your select list (snake_case, as in the contract).",
        )
    if exact and actual != expected:
        extra = [c for c in actual if c not in expected]
        problem = f"unexpected column(s): {', '.join(extra)}" if extra else "columns out of order"
        _fail(f"{problem}; expected exactly: {', '.join(expected)}.", "select explicit columns.")


_columns = columns  # same_rows has a parameter named ``columns``


def _examples(values: Iterable[Any], limit: int = 5) -> str:
    values = sorted(values, key=repr)
    shown = ", ".join(repr(v) for v in values[:limit])
    return shown + (f" ... ({len(values)} in all)" if len(values) > limit else "")


def same_rows(
    actual: pd.DataFrame,
    expected: pd.DataFrame,
    key: str | Sequence[str],
    *,
    columns: Sequence[str] | None = None,
    rel: float = 1e-9,
) -> None:
    """The two frames hold the same rows, matched by ``key`` (order does not matter).

    Compares ``columns`` (default: every column of ``expected``). Reports missing and unexpected
    keys, duplicated keys and, per column, how many rows differ with one example.
    """
    answered(actual, "the result")
    keys = [key] if isinstance(key, str) else list(key)
    wanted = list(columns or expected.columns)
    _columns(actual, list(dict.fromkeys([*keys, *wanted])))
    duplicated = actual[actual.duplicated(keys, keep=False)]
    if not duplicated.empty:
        dupes = duplicated[keys].drop_duplicates().itertuples(index=False, name=None)
        _fail(
            f"key {keys} is not unique in your result: {_examples(dupes)}.",
            "deduplicate (e.g. row_number() over (partition by the key order by updated_at desc)).",
        )
    a = actual.set_index(keys)
    e = expected.set_index(keys)
    missing, extra = e.index.difference(a.index), a.index.difference(e.index)
    if len(missing) or len(extra):
        parts = [f"{len(a)} rows, expected {len(e)}"]
        if len(missing):
            parts.append(f"missing keys: {_examples(missing)}")
        if len(extra):
            parts.append(f"unexpected keys: {_examples(extra)}")
        _fail("; ".join(parts) + ".", "check your filters and joins.")
    a = a.loc[e.index]
    for column in [c for c in wanted if c not in keys]:
        left, right = a[column], e[column]
        if pd.api.types.is_float_dtype(left) or pd.api.types.is_float_dtype(right):
            lf, rf = left.astype(float), right.astype(float)
            near = (lf - rf).abs() <= rel * rf.abs().clip(lower=1)
            differs = ~(near | (lf.isna() & rf.isna()))
        else:
            differs = ~((left == right) | (left.isna() & right.isna()))
        differs = differs.fillna(True).astype(bool)
        if differs.any():
            first = differs[differs].index[0]
            _fail(
                f"column {column!r} differs in {int(differs.sum())} of {len(e)} rows; e.g. key "
                f"{first!r}: yours {a.loc[first, column]!r}, expected {e.loc[first, column]!r}.",
                f"look at how {column} is computed (casts, units, time zones, rounding).",
            )


def model_builds(sb: Sandbox, name: str, *, build: bool = True) -> None:
    """The model ``name`` builds in the sandbox (``dbt build --select name``) and its tests pass."""
    answered(sb, "the sandbox")
    if build:  # cautious: only tests whose parents are all selected (not other models' tests)
        sb.dbt("build", "--select", name, "--indirect-selection", "cautious")
    statuses = sb.statuses()
    nodes = {uid: s for uid, s in statuses.items() if uid.split(".")[-1] == name}
    if not nodes:
        _fail(
            f"dbt did not run {name!r}.",
            f"is the file named {name}.sql and inside the sandbox's models/ folder?",
        )
    failed = sorted(failed_nodes(statuses))
    skipped = sum(1 for s in statuses.values() if s == "skipped")
    if failed:
        _fail(
            f"building {name!r} failed ({len(failed)} error(s), {skipped} node(s) skipped):\n"
            + sb.failures(),
            f"open {sb.display_path(name)} and fix the first error above.",
        )


def trigger_report(
    actual: UpgradeAssessment,
    *,
    fired: Iterable[str],
    verdict: str,
    watching: Iterable[str] = (),
) -> None:
    """Your calculator run fires (and watches) the expected triggers and reaches the verdict.

    The hint names each trigger that came out wrong and the value you passed for it, so you can
    re-read the description for exactly that number.
    """
    answered(actual, "your assessment")
    expected = {name: "fire" for name in fired} | {name: "watch" for name in watching}
    wrong = []
    for trigger in actual.triggers:
        want = expected.get(trigger.name, "ok")
        if trigger.state != want:
            wrong.append(
                f"{trigger.label} is '{trigger.state}' (you passed {trigger.value}), "
                f"expected '{want}'"
            )
    if wrong:
        _fail(
            "; ".join(wrong) + ".",
            "re-read the team description for those inputs (units: minutes, GB, people).",
        )
    equal(actual.verdict, verdict, what="the verdict")
