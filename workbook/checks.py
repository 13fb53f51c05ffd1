"""Checks for "Check yourself" cells and exercises.

Each function returns quietly when the answer is right and raises ``AssertionError`` with a
message that says *what* is wrong and *where to look* when it is not. A check never fixes
anything for you, and never prints the expected answer: not a number, not a reference value,
not a fragment of the solution (``tests/notebooks/test_exercises.py`` proves it: with
``SPROUTLY_CHECKS_LEDGER`` set, every expected value a check is given is appended to that file,
and none may appear in an unsolved exercise's error output).

    checks.equal(answer, 42, what="the number of German users")
    checks.columns(df, ["user_id", "email"])
    checks.same_rows(mine, reference, key="plan_id")
    checks.dbt_passed(sb, "stg_app__plans")        # after `!dbt build --select stg_app__plans`
    checks.reads_only(sb, "fct_x", ["metrics_daily"])
    checks.documented(sb, "fct_x", grain="month_start")
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from sproutly.dbt import failed_nodes
from sproutly.settings import settings

if TYPE_CHECKING:
    from workbook.sandbox import Sandbox
    from workbook.triggers import UpgradeAssessment


def _fail(message: str, hint: str | None = None) -> None:
    raise AssertionError(f"{message}\nHint: {hint}" if hint else message)


def _ledger(*values: Any) -> None:
    """Record expected values (the proof's ledger; nothing happens unless it is configured)."""
    path = settings().sproutly_checks_ledger
    if path is None:
        return
    with open(path, "a", encoding="utf-8") as ledger:
        for value in values:
            if value is None or (isinstance(value, float) and math.isnan(value)):
                continue
            ledger.write(json.dumps(value if isinstance(value, (int, float)) else str(value)))
            ledger.write("\n")


def _direction(actual: Any, expected: Any) -> str:
    """ "too high" / "too low" (by more than 10% when it is), never the expected number."""
    try:
        a, e = float(actual), float(expected)
    except (TypeError, ValueError):
        return ""
    if math.isnan(a) or math.isnan(e) or a == e:
        return ""
    side = "too high" if a > e else "too low"
    far = abs(a - e) > 0.1 * abs(e)
    return f" ({side}{' by more than 10%' if far else ''})"


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
    _ledger(expected)
    answered(actual, what)
    if actual != expected:
        _fail(f"{what} is {actual!r}: not the expected value{_direction(actual, expected)}.", hint)


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
    _ledger(expected)
    answered(actual, what)
    if not math.isclose(float(actual), float(expected), rel_tol=rel, abs_tol=abs_tol):
        _fail(f"{what} is {actual!r}: not the expected value{_direction(actual, expected)}.", hint)


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
    keys = [key] if isinstance(key, str) else list(key)
    wanted = list(columns or expected.columns)
    key_values = {str(v) for k in keys if k in expected for v in expected[k].tolist()}
    _ledger(  # a key may be shown ("the row that differs"); a value equal to a key is no answer
        *(
            v
            for c in wanted
            if c not in keys
            for v in expected[c].tolist()
            if str(v) not in key_values
        )
    )
    answered(actual, "the result")
    _columns(actual, list(dict.fromkeys([*keys, *wanted])))
    duplicated = actual[actual.duplicated(keys, keep=False)]
    if not duplicated.empty:
        dupes = duplicated[keys].drop_duplicates().itertuples(index=False, name=None)
        _fail(
            f"key {keys} is not unique in your result: {_examples(dupes)}.",
            "one row per key: look at how duplicates (several versions of a row) are resolved.",
        )
    a = actual.set_index(keys)
    e = expected.set_index(keys)
    missing, extra = e.index.difference(a.index), a.index.difference(e.index)
    if len(missing) or len(extra):
        parts = [f"your result has {len(a)} rows"]
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
            mine = a.loc[first, column]
            mine = mine.item() if hasattr(mine, "item") else mine  # 300.0, not np.float64(300.0)
            _fail(
                f"column {column!r} is wrong in {int(differs.sum())} of {len(e)} rows; e.g. key "
                f"{first!r}: yours is {mine!r}{_direction(mine, e.loc[first, column])}.",
                f"look at how {column} is computed (casts, units, time zones, rounding, which "
                "version of a row wins).",
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


def _command(sb: Sandbox, default: str) -> str:
    return f"!{sb.commands[0]}" if sb.commands else f"!{default}"


def _nodes_named(manifest: dict, name: str) -> dict[str, dict]:
    nodes = manifest.get("nodes", {})
    return {
        uid: node
        for uid, node in nodes.items()
        if node.get("name") == name and node.get("resource_type") in {"model", "seed", "snapshot"}
    }


def file_written(sb: Sandbox, relative_path: str) -> None:
    """The learner's file exists in the sandbox and holds more than the placeholder comment."""
    answered(sb, "the sandbox")
    path = sb._absolute(relative_path)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    body = [
        line
        for line in text.splitlines()
        if line.strip() and not line.strip().startswith(("--", "#"))
    ]
    if not body:
        _fail(
            f"{sb.shown(relative_path)} is {'empty' if path.exists() else 'missing'}.",
            "write it (the %%writefile cell, or JupyterLab's editor), then run "
            f"{_command(sb, 'dbt build')}.",
        )


def dbt_passed(sb: Sandbox, *models: str, tests: bool = True) -> None:
    """The sandbox's last dbt command (``!dbt build --select ...``) built every model in
    ``models`` without an error, and (``tests=True``) ran at least one test on each and every
    test it ran passed. Reads the sandbox's ``run_results.json`` and ``manifest.json``."""
    answered(sb, "the sandbox")
    rerun = _command(sb, f"dbt build --select {' '.join(models)}")
    try:
        sb.run_results()
        manifest = sb.manifest()
    except FileNotFoundError:
        _fail(f"dbt has not run in sandbox {sb.name!r} yet.", f"run {rerun} first.")
    statuses = sb.statuses()
    failed = failed_nodes(statuses)
    if failed:
        _fail(
            f"the last dbt command in the sandbox had {len(failed)} failing node(s):\n"
            + sb.failures(),
            f"open the file of the first node above, fix it, and rerun {rerun}.",
        )
    for model in models:
        uids = [uid for uid in _nodes_named(manifest, model) if uid in statuses]
        if not uids:
            _fail(
                f"the last dbt command did not build {model!r}.",
                f"is the file named {model}.sql in the sandbox's models/ folder? Run {rerun}.",
            )
        if any(statuses[uid] == "skipped" for uid in uids):
            _fail(f"{model!r} was skipped: an upstream node failed.", f"rerun {rerun}.")
        if tests:
            ran = [
                uid
                for uid, node in manifest.get("nodes", {}).items()
                if node.get("resource_type") in {"test", "unit_test"}
                and uid in statuses
                and set(uids) & set(node.get("depends_on", {}).get("nodes", []))
            ]
            ran += [
                uid
                for uid, node in manifest.get("unit_tests", {}).items()
                if uid in statuses and set(uids) & set(node.get("depends_on", {}).get("nodes", []))
            ]
            if not ran:
                _fail(
                    f"no test of {model!r} ran in the last dbt command.",
                    f"declare its tests in the model's YAML and use dbt build: {rerun}.",
                )


def defined(path: Path, name: str, *, shown: str, fix: str, naming: str) -> Any:
    """The attribute ``name`` of the learner's Python file ``path``, imported fresh (not cached
    in ``sys.modules``). Fails with the file's own error when importing it raises (``fix`` says
    how to find the line), or when it defines no ``name`` (``naming`` says what to call it)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"sandbox_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as error:  # the learner's code: show its own error
        _fail(f"importing {shown} raised {type(error).__name__}: {error}", fix)
    if not hasattr(module, name):
        _fail(f"{shown} defines no {name!r}.", naming)
    return getattr(module, name)


def _sandbox_model(sb: Sandbox, model: str) -> tuple[dict, str, dict]:
    """The sandbox's manifest, and the unique id and node of ``model`` in it."""
    answered(sb, "the sandbox")
    try:
        manifest = sb.manifest()
    except FileNotFoundError:
        _fail(f"dbt has not run in sandbox {sb.name!r} yet.", f"run {_command(sb, 'dbt build')}.")
    found = _nodes_named(manifest, model)
    if not found:
        _fail(f"there is no model {model!r} in the sandbox's manifest.", f"write {model}.sql.")
    uid, node = next(iter(found.items()))
    return manifest, uid, node


def reads_only(sb: Sandbox, model: str, allowed: Iterable[str]) -> None:
    """``model`` reads exactly the models / sources in ``allowed`` (``"metrics_daily"``,
    ``"source:app.plans"``), per the sandbox's manifest (its ``depends_on``)."""
    manifest, _, node = _sandbox_model(sb, model)
    reads = set()
    for uid in node.get("depends_on", {}).get("nodes", []):
        kind, *_, name = uid.split(".")
        if kind == "source":
            source = manifest.get("sources", {}).get(uid, {})
            reads.add(f"source:{source.get('source_name')}.{source.get('name', name)}")
        else:
            reads.add(name)
    allowed = set(allowed)
    if reads - allowed:
        _fail(
            f"{model} reads {', '.join(sorted(reads - allowed))}, which the exercise does not "
            "allow.",
            "use ref()/source() only for what the brief names.",
        )
    if allowed - reads:
        _fail(
            f"{model} does not read {', '.join(sorted(allowed - reads))} with ref()/source().",
            "a hard-coded table name is invisible to dbt's lineage: use ref() or source().",
        )


def documented(
    sb: Sandbox,
    model: str,
    *,
    grain: str,
    tests: Iterable[str] = ("unique", "not_null"),
    phrase: str = "one row per",
) -> None:
    """``model``'s YAML describes it, states its grain (the description contains ``phrase``)
    and declares ``tests`` on the grain column, per the sandbox's manifest."""
    manifest, uid, node = _sandbox_model(sb, model)
    description = (node.get("description") or "").strip()
    if not description:
        _fail(f"{model} has no description.", "add `description:` to the model in its YAML.")
    if phrase not in description.lower():
        _fail(
            f"{model}'s description does not state its grain ('{phrase} ...').",
            f"say in the description what one row is: '{phrase.capitalize()} ...'.",
        )
    declared = {
        test.get("test_metadata", {}).get("name")
        for test in manifest.get("nodes", {}).values()
        if test.get("resource_type") == "test"
        and test.get("attached_node") == uid
        and test.get("column_name") == grain
    }
    missing = [t for t in tests if t not in declared]
    if missing:
        _fail(
            f"{model}.{grain} (the grain) has no {' / '.join(missing)} test.",
            f"declare them under the column {grain!r} in the model's YAML (data_tests:).",
        )


def tested(sb: Sandbox, node: str, column: str, tests: Iterable[str]) -> None:
    """The model ``node`` (or the source ``"source:app.users"``) declares each generic test of
    ``tests`` (``unique``, ``not_null``, ``accepted_values``) on ``column``, per the sandbox's
    manifest."""
    answered(sb, "the sandbox")
    try:
        manifest = sb.manifest()
    except FileNotFoundError:
        _fail(f"dbt has not run in sandbox {sb.name!r} yet.", f"run {_command(sb, 'dbt build')}.")
    if node.startswith("source:"):
        source_name, _, table = node.removeprefix("source:").partition(".")
        uids = [
            uid
            for uid, source in manifest.get("sources", {}).items()
            if source.get("source_name") == source_name and source.get("name") == table
        ]
    else:
        uids = list(_nodes_named(manifest, node))
    if not uids:
        _fail(f"there is no {node} in the sandbox's project.", "declare it in a YAML file.")
    declared = {
        test.get("test_metadata", {}).get("name")
        for test in manifest.get("nodes", {}).values()
        if test.get("resource_type") == "test"
        and test.get("column_name") == column
        and set(uids) & set(test.get("depends_on", {}).get("nodes", []))
    }
    missing = [t for t in tests if t not in declared]
    if missing:
        _fail(
            f"{node}.{column} has no {' / '.join(missing)} test.",
            f"declare it under the column {column!r} (data_tests:) and rerun "
            f"{_command(sb, 'dbt build')}.",
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
    expected = {name: "fire" for name in fired} | {name: "watch" for name in watching}
    _ledger(verdict)
    answered(actual, "your assessment")
    wrong = []
    for trigger in actual.triggers:
        want = expected.get(trigger.name, "ok")
        if trigger.state != want:
            wrong.append(f"{trigger.label} is '{trigger.state}' (you passed {trigger.value})")
    if wrong:
        _fail(
            "; ".join(wrong) + ": not what the team's description gives.",
            "re-read the team description for those inputs (units: minutes, GB, people).",
        )
    equal(actual.verdict, verdict, what="the verdict")
