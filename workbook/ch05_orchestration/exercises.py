"""Chapter 05 exercises on the real files: each adds a module to a sandbox copy of
``orchestration/defs/`` (the folder ``dg.load_from_defs_folder`` reads, so a new file is a new
definition) and validates the code location with ``dg check defs`` (the sandbox is a dg project
root: ``pyproject.toml``'s ``[tool.dg]`` names ``orchestration.defs``). The checks import the
learner's module and evaluate it with Dagster's own test APIs.

- Exercise 1, :func:`schedule`: ``dg scaffold defs dagster.schedule morning_schedule.py`` writes
  ``orchestration/defs/morning_schedule.py``; the learner makes ``morning_schedule`` the morning run.
- Exercise 2, :func:`asset_check`: ``orchestration/defs/mrr_checks.py`` with
  ``mrr_movements_reconcile``, run on the sandbox warehouse and on a copy with one wrong day.
- Exercise 3, :func:`finance_job`: ``orchestration/defs/finance.py`` with ``finance_job``.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import dagster as dg

from sproutly import paths
from sproutly.env import temporarily
from workbook import checks
from workbook.ch05_orchestration import answers, exercise_checks
from workbook.sandbox import Sandbox, sandbox

#: What the learner runs after writing a module: the code location must load (silent but for
#: two "successfully" lines; the sandbox's DAGSTER_HOME keeps dg's telemetry off).
VALIDATE = "dg check defs"
#: Exercise 1 starts from dg's template (the function is named after the file).
SCAFFOLD = "dg scaffold defs dagster.schedule morning_schedule.py"
SCHEDULE_PATH = "orchestration/defs/morning_schedule.py"
CHECK_PATH = "orchestration/defs/mrr_checks.py"
JOB_PATH = "orchestration/defs/finance.py"
MRR_KEY = dg.AssetKey(["marts", "fct_mrr_daily"])


def orchestration_sandbox(name: str, write: str) -> Sandbox:
    """A copy of the project with ``orchestration/`` and ``pyproject.toml`` (the dg project root:
    ``[tool.dg]`` names the ``defs`` folder): the learner's module goes into its ``defs/``.
    Exercise 1 (the schedule) begins with ``dg scaffold``."""
    commands = [SCAFFOLD, VALIDATE] if write == SCHEDULE_PATH else [VALIDATE]
    return sandbox(name, copy=["orchestration", "pyproject.toml"], write=[write], command=commands)


def _load(sb: Sandbox, relative: str, name: str) -> Any:
    """The learner's module, imported from the sandbox, and its attribute ``name``."""
    checks.file_written(sb, relative)
    return checks.defined(
        sb.root / relative,
        name,
        shown=sb.shown(relative),
        fix=f"fix the file, then run !{VALIDATE}",
        naming=f"name the definition {name} (the decorated function's name).",
    )


def schedule(sb: Sandbox) -> None:
    """Exercise 1: ``morning_schedule`` in ``orchestration/defs/morning_schedule.py``: 05:30 UTC on
    ``ingest_events``, requesting yesterday's partition as run key (evaluated at two ticks)."""
    checks.answered(sb, "the sandbox")
    exercise_checks.morning_schedule(_load(sb, SCHEDULE_PATH, "morning_schedule"))


# -- exercise 2: an asset check ----------------------------------------------------------------
def _broken_copy(sb: Sandbox) -> Path:
    """A copy of the sandbox's data folder where one day's MRR is off by 100 (its movements are
    not): a reconciliation check must fail on it."""
    import duckdb

    broken = sb.root / "broken-data"
    shutil.rmtree(broken, ignore_errors=True)
    shutil.copytree(sb.data_dir, broken, ignore=shutil.ignore_patterns("sandboxes"))
    warehouse = broken / "warehouse" / paths.warehouse_path().name
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "update marts.fct_mrr_daily set mrr = mrr + 100 where date_day = "
            "(select max(date_day) - 10 from marts.fct_mrr_daily)"
        )
    return broken


def _run_check(check: Any, data_dir: Path, where: str) -> dg.AssetCheckResult:
    with temporarily({"SPROUTLY_DATA_DIR": str(data_dir)}):
        try:
            result = check()
        except Exception as error:  # the learner's code
            checks._fail(
                f"mrr_movements_reconcile() on {where} raised {type(error).__name__}: {error}",
                "call it yourself: it takes no arguments and returns dg.AssetCheckResult(...).",
            )
    if not isinstance(result, dg.AssetCheckResult):
        checks._fail(
            f"mrr_movements_reconcile() returned a {type(result).__name__}.",
            "return dg.AssetCheckResult(passed=..., metadata={...}).",
        )
    return result


