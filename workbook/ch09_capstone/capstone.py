"""The capstone: the support-ticket export from the landing folder to a served endpoint, in one
sandbox (``<data>/sandboxes/capstone/``), one step at a time.

| step | the learner writes | command | check |
|---|---|---|---|
| 1 | ``loaders/support_tickets.py`` | ``python -m loaders.support_tickets`` (twice) | :func:`loader` |
| 2 | ``_support__sources.yml`` + ``stg_support__tickets.sql`` | ``dbt build --select source:support+`` | :func:`staging` |
| 3 | ``fct_support_tickets_daily.sql`` + its contract YAML | ``dbt build --select fct_support_tickets_daily`` | :func:`mart` |
| 4 | ``_support__semantic.yml`` (a semantic model, a metric) | the same build | :func:`metric` |
| 5 | ``orchestration/defs/support.py`` (the asset) | ``python -m dagster definitions validate`` | :func:`orchestrated` |
| 6 | ``serving/support_tickets.py`` + ``serving/test_support_tickets.py`` | ``python -m pytest serving/test_support_tickets.py`` | :func:`endpoint` |

Every check runs the learner's code or reads what the tools recorded (the sandbox's warehouse,
``manifest.json``, ``run_results.json``, the published copy) and compares it with a reference
computed another way (Python over the landing files, pandas over the staged rows). None prints an
expected value.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import warnings
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import httpx
import pandas as pd

from sproutly import paths
from workbook import checks
from workbook.sandbox import Sandbox, sandbox

LANDING = "sources/landing/support"
LOADER_PATH = "loaders/support_tickets.py"
LOADER_COMMAND = "python -m loaders.support_tickets"
SOURCES_PATH = "models/staging/support/_support__sources.yml"
STAGING_PATH = "models/staging/support/stg_support__tickets.sql"
STAGING_COMMAND = "dbt build --select source:support+ --quiet"
MART = "fct_support_tickets_daily"
MART_PATH = f"models/marts/support/{MART}.sql"
MART_YAML_PATH = "models/marts/support/_support__models.yml"
SEMANTIC_PATH = "models/marts/support/_support__semantic.yml"
MART_COMMAND = f"dbt build --select {MART} --quiet"
METRIC = "support_tickets_opened"
ASSET_PATH = "orchestration/defs/support.py"
VALIDATE = (
    "python -W ignore::FutureWarning -m dagster definitions validate "
    "-m orchestration.definitions --log-level error"
)
ROUTER_PATH = "serving/support_tickets.py"
ROUTER = "support_tickets"
ENDPOINT = "/v1/support/tickets-daily"
TEST_PATH = "serving/test_support_tickets.py"
TEST_COMMAND = f"python -m pytest {TEST_PATH} -q -p no:cacheprovider"

COLUMNS = [
    "ticket_id",
    "user_id",
    "opened_at",
    "first_response_at",
    "closed_at",
    "priority",
    "channel",
    "status",
    "updated_at",
]
TIMESTAMPS = ("opened_at", "first_response_at", "closed_at", "updated_at")
REQUIRED = ("ticket_id", "user_id", "opened_at", "status", "updated_at")
STAGED = [
    "ticket_id",
    "user_id",
    "priority",
    "channel",
    "ticket_status",
    "opened_at",
    "first_response_at",
    "closed_at",
    "updated_at",
]
DAILY = [
    "opened_date",
    "tickets_opened",
    "tickets_closed",
    "tickets_high_priority",
    "tickets_answered_within_4h",
]


def capstone_sandbox() -> Sandbox:
    """The capstone's sandbox: the dbt project and the warehouse at the staging rung, the ticket
    export's landing folder, a copy of the read API, and an empty ``loaders/`` folder."""
    return sandbox(
        "capstone",
        data=[LANDING],
        folders=["loaders"],
        copy=["serving", "orchestration", "pyproject.toml"],
        write=[
            LOADER_PATH,
            SOURCES_PATH,
            STAGING_PATH,
            MART_PATH,
            MART_YAML_PATH,
            SEMANTIC_PATH,
            ASSET_PATH,
            ROUTER_PATH,
            TEST_PATH,
        ],
        command=[LOADER_COMMAND, STAGING_COMMAND, MART_COMMAND, VALIDATE, TEST_COMMAND],
    )


