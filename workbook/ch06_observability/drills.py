"""Chapter 06 incident drills: inject a fault, watch it get caught, fix it, prove nothing was lost.

A drill is rehearsed the way the incident would unfold in production, with the project's own
pieces: the microproduct's fault switches break the source, the real Dagster assets and checks
detect it, the real run-failure sensor alerts, and the fix is a normal pipeline operation
(a backfill). What this module adds is only what a drill needs around them:

    day = start_schema_drift()                       # the product renames `platform` to `os`
    run = run_slice(instance, day)                   # ingest + the event models + publish
    alert_on_failure(instance, run)                  # what the daemon's failure sensor would do
    redeliver_corrected(day)                         # the producer re-sends the day, fixed
    run = run_slice(instance, day, backfill=True)    # reload that partition, rebuild, publish
    events_reconciliation(day)                       # lines delivered = raw rows + quarantined
"""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta

import dagster as dg
import pandas as pd

from sproutly import clock, paths
from workbook.query import query

#: The part of the graph an events incident touches: the events partition, the dbt models that
#: read events, the calendar spine (a table ending at yesterday), and publish.
EVENTS_SLICE = (
    dg.AssetKey(["raw", "events"]),
    dg.AssetKey(["staging", "stg_events__events"]),
    dg.AssetKey(["intermediate", "int_events_deduped"]),
    dg.AssetKey(["intermediate", "int_calendar_days"]),
    dg.AssetKey(["marts", "fct_active_users_daily"]),
    dg.AssetKey("published_marts"),
)
SIMULATED_NOW_TAG = "sproutly/simulated_now"


def project_instance() -> dg.DagsterInstance:
    """The project's Dagster instance (``$DAGSTER_HOME`` in the data folder): runs executed on
    it are part of the recorded history, like the ones the schedule started."""
    from orchestration.instance import ensure_dagster_home

    ensure_dagster_home()
    return dg.DagsterInstance.get()


def start_schema_drift() -> str:
    """Switch the ``renamed_column`` fault on for one day and simulate that day; returns the
    drop date (the events partition) whose files carry ``os`` instead of ``platform``."""
    from workbook.pipeline import simulation

    sim = simulation()
    today = sim.day
    sim.inject("renamed_column", from_day=today, to_day=today + 1)
    sim.advance(1)
    return (clock.now() - timedelta(days=1)).date().isoformat()


def run_slice(
    instance: dg.DagsterInstance,
    day: str,
    *,
    backfill: bool = False,
    definitions: dg.Definitions | None = None,
) -> dg.ExecuteInProcessResult:
    """Run :data:`EVENTS_SLICE` of the daily job for partition ``day`` on ``instance`` quietly,
    tagged with the simulated clock (and as a backfill: delete + insert of the partition).
    Pass the loaded ``definitions`` to avoid loading them again."""
    from workbook.ch05_orchestration.views import run_quietly

    if definitions is None:
        from orchestration.definitions import defs

        definitions = defs()

    tags = {SIMULATED_NOW_TAG: clock.now().isoformat(sep=" ")}
    if backfill:
        tags["sproutly/backfill"] = "true"
    job = definitions.resolve_job_def("daily_pipeline")
    return run_quietly(job, partition_key=day, selection=EVENTS_SLICE, instance=instance, tags=tags)


def alert_on_failure(instance: dg.DagsterInstance, result: dg.ExecuteInProcessResult) -> None:
    """Evaluate the project's run-failure sensor for a failed run, as the daemon would: one
    alert per failure chain, sent to the sink (``data/alerts.jsonl`` without a webhook)."""
    from orchestration.defs.sensors import alert_for_failed_run

    alert_for_failed_run(instance, result)


def check_results(result: dg.ExecuteInProcessResult) -> pd.DataFrame:
    """The asset checks that did not pass in a run: asset, check, severity (sorted)."""
    rows = [
        {
            "asset": "/".join(e.asset_key.path),
            "check": e.check_name,
            "severity": e.severity.value,
        }
        for e in result.get_asset_check_evaluations()
        if not e.passed
    ]
    frame = pd.DataFrame(rows, columns=["asset", "check", "severity"])
    return frame.sort_values(["asset", "check"]).reset_index(drop=True)


def step_outcomes(result: dg.ExecuteInProcessResult) -> pd.DataFrame:
    """Each step of a run and how it ended: ``success``, ``failure`` or ``skipped``."""
    outcome: dict[str, str] = {}
    for event in result.all_events:
        if event.step_key is None:
            continue
        if event.is_step_success:
            outcome[event.step_key] = "success"
        elif event.is_step_failure:
            outcome[event.step_key] = "failure"
        elif event.is_step_skipped:
            outcome[event.step_key] = "skipped"
        elif event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
            outcome.setdefault(event.step_key, "success")
    frame = pd.DataFrame(sorted(outcome.items()), columns=["step", "outcome"])
    return frame


