"""Chapter 08 exercises: artefacts built on BOTH engines, DuckDB and (emulated) Snowflake.

Each exercise works in a small sandbox (:func:`small_sandbox`): a copy of the dbt project's
configuration, profile and macros, without the pipeline's models. The emulator starts empty, so
an exercise brings its own inputs (dbt's ``date_spine``, a seed) instead of the raw layer.

- Exercise 1, :func:`setup_calendar` / :func:`calendar_is_portable`: a dispatched macro
  ``weekday_name`` (``duckdb__`` / ``snowflake__``) that makes ``dim_calendar`` say ``Mon`` ..
  ``Sun`` on both engines.
- Exercise 2, :func:`setup_current_prices` / :func:`both_engines`: a planted NULL-ordering
  difference that builds green on both engines but disagrees; fix the model.

    sb = small_sandbox("08_calendar")
    setup_calendar(sb)
    ... write macros/weekday_name.sql ...
    calendar_is_portable(sb, emulator)
"""

from __future__ import annotations

import shutil
import textwrap
import warnings
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from workbook.ch08_snowflake_cutover.views import quiet
from workbook.checks import _fail, answered
from workbook.sandbox import Sandbox, sandbox

if TYPE_CHECKING:
    from cutover.emulator import Emulator

#: The emulated Snowflake target in ``dbt_project/profiles.yml``.
EMULATED = "snowflake_emulated"
#: DuckDB functions Snowflake does not have. The emulator runs them anyway (it executes on
#: DuckDB), so a green emulated build would not notice them: the checks look for them instead.
DUCKDB_ONLY = ("strftime(", "date_diff(", "list_aggregate(", "string_agg(", "epoch(")

CALENDAR_START, CALENDAR_DAYS = date(2026, 1, 1), 28

CALENDAR_SQL = """
with

days as (

    select cast(date_day as date) as date_day
    from (
        {{ dbt.date_spine("day", "cast('2026-01-01' as date)", "cast('2026-01-29' as date)") }}
    ) as spine

),

calendar as (

    select
        date_day,
        {{ weekday_name('date_day') }} as weekday_name
    from days

)

select * from calendar
"""

CALENDAR_YAML = """
models:
  - name: dim_calendar
    description: One row per day of January 2026; the weekday as a three-letter name.
    config:
      contract: {enforced: true}
    columns:
      - name: date_day
        data_type: date
        data_tests: [unique, not_null]
      - name: weekday_name
        data_type: varchar
        data_tests:
          - not_null
          - accepted_values:
              arguments:
                values: [Mon, Tue, Wed, Thu, Fri, Sat, Sun]
"""

PRICE_HISTORY_CSV = """
plan_id,price_cents,valid_from,valid_to
basic_monthly,499,2026-01-01,2026-03-01
basic_monthly,599,2026-03-01,
basic_annual,4999,2026-01-01,
pro_monthly,999,2026-01-01,2026-02-15
pro_monthly,1199,2026-02-15,2026-04-01
pro_monthly,1099,2026-04-01,
pro_annual,9999,2026-01-01,
"""

#: The planted model: "the latest row per plan" written as ``order by valid_to desc``. A NULL
#: ``valid_to`` means "still valid". DuckDB sorts NULLs last under DESC, Snowflake first.
CURRENT_PRICES_SQL = """
with

prices as (

    select * from {{ ref('plan_price_history') }}

),

current_prices as (

    select
        plan_id,
        price_cents,
        valid_from
    from prices
    qualify row_number() over (partition by plan_id order by valid_to desc) = 1

)

select * from current_prices
"""
CURRENT_PRICES = "int_plan_prices_current"
CURRENT_PRICES_PATH = f"models/intermediate/finance/{CURRENT_PRICES}.sql"


def small_sandbox(name: str) -> Sandbox:
    """A fresh sandbox with the project's configuration, profile and macros but no models,
    seeds, snapshots or tests: exercises on the emulator bring their own inputs."""
    sb = sandbox(name)
    for folder in ("models", "seeds", "snapshots", "tests", "analyses"):
        shutil.rmtree(sb.project_dir / folder, ignore_errors=True)
    (sb.project_dir / "models").mkdir()
    return sb


def _build(sb: Sandbox, selector: str, target: str, emulator: Emulator | None) -> dict:
    """``dbt build --select selector`` on ``target``; returns that run's run_results."""
    from sproutly.dbt import run_results

    kwargs: dict[str, Any] = {"target": target}
    if target == EMULATED:
        answered(emulator, "the emulator")
        kwargs["env"] = emulator.env()
        _connector_imported_quietly()  # dbt-snowflake imports it too
        _drop_seeds(sb, emulator)
    # One artefact folder per target: dbt re-parses everything when the profile changes.
    folder = sb.project_dir / f"target_{target}"
    sb.dbt("build", "--select", selector, target_path=folder, **kwargs)
    try:
        return run_results(folder)
    except FileNotFoundError:
        _fail(f"dbt did not run on {target}: no run_results.json.", "run the cell again.")
        raise  # unreachable: _fail raises