def _written(sb: Sandbox, relative: str, command: str) -> None:
    """``checks.file_written`` with this step's command in the hint (the sandbox has several)."""
    try:
        checks.file_written(sb, relative)
    except AssertionError as error:
        problem = str(error).split("\nHint:")[0]
        checks._fail(
            problem, f"write it (the %%writefile cell, or the editor), then run !{command}."
        )


# -- step 1: the loader -------------------------------------------------------------------------
def _reference_lines(landing: Path) -> tuple[int, int]:
    """(good lines, bad lines) of the export under ``landing``, judged line by line."""
    good = bad = 0
    for path in sorted(landing.glob("date=*/*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            good, bad = (good + 1, bad) if _parses(line) else (good, bad + 1)
    return good, bad


def _parses(line: str) -> bool:
    try:
        record = json.loads(line)
        if any(record.get(column) is None for column in REQUIRED):
            return False
        for column in TIMESTAMPS:
            if record.get(column) is not None:
                datetime.strptime(record[column], "%Y-%m-%dT%H:%M:%SZ")
        return isinstance(record["user_id"], int)
    except (ValueError, TypeError, AttributeError):
        return False


def _counts(warehouse: Path) -> tuple[int, int]:
    """Rows in ``raw.support_tickets`` and ``raw.support_tickets_quarantine``."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = {
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'raw'"
            ).fetchall()
        }
        for table in ("support_tickets", "support_tickets_quarantine"):
            if table not in tables:
                checks._fail(
                    f"after your loader ran there is no table raw.{table}.",
                    "create it in the loader (create table if not exists ...) before inserting.",
                )
        return tuple(
            con.execute(f"select count(*) from raw.{table}").fetchall()[0][0]  # noqa: S608
            for table in ("support_tickets", "support_tickets_quarantine")
        )


def _quarantine_is_explained(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        columns = {
            name
            for (name,) in con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = 'raw' and table_name = 'support_tickets_quarantine'"
            ).fetchall()
        }
        if not {"reason", "_source"} <= columns:
            checks._fail(
                "raw.support_tickets_quarantine needs the columns reason and _source "
                f"(it has: {', '.join(sorted(columns))}).",
                "a quarantined line says why it was refused and where it came from (file:line).",
            )
        unexplained = con.execute(
            "select count(*) from raw.support_tickets_quarantine "
            "where coalesce(trim(reason), '') = '' or coalesce(trim(_source), '') = ''"
        ).fetchall()[0][0]
    if unexplained:
        checks._fail(
            f"{unexplained} quarantined line(s) have no reason or no _source.",
            "store the file and line number and what was wrong with each refused line.",
        )


def loader(sb: Sandbox) -> None:
    """Step 1: ``load_tickets(landing, warehouse)`` loads every line once (typed rows into
    ``raw.support_tickets``, refused lines with a reason into ``raw.support_tickets_quarantine``),
    reads a file only once, and its command has loaded the sandbox's warehouse."""
    checks.answered(sb, "the sandbox")
    _written(sb, LOADER_PATH, LOADER_COMMAND)
    load = checks.defined(
        sb.root / LOADER_PATH,
        "load_tickets",
        shown=LOADER_PATH,
        fix=f"run !{LOADER_COMMAND} to see the traceback and the line.",
        naming="name the function load_tickets(landing, warehouse).",
    )
    landing = sb.data_dir / LANDING
    files = sorted(landing.glob("date=*/*.jsonl"))
    with tempfile.TemporaryDirectory() as folder:
        copy, warehouse = Path(folder) / "support", Path(folder) / "warehouse.duckdb"
        early, late = files[: len(files) // 2], files[len(files) // 2 :]
        for path in early:
            (copy / path.parent.name).mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, copy / path.parent.name / path.name)
        load(copy, warehouse)
        good, bad = _reference_lines(copy)
        raw, quarantined = _counts(warehouse)
        if raw + quarantined != good + bad:
            checks._fail(
                f"a first load of {len(early)} files stored {raw} row(s) in raw and "
                f"{quarantined} in quarantine: not one row per line of the files.",
                "every line goes somewhere: raw when it parses, quarantine (with a reason) when "
                "it does not. A re-sent line is loaded again (raw is a log).",
            )
        checks.equal(
            quarantined,
            bad,
            what=f"lines quarantined from the first {len(early)} files",
            hint="refuse a line that is not JSON, lacks a required key or holds a timestamp "
            "that is not like 2026-01-05T09:12:44Z; load every other line.",
        )
        _quarantine_is_explained(warehouse)
        load(copy, warehouse)
        if _counts(warehouse) != (raw, quarantined):
            checks._fail(
                "a second run with no new file changed the tables: a re-run must add nothing.",
                "keep the state of what was loaded (the files already read) in the warehouse and "
                "skip those files.",
            )
        for path in late:  # the next days arrive
            (copy / path.parent.name).mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, copy / path.parent.name / path.name)
        load(copy, warehouse)
        good, bad = _reference_lines(copy)
        if sum(_counts(warehouse)) != good + bad:
            checks._fail(
                f"after {len(late)} new files arrived, raw + quarantine no longer hold one row "
                "per line of all files.",
                "a run loads exactly the files it has not loaded before.",
            )
    mine = sb.data_dir / "warehouse" / paths.warehouse_path().name
    good, bad = _reference_lines(landing)
    try:
        loaded = sum(_counts(mine))
    except duckdb.Error as error:
        checks._fail(f"reading the sandbox's warehouse failed: {error}", "close any connection.")
    if loaded != good + bad:
        checks._fail(
            f"the sandbox's warehouse holds {loaded} ticket row(s) (raw + quarantine): not "
            "every line of its landing folder.",
            f"run !{LOADER_COMMAND} (its __main__ loads the sandbox's landing folder).",
        )


# -- step 2: staging ----------------------------------------------------------------------------
def _latest_versions(raw: pd.DataFrame) -> pd.DataFrame:
    """One row per ticket: the version with the latest ``updated_at`` (pandas, not SQL)."""
    ordered = raw.sort_values(["ticket_id", "updated_at", "_source"])
    return ordered.groupby("ticket_id", as_index=False).tail(1)


def staged_reference(sb: Sandbox) -> pd.DataFrame:
    raw = sb.query("select * from raw.support_tickets")
    latest = _latest_versions(raw).rename(columns={"status": "ticket_status"})
    return latest[STAGED].reset_index(drop=True)


def _source_is_fresh(sb: Sandbox) -> None:
    manifest = sb.manifest()
    for source in manifest.get("sources", {}).values():
        if (source.get("source_name"), source.get("name")) != ("support", "support_tickets"):
            continue
        freshness = source.get("freshness") or {}
        if not (freshness.get("warn_after") or {}).get("count") or not source.get(
            "loaded_at_field"
        ):
            checks._fail(
                "the source support.support_tickets declares no freshness (warn_after) or no "
                "loaded_at_field.",
                "every source has freshness (chapter 02): say which column holds the load time "
                "and after how long it is stale.",
            )
        return
    checks._fail(
        "there is no source support with a table support_tickets in the sandbox's project.",
        f"declare it in {SOURCES_PATH}.",
    )


def staging(sb: Sandbox) -> None:
    """Step 2: the source (with freshness and a test), ``stg_support__tickets`` (one row per
    ticket, its latest version, typed and renamed, with its tests) built and passing."""
    checks.answered(sb, "the sandbox")
    _written(sb, SOURCES_PATH, STAGING_COMMAND)
    _written(sb, STAGING_PATH, STAGING_COMMAND)
    checks.dbt_passed(sb, "stg_support__tickets")
    _source_is_fresh(sb)
    checks.tested(sb, "source:support.support_tickets", "ticket_id", ["not_null"])
    checks.reads_only(sb, "stg_support__tickets", ["source:support.support_tickets"])
    checks.documented(sb, "stg_support__tickets", grain="ticket_id")
    checks.tested(sb, "stg_support__tickets", "ticket_status", ["accepted_values"])
    checks.tested(sb, "stg_support__tickets", "user_id", ["relationships"])
    mine = sb.query("select * from staging.stg_support__tickets")
    checks.same_rows(mine, staged_reference(sb), key="ticket_id")


# -- step 3: the mart ---------------------------------------------------------------------------
def daily_reference(sb: Sandbox) -> pd.DataFrame:
    """The mart, computed in pandas from the staged tickets."""
    tickets = sb.query("select * from staging.stg_support__tickets")
    tickets["opened_date"] = tickets["opened_at"].dt.date
    answered = tickets["first_response_at"] <= tickets["opened_at"] + timedelta(hours=4)
    tickets = tickets.assign(
        closed=tickets["closed_at"].notna().astype(int),
        high=tickets["priority"].isin(["high", "urgent"]).astype(int),
        fast=answered.fillna(False).astype(int),
    )
    daily = tickets.groupby("opened_date", as_index=False).agg(
        tickets_opened=("ticket_id", "size"),
        tickets_closed=("closed", "sum"),
        tickets_high_priority=("high", "sum"),
        tickets_answered_within_4h=("fast", "sum"),
    )
    return daily.astype({c: "int64" for c in DAILY[1:]})


def mart(sb: Sandbox) -> None:
    """Step 3: ``fct_support_tickets_daily`` built under an enforced contract, reading only the
    staged tickets, its grain documented and tested, its rows right."""
    checks.answered(sb, "the sandbox")
    _written(sb, MART_PATH, MART_COMMAND)
    _written(sb, MART_YAML_PATH, MART_COMMAND)
    checks.dbt_passed(sb, MART)
    _, _, node = checks._sandbox_model(sb, MART)
    if not (node.get("config", {}).get("contract") or {}).get("enforced"):
        checks._fail(f"{MART} has no enforced contract.", "the product reads it: enforce one.")
    checks.reads_only(sb, MART, ["stg_support__tickets"])
    checks.documented(sb, MART, grain="opened_date")
    mine = sb.query(f"select * from marts.{MART}")  # noqa: S608
    checks.columns(mine, DAILY, exact=True)
    mine["opened_date"] = pd.to_datetime(mine["opened_date"]).dt.date
    checks.same_rows(mine, daily_reference(sb), key="opened_date")


# -- step 4: the metric -------------------------------------------------------------------------
def metric(sb: Sandbox) -> None:
    """Step 4: a semantic model over the mart and the simple metric ``support_tickets_opened``
    on one of its measures that sums ``tickets_opened``, per the sandbox's manifest."""
    checks.answered(sb, "the sandbox")
    _written(sb, SEMANTIC_PATH, MART_COMMAND)
    manifest, uid, _ = checks._sandbox_model(sb, MART)
    models = [
        model
        for model in manifest.get("semantic_models", {}).values()
        if uid in model.get("depends_on", {}).get("nodes", [])
    ]
    if not models:
        checks._fail(
            f"no semantic model in the sandbox's manifest is built on {MART}.",
            f"declare one (semantic_models:, model: ref(...)) in {SEMANTIC_PATH} and rebuild: "
            f"!{MART_COMMAND}.",
        )
    measures = {
        measure["name"]: measure for model in models for measure in model.get("measures", [])
    }
    found = manifest.get("metrics", {}).get(f"metric.sproutly.{METRIC}")
    if found is None:
        checks._fail(
            f"there is no metric {METRIC!r} in the sandbox's manifest.",
            f"declare it under metrics: in {SEMANTIC_PATH}, then rebuild.",
        )
    if found.get("type") != "simple":
        checks._fail(f"{METRIC} is a {found.get('type')} metric.", "make it a simple metric.")
    measure = ((found.get("type_params") or {}).get("measure") or {}).get("name")
    if measure not in measures:
        checks._fail(
            f"{METRIC} uses the measure {measure!r}, which is not one of the semantic model's "
            f"({', '.join(sorted(measures)) or 'none'}).",
            "point type_params: measure: at a measure of your semantic model.",
        )
    definition = measures[measure]
    checks.equal(
        (definition.get("agg"), definition.get("expr") or measure),
        ("sum", "tickets_opened"),
        what=f"the aggregation and column of the measure {measure!r}",
        hint="tickets opened in a week are the sum of the days' tickets_opened.",
    )


# -- step 5: the loader as a Dagster asset ------------------------------------------------------
def orchestrated(sb: Sandbox) -> None:
    """Step 5: ``orchestration/defs/support.py`` defines the asset ``support_tickets`` on the key
    ``raw/support_tickets`` (dbt's source maps onto it), in the warehouse pool, with a retry
    policy; run as a function it loads nothing new (the export is loaded); dbt's freshness of the
    source (the SLO the project's ``source_freshness`` check evaluates and alerts on) passes."""
    import dagster as dg

    checks.answered(sb, "the sandbox")
    _written(sb, ASSET_PATH, VALIDATE)
    with warnings.catch_warnings():  # Dagster's beta notes on the project's own assets
        warnings.simplefilter("ignore")
        asset = checks.defined(
            sb.root / ASSET_PATH,
            "support_tickets",
            shown=ASSET_PATH,
            fix=f"run !{VALIDATE}: it names the file and the line.",
            naming="name the asset function support_tickets.",
        )
    if not isinstance(asset, dg.AssetsDefinition):
        checks._fail(
            f"support_tickets is a {type(asset).__name__}, not a Dagster asset.",
            "decorate the function with @dg.asset(...).",
        )
    if dg.AssetKey(["raw", "support_tickets"]) not in asset.keys:
        checks._fail(
            f"the asset's key is {asset.key.to_user_string()}: dbt's source support.support_tickets "
            "maps onto raw/support_tickets, so staging would not run after your asset.",
            "use orchestration.defs.ingest.raw_key for the key.",
        )
    if asset.op.pool != "warehouse":
        checks._fail(
            f"the asset's pool is {asset.op.pool!r}: it writes the DuckDB file.",
            "every writer of the warehouse sits in the pool orchestration.instance.WAREHOUSE_POOL.",
        )
    if asset.op.retry_policy is None or not asset.op.retry_policy.max_retries:
        checks._fail(
            "the asset has no retry policy.",
            "a load that fails on a busy file or a half-written export is retried (chapter 05).",
        )
    before = _counts(sb.data_dir / "warehouse" / paths.warehouse_path().name)
    try:
        asset()
    except Exception as error:  # the learner's code: show its own error
        checks._fail(
            f"running the asset raised {type(error).__name__}: {str(error).splitlines()[0]}",
            "it calls load_tickets on the sandbox's landing folder and warehouse (sproutly.paths).",
        )
    after = _counts(sb.data_dir / "warehouse" / paths.warehouse_path().name)
    if after != before:
        checks._fail(
            "running the asset again changed raw or quarantine, although no file is new.",
            "the asset calls your loader (step 1), which skips the files already loaded.",
        )
    from sproutly.dbt import freshness_results

    target = sb.project_dir / "target_freshness"  # not the build's run_results (the audit's)
    sb.dbt("source", "freshness", "--select", "source:support", "--target-path", str(target))
    try:
        results = freshness_results(target).get("results", [])
    except FileNotFoundError:
        results = []
    statuses = {r.get("unique_id", ""): r.get("status") for r in results}
    mine = [s for uid, s in statuses.items() if uid.endswith("support.support_tickets")]
    if mine != ["pass"]:
        checks._fail(
            f"dbt source freshness of support.support_tickets: {mine or 'not evaluated'}.",
            "the source declares freshness on _loaded_at (step 2), and the load stamps it with "
            "the simulated now (sproutly.clock.now()).",
        )


# -- step 6: publish and serve ------------------------------------------------------------------
def publish_mart(sb: Sandbox) -> None:
    """Write-audit-publish for the capstone's mart (``orchestration/publish.py``, chapter 07):
    only when the sandbox's last dbt build passed, copy ``fct_support_tickets_daily`` into the
    sandbox's published copy. Prints what happened; never raises (the checks say what is wrong)."""
    from orchestration.publish import PublishBlocked, Relation, audit, publish

    target = sb.project_dir / "target" / "run_results.json"
    try:
        audit(target)
        result = publish(
            [Relation("marts", MART)],
            warehouse=sb.data_dir / "warehouse" / paths.warehouse_path().name,
            serving=sb.data_dir / "serving" / paths.serving_path().name,
        )
    except (PublishBlocked, duckdb.Error) as error:
        print(f"nothing published: {str(error).splitlines()[0]}")
        return
    print(f"published {', '.join(f'{t} ({n} rows)' for t, n in result.tables.items())}")


def _published() -> pd.DataFrame:
    from workbook.query import query

    return query(
        f"select strftime(opened_date, '%Y-%m-%d') as opened_date, {', '.join(DAILY[1:])} "  # noqa: S608
        f"from {MART} order by opened_date",
        database="serving",
    )


#: The learner's test must fail against this router (every day's answer is empty).
EMPTY_ROUTER = f'''
from datetime import date

from fastapi import APIRouter

{ROUTER} = APIRouter()


@{ROUTER}.get("{ENDPOINT}")
def nothing(start: date, end: date) -> dict:
    return {{"start": start.isoformat(), "end": end.isoformat(), "days": []}}
'''


def endpoint(sb: Sandbox) -> None:
    """Step 6: the router ``support_tickets`` answers ``GET /v1/support/tickets-daily`` like the
    published copy (422 for a missing or malformed date, 400 for a reversed range); the learner's
    test passes on it and fails on a router that answers no days."""
    from fastapi import APIRouter

    from serving import running

    checks.answered(sb, "the sandbox")
    _written(sb, ROUTER_PATH, TEST_COMMAND)
    router = checks.defined(
        sb.root / ROUTER_PATH,
        ROUTER,
        shown=ROUTER_PATH,
        fix=f"run !{TEST_COMMAND}: the traceback shows the line.",
        naming=f"name your APIRouter {ROUTER}.",
    )
    if not isinstance(router, APIRouter) or ENDPOINT not in {
        getattr(route, "path", "") for route in router.routes
    }:
        checks._fail(
            f"{ROUTER} is not a FastAPI APIRouter with the route {ENDPOINT}.",
            f"{ROUTER} = APIRouter(), then decorate your function with @{ROUTER}.get(...).",
        )
    try:
        published = _published()
    except Exception as error:  # no published copy, or no mart in it
        checks._fail(
            f"the published copy has no {MART}: {str(error).splitlines()[0]}",
            "rebuild the mart (step 3) and run the publish cell again.",
        )
    days = [datetime.strptime(d, "%Y-%m-%d").date() for d in published["opened_date"]]
    first, last = days[0], days[-1]
    ranges = [(last - timedelta(days=6), last), (first - timedelta(days=3), first), (last, last)]
    with running(routers=[router]) as url, httpx.Client(base_url=url, timeout=10) as client:
        for start, end in ranges:
            what = f"GET {ENDPOINT}?start={start}&end={end}"
            response = client.get(ENDPOINT, params={"start": str(start), "end": str(end)})
            try:
                body = response.json()
            except ValueError:
                body = response.text
            if response.status_code != 200 or not isinstance(body, dict):
                checks._fail(
                    f"{what} answered {response.status_code}: {str(body)[:200]}.",
                    "return the payload for a valid range; a 500 means your endpoint raised.",
                )
            if (body.get("start"), body.get("end")) != (str(start), str(end)):
                checks._fail(
                    f"{what}: 'start' and 'end' in the answer are {body.get('start')!r} and "
                    f"{body.get('end')!r}.",
                    "echo the range you were asked for, as YYYY-MM-DD.",
                )
            if not isinstance(body.get("days"), list):
                checks._fail(f"{what}: no list under 'days'.", 'return {..., "days": rows}.')
            inside = published[published["opened_date"].between(str(start), str(end))]
            mine = pd.DataFrame(body["days"], columns=None)
            if mine.empty:
                mine = pd.DataFrame(columns=DAILY)
            checks.columns(mine, DAILY, exact=True)
            checks.same_rows(mine, inside.reset_index(drop=True), key="opened_date")
            if list(mine["opened_date"]) != sorted(mine["opened_date"]):
                checks._fail(f"{what}: the days are not in order.", "order by the date.")
        for params, status, case in (
            ({"start": str(last)}, 422, "end missing"),
            ({"start": "soon", "end": str(last)}, 422, "a malformed date"),
            ({"start": str(last), "end": str(first)}, 400, "start after end"),
        ):
            response = client.get(ENDPOINT, params=params)
            checks.equal(
                response.status_code,
                status,
                what=f"the status for {case} ({params})",
                hint="typed date parameters give 422; api.check_range gives 400.",
            )
    _written(sb, TEST_PATH, TEST_COMMAND)
    run = sb.pytest(sb.root / TEST_PATH, sb.root)
    if run.returncode != 0:
        checks._fail(
            f"your test fails on your router:\n{run.stdout[-1500:]}",
            f"run !{TEST_COMMAND} and fix the first failure.",
        )
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        shutil.copytree(sb.root / "serving", root / "serving")
        (root / ROUTER_PATH).write_text(EMPTY_ROUTER, encoding="utf-8")
        if sb.pytest(root / TEST_PATH, root).returncode == 0:
            checks._fail(
                "your test also passes on a router that answers every range with no days.",
                "assert on what the chart needs: the days of a range that has data, in order.",
            )