def materialised(result: dg.ExecuteInProcessResult) -> list[str]:
    """The assets a run materialised, sorted."""
    return sorted(
        {
            "/".join(e.event_specific_data.materialization.asset_key.path)
            for e in result.get_asset_materialization_events()
        }
    )


def _partition_folder(day: str):
    return paths.landing_dir() / "events" / f"date={date.fromisoformat(day).isoformat()}"


def drifted_keys(day: str) -> dict[str, int]:
    """How many lines of the day's files carry ``platform`` and how many ``os``."""
    counts = {"platform": 0, "os": 0}
    for path in sorted(_partition_folder(day).glob("*.jsonl")):
        for line in path.read_text().splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            for key in counts:
                counts[key] += key in record
    return counts


def redeliver_corrected(day: str) -> dict[str, int]:
    """The producer fixes its exporter and re-sends the day: every file of the partition is
    replaced by its corrected export (``os`` renamed back to ``platform``, nothing else changed).
    The drifted originals are kept under ``<data>/incidents/`` as evidence.

    Returns files and lines re-delivered. Lines that are not JSON stay as they are (the loader
    quarantines them, as it would have before)."""
    folder = _partition_folder(day)
    evidence = paths.data_dir() / "incidents" / "schema_drift" / folder.name
    evidence.mkdir(parents=True, exist_ok=True)
    files = lines = 0
    for path in sorted(folder.glob("*.jsonl")):
        shutil.copy2(path, evidence / path.name)
        corrected = []
        for line in path.read_text().splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                corrected.append(line)
                continue
            if "os" in record and "platform" not in record:
                record = {("platform" if k == "os" else k): v for k, v in record.items()}
            corrected.append(json.dumps(record, separators=(",", ":")))
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text("".join(f"{line}\n" for line in corrected), encoding="utf-8")
        tmp.replace(path)
        files, lines = files + 1, lines + len(corrected)
    return {"files": files, "lines": lines}


def events_reconciliation(day: str) -> pd.DataFrame:
    """Nothing lost for one events partition: lines in the landing files = rows in raw.events
    + lines in quarantine (both found by the partition's ``events/date=.../`` prefix)."""
    folder = _partition_folder(day)
    delivered = sum(len(p.read_text().splitlines()) for p in sorted(folder.glob("*.jsonl")))
    prefix = f"events/{folder.name}/%"
    counts = query(
        "select (select count(*) from raw.events where _source like ?) as raw_rows, "
        "(select count(*) from meta.quarantine where location like ?) as quarantined",
        [prefix, prefix],
    )
    raw_rows, quarantined = int(counts["raw_rows"].iloc[0]), int(counts["quarantined"].iloc[0])
    return pd.DataFrame(
        [
            {
                "partition": day,
                "lines_delivered": delivered,
                "raw_rows": raw_rows,
                "quarantined": quarantined,
                "lost": delivered - raw_rows - quarantined,
            }
        ]
    )


def billing_reconciliation() -> pd.DataFrame:
    """Nothing lost after the API outage: every invoice and payment the billing system holds
    (updated before "now") is in raw (a log: count distinct keys) or in quarantine."""
    now = clock.now().isoformat(sep=" ")
    rows = []
    for entity, key in (("invoices", "invoice_id"), ("payments", "payment_id")):
        source = query(
            f"select count(*) as n from {entity} where replace(replace(updated_at, 'T', ' '), 'Z', '') < ?",  # noqa: S608,E501
            [now],
            database="billing",
        )["n"].iloc[0]
        counts = query(
            f"select (select count(distinct {key}) from raw.billing_{entity}) as raw_keys, "  # noqa: S608
            "(select count(*) from meta.quarantine where source = 'billing' and entity = ?) "
            "as quarantined",
            [entity],
        )
        raw_keys, quarantined = int(counts["raw_keys"].iloc[0]), int(counts["quarantined"].iloc[0])
        rows.append(
            {
                "entity": entity,
                "source_rows": int(source),
                "raw_keys": raw_keys,
                "quarantined": quarantined,
                "lost": int(source) - raw_keys - quarantined,
            }
        )
    return pd.DataFrame(rows)


def all_events_reconciliation() -> pd.DataFrame:
    """Nothing lost over every partition: delivered lines vs raw rows + quarantined lines."""
    delivered = sum(
        len(p.read_text().splitlines())
        for p in sorted((paths.landing_dir() / "events").glob("date=*/*.jsonl"))
    )
    counts = query(
        "select (select count(*) from raw.events) as raw_rows, "
        "(select count(*) from meta.quarantine where entity = 'events') as quarantined"
    )
    raw_rows, quarantined = int(counts["raw_rows"].iloc[0]), int(counts["quarantined"].iloc[0])
    return pd.DataFrame(
        [
            {
                "lines_delivered": delivered,
                "raw_rows": raw_rows,
                "quarantined": quarantined,
                "lost": delivered - raw_rows - quarantined,
            }
        ]
    )