def _connector_imported_quietly() -> None:
    """Import the Snowflake connector once with its import-time warning silenced.

    Its vendored ``requests`` warns about the installed urllib3 / chardet versions on import; the
    warning is harmless and would differ between environments in a notebook's output.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import snowflake.connector  # noqa: F401


def _connect(emulator: Emulator) -> Any:
    _connector_imported_quietly()
    return emulator.connect()


def _drop_seeds(sb: Sandbox, emulator: Emulator) -> None:
    """Drop the sandbox's seed tables on the emulator before a build.

    dbt asks the warehouse whether a seed's table exists; the emulator answers "no" for a table
    built by an earlier run, dbt then issues ``create table`` and fails with "already exists"
    (even with ``--full-refresh``). A real account answers correctly; here we start clean.
    """
    seeds = sorted((sb.project_dir / "seeds").glob("*.csv"))
    if not seeds:
        return
    connection = _connect(emulator)
    try:
        cursor = connection.cursor()
        for seed in seeds:  # file names we wrote ourselves
            cursor.execute(f"drop table if exists main.{seed.stem}")
    finally:
        connection.close()


def _engine(target: str) -> str:
    return "emulated Snowflake" if target == EMULATED else "DuckDB"


def _require_success(results: dict, target: str, where: str) -> None:
    from sproutly.dbt import failed_nodes, failure_messages, node_statuses

    bad = failed_nodes(node_statuses(results), skipped=True)
    if not results["results"]:
        _fail(f"dbt selected nothing on {_engine(target)}.", f"is the model in {where}?")
    if bad:
        messages = failure_messages(results, skipped=True)
        lines = "\n".join(
            f"  {unique_id} ({status}): {messages[unique_id][:400]}"
            for unique_id, status in bad.items()
        )
        _fail(f"building on {_engine(target)} failed:\n{lines}", f"open {where} and fix it.")


def fetch(
    sb: Sandbox, relation: str, target: str, emulator: Emulator | None = None
) -> pd.DataFrame:
    """Every row of ``schema.table`` from one engine, lower-case column names, sorted."""
    if target == EMULATED:
        answered(emulator, "the emulator")
        connection = _connect(emulator)
        try:
            cursor = connection.cursor()
            cursor.execute(f"select * from {relation}")  # noqa: S608 - fixed relation names
            names = [d[0].lower() for d in cursor.description]
            frame = pd.DataFrame(cursor.fetchall(), columns=names)
        finally:
            connection.close()
    else:
        frame = sb.query(f"select * from {relation}")  # noqa: S608 - fixed relation names
        frame.columns = [c.lower() for c in frame.columns]
    for column in frame.columns:  # DATE comes back as datetime64 from DuckDB, date from Snowflake
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = frame[column].dt.date
    frame = frame.astype({c: "object" for c in frame.columns})
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


def _compiled(results: dict, name: str) -> str:
    return next(
        (
            row.get("compiled_code") or ""
            for row in results["results"]
            if row["unique_id"].endswith(f".{name}")
        ),
        "",
    )


# -- exercise 1: a dispatched macro -------------------------------------------------------------
def setup_calendar(sb: Sandbox) -> Path:
    """Write ``dim_calendar`` (which calls ``weekday_name``) and its contract into ``sb``."""
    sb.write_file("models/marts/dim_calendar.sql", CALENDAR_SQL)
    sb.write_file("models/marts/_calendar__models.yml", CALENDAR_YAML)
    return sb.project_dir / "models/marts/dim_calendar.sql"


def calendar_reference() -> pd.DataFrame:
    """January 2026 with three-letter weekday names, computed in Python (the reference)."""
    days = [CALENDAR_START + timedelta(days=i) for i in range(CALENDAR_DAYS)]
    return pd.DataFrame(
        {"date_day": days, "weekday_name": [d.strftime("%a") for d in days]}, dtype="object"
    )


def _macro_names(sb: Sandbox) -> set[str]:
    """Names of the project's own macros in the emulated build's manifest."""
    from sproutly.dbt import manifest

    try:
        macros = manifest(sb.project_dir / f"target_{EMULATED}")["macros"]
    except FileNotFoundError:
        return set()
    return {m["name"] for m in macros.values() if m["package_name"] == "sproutly"}


def calendar_is_portable(sb: Sandbox, emulator: Emulator) -> pd.DataFrame:
    """``dim_calendar`` builds and passes its tests on DuckDB and on emulated Snowflake, both
    give the reference rows, and ``weekday_name`` is dispatched per engine without DuckDB-only
    functions on the Snowflake side. Returns the rows (one row per engine and day)."""
    answered(sb, "the sandbox")
    macro_file = sb.project_dir / "macros" / "weekday_name.sql"
    if not macro_file.exists():
        _fail(
            "macros/weekday_name.sql does not exist in the sandbox.",
            "write it with sb.write_file('macros/weekday_name.sql', weekday_name_sql).",
        )
    expected = calendar_reference()
    shown = []
    for target in ("dev", EMULATED):
        results = _build(sb, "dim_calendar", target, emulator)
        model = [r for r in results["results"] if r["unique_id"] == "model.sproutly.dim_calendar"]
        if model and model[0]["status"] == "success":  # compare the rows before the tests
            rows = fetch(sb, "marts.dim_calendar", target, emulator)
            merged = expected.merge(rows, on="date_day", how="left", suffixes=("", "_built"))
            wrong = merged[merged["weekday_name"] != merged["weekday_name_built"]]
            if not wrong.empty:
                first = wrong.iloc[0]
                _fail(
                    f"on {_engine(target)}, {first['date_day']} is "
                    f"{first['weekday_name_built']!r}, expected {first['weekday_name']!r} "
                    f"({len(wrong)} of {len(expected)} days wrong).",
                    "three-letter names: DuckDB strftime(x, '%a'), Snowflake dayname(x).",
                )
        _require_success(results, target, "macros/weekday_name.sql")
        if target == EMULATED:
            names = _macro_names(sb)
            implementations = {"duckdb__weekday_name", "snowflake__weekday_name"} & names
            if "weekday_name" not in names or not implementations:
                _fail(
                    "weekday_name is not dispatched: no duckdb__weekday_name or "
                    "snowflake__weekday_name macro found.",
                    "call adapter.dispatch('weekday_name', 'sproutly')(column) and write one "
                    "implementation per engine (compare show.sql('cross_engine')).",
                )
            compiled = _compiled(results, "dim_calendar").lower()
            used = [f.rstrip("(") for f in DUCKDB_ONLY if f in compiled]
            if used:
                _fail(
                    f"the Snowflake SQL of dim_calendar calls {', '.join(used)}, which Snowflake "
                    "does not have. The emulator runs it (it executes on DuckDB), a real account "
                    "would not.",
                    "give snowflake__weekday_name Snowflake's own function: dayname(x).",
                )
        shown.append(rows.assign(engine=_engine(target)))
    return pd.concat(shown, ignore_index=True)[["engine", "date_day", "weekday_name"]]


# -- exercise 2: a NULL-ordering difference -----------------------------------------------------
def setup_current_prices(sb: Sandbox) -> Path:
    """Write the price-history seed and the planted model ``int_plan_prices_current``."""
    sb.write_file("seeds/plan_price_history.csv", PRICE_HISTORY_CSV)
    return sb.write_file(CURRENT_PRICES_PATH, CURRENT_PRICES_SQL)


def current_prices_reference() -> pd.DataFrame:
    """The current price per plan (the row whose ``valid_to`` is empty), from the CSV itself."""
    import io

    history = pd.read_csv(io.StringIO(textwrap.dedent(PRICE_HISTORY_CSV).strip()))
    current = history[history["valid_to"].isna()].drop(columns="valid_to")
    current["valid_from"] = pd.to_datetime(current["valid_from"]).dt.date
    current["price_cents"] = current["price_cents"].astype(int)
    current = current.astype("object")
    return current.sort_values(list(current.columns)).reset_index(drop=True)


def both_engines(sb: Sandbox, emulator: Emulator) -> pd.DataFrame:
    """Build the seed and ``int_plan_prices_current`` on both engines, then compare them with
    the cutover's parity report (``cutover.parity``): rows and an order-independent hash."""
    from cutover.parity import parity_report

    answered(sb, "the sandbox")
    for target in ("dev", EMULATED):
        results = _build(sb, f"+{CURRENT_PRICES}", target, emulator)
        _require_success(results, target, CURRENT_PRICES_PATH)
    with quiet():
        report = parity_report(
            _warehouse(sb),
            lambda: _connect(emulator),
            sb.project_dir / f"target_{EMULATED}" / "manifest.json",
            marts=[("intermediate", CURRENT_PRICES)],
        )
    report = report.rename(columns={"mart": "model"})
    return report.rename(columns=lambda c: c.replace("snowflake_", "emulated_snowflake_"))


def _warehouse(sb: Sandbox) -> Path:
    """The sandbox's own DuckDB file."""
    from sproutly import paths

    return sb.data_dir / "warehouse" / paths.warehouse_path("dev").name


def side_by_side(sb: Sandbox, emulator: Emulator) -> pd.DataFrame:
    """One row per plan: the price each engine chose for ``int_plan_prices_current`` (as last
    built), and whether they agree."""
    relation = f"intermediate.{CURRENT_PRICES}"
    left = fetch(sb, relation, "dev")
    right = fetch(sb, relation, EMULATED, emulator)
    merged = left[["plan_id", "price_cents"]].merge(
        right[["plan_id", "price_cents"]], on="plan_id", how="outer", suffixes=("_l", "_r")
    )
    merged = merged.rename(
        columns={"price_cents_l": "DuckDB", "price_cents_r": "emulated Snowflake"}
    )
    merged["equal"] = merged["DuckDB"] == merged["emulated Snowflake"]
    return merged.sort_values("plan_id").reset_index(drop=True)
