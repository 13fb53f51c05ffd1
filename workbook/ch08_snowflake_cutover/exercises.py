"""Chapter 08 exercises on the real files, in small sandboxes (the project's configuration,
profile and macros, no pipeline models: the emulator starts empty, each exercise brings its own
inputs). The learner writes the file, builds it on DuckDB with ``!dbt build``; the check builds
it on both engines (DuckDB and the emulated Snowflake target) and compares.

- Exercise 1, :func:`calendar_sandbox` / :func:`calendar`: ``macros/weekday_name.sql``.
- Exercise 2, :func:`prices_sandbox` / :func:`current_prices`: fix
  ``models/intermediate/finance/int_plan_prices_current.sql``.
"""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

import pandas as pd

from sproutly import paths
from workbook import checks
from workbook.ch08_snowflake_cutover import exercise_checks as ec
from workbook.sandbox import Sandbox, sandbox

if TYPE_CHECKING:
    from cutover.emulator import Emulator

MACRO_PATH = "macros/weekday_name.sql"
CALENDAR_COMMAND = "dbt build --select dim_calendar --quiet"
PRICES_COMMAND = f"dbt build --select +{ec.CURRENT_PRICES} --quiet"


def _small(name: str, write: str, command: str) -> Sandbox:
    sb = sandbox(name, write=[write], command=command)
    for folder in ("models", "seeds", "snapshots", "tests", "analyses"):
        shutil.rmtree(sb.project_dir / folder, ignore_errors=True)
    (sb.project_dir / "models").mkdir()
    groups = paths.DBT_PROJECT_DIR / "models" / "_groups.yml"  # dbt_project.yml assigns them
    if groups.exists():
        shutil.copy2(groups, sb.project_dir / "models" / groups.name)
    return sb


def calendar_sandbox() -> Sandbox:
    """Exercise 1: ``dim_calendar`` and its contract, calling a macro that does not exist yet."""
    sb = _small("ex08-1", MACRO_PATH, CALENDAR_COMMAND)
    ec.setup_calendar(sb)
    return sb


def calendar(sb: Sandbox, emulator: Emulator) -> pd.DataFrame:
    """Exercise 1: ``dim_calendar`` builds green on DuckDB and emulated Snowflake with the right
    weekday names, through a dispatched ``weekday_name``. Returns both engines' first days."""
    checks.answered(sb, "the sandbox")
    checks.file_written(sb, MACRO_PATH)
    checks.dbt_passed(sb, "dim_calendar")
    rows = ec.calendar_is_portable(sb, emulator)
    return rows.groupby("engine").head(2)


def prices_sandbox() -> Sandbox:
    """Exercise 2: the price-history seed and the planted model (``order by valid_to desc``)."""
    sb = _small("ex08-2", ec.CURRENT_PRICES_PATH, PRICES_COMMAND)
    ec.setup_current_prices(sb)
    return sb


def current_prices(sb: Sandbox, emulator: Emulator) -> pd.DataFrame:
    """Exercise 2: both engines build the fixed model, the parity report finds them equal and
    the rows are the current prices. Returns the side-by-side table."""
    checks.answered(sb, "the sandbox")
    checks.dbt_passed(sb, ec.CURRENT_PRICES, tests=False)
    report = ec.both_engines(sb, emulator)
    table = ec.side_by_side(sb, emulator)
    if not bool(report["equal"].all()):
        differing = table[~table["equal"]]
        checks._fail(
            f"the parity report still finds DuckDB and emulated Snowflake different on "
            f"{ec.CURRENT_PRICES}: {len(differing)} plan(s) disagree, e.g. "
            f"{differing.iloc[0]['plan_id'] if len(differing) else '?'} (table above).",
            "say how NULLs sort, or do not sort them at all: which row is the current one?",
        )
    expected = ec.current_prices_reference()
    for target in ("dev", ec.EMULATED):
        mine = ec.fetch(sb, f"intermediate.{ec.CURRENT_PRICES}", target, emulator)
        mine = mine.reindex(columns=["plan_id", "price_cents", "valid_from"])
        checks.same_rows(mine, expected, key="plan_id")
    return table