def asset_check(sb: Sandbox) -> None:
    """Exercise 2: ``mrr_movements_reconcile`` checks ``marts/fct_mrr_daily``, passes on the
    sandbox warehouse, fails (with metadata) on a copy where one day's MRR is wrong, and reads
    the warehouse of ``SPROUTLY_DATA_DIR`` when it runs (not when it is imported)."""
    checks.answered(sb, "the sandbox")
    check = _load(sb, CHECK_PATH, "mrr_movements_reconcile")
    if not isinstance(check, dg.AssetChecksDefinition):
        checks._fail(
            f"mrr_movements_reconcile is a {type(check).__name__}, not an asset check.",
            "decorate the function with @dg.asset_check(asset=..., description=...).",
        )
    targets = sorted({key.asset_key.to_user_string() for key in check.check_keys})
    if targets != [MRR_KEY.to_user_string()]:
        checks._fail(
            f"your check is attached to {', '.join(targets)}.",
            "attach it to the dbt asset of fct_mrr_daily: its key is the schema, then the model "
            "(see the asset graph in chapter 05).",
        )
    if not (check.check_specs and all(s.description for s in check.check_specs)):
        checks._fail(
            "your check has no description.",
            "the UI shows it next to the result: @dg.asset_check(..., description='...').",
        )
    good = _run_check(check, sb.data_dir, "the sandbox warehouse")
    if not good.passed:
        checks._fail(
            f"your check fails on the sandbox warehouse (metadata: {dict(good.metadata)}), where "
            "every day reconciles.",
            "compare net_new_mrr with mrr minus the previous day's mrr (lag over date_day); the "
            "first day has no previous day; compare to the cent, not exactly.",
        )
    bad = _run_check(check, _broken_copy(sb), "a warehouse with one wrong day")
    if bad.passed:
        checks._fail(
            "your check passes on a warehouse where one day's mrr is 100 off its movements: a "
            "check that cannot fail protects nothing.",
            "count the days whose net_new_mrr differs from the change in mrr; pass when none.",
        )
    if not bad.metadata:
        checks._fail(
            "your failing result has no metadata: whoever is paged sees only 'failed'.",
            "add metadata, e.g. how many days are off and the first of them.",
        )


# -- exercise 3: a job that selects ------------------------------------------------------------
def finance_job(sb: Sandbox, definitions: dg.Definitions) -> None:
    """Exercise 3: ``finance_job`` (``finance_refresh``) selects ``marts/fct_mrr_daily`` and all
    it depends on, except the ``raw`` group."""
    checks.answered(sb, "the sandbox")
    job = _load(sb, JOB_PATH, "finance_job")
    selection = getattr(job, "selection", None)
    if selection is None:
        checks._fail(
            f"finance_job is a {type(job).__name__}, not an asset job.",
            'dg.define_asset_job("finance_refresh", selection=...).',
        )
    checks.equal(job.name, "finance_refresh", what="the job's name")
    graph = definitions.resolve_asset_graph()
    try:
        selected = {"/".join(k.path) for k in selection.resolve(graph)}
    except Exception as error:  # a key that does not exist
        checks._fail(
            f"your selection does not resolve: {type(error).__name__}: {error}",
            "asset keys are lists: ['marts', 'fct_mrr_daily'].",
        )
    wanted = set(answers.upstream_without_raw(definitions, "marts/fct_mrr_daily"))
    extra = sorted(selected - wanted)
    if extra:
        checks._fail(
            f"your job selects {len(extra)} asset(s) it must not, e.g. {extra[0]}.",
            "take only what fct_mrr_daily depends on, and leave the raw group out.",
        )
    missing = wanted - selected
    if missing:
        groups = sorted({name.split("/")[0] for name in missing})
        checks._fail(
            f"your job misses {len(missing)} asset(s) fct_mrr_daily depends on (in: "
            f"{', '.join(groups)}).",
            "take everything upstream of the mart, directly or not (AssetSelection has a method "
            "for it), then subtract the raw group.",
        )
