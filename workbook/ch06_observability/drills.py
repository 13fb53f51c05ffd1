"""Chapter 06 incident drills: inject a fault, watch it get caught, fix it, prove nothing was lost.

A drill is rehearsed the way the incident would unfold in production, with the project's own
pieces, which the chapter calls directly: the microproduct's fault switches break the source
(``simulation().inject(...)``), ``orchestration.runs.execute`` runs the job (the entry point of
``python -m orchestration``), the real run-failure sensor alerts
(``runs.alert_on_failure``), ``orchestration.observability`` reads the run history, and
``ingestion.reconcile`` proves nothing was lost. What this module adds is only what a drill needs
around them:

    EVENTS_SLICE                     # the assets an events incident touches (a quick run)
    drifted_keys(day)                # how many lines of the day's drop carry `platform` / `os`
    redeliver_corrected(day)         # the producer re-sends the day, fixed
    step_outcomes(result)            # each step of a run and how it ended
    check_results(result)            # the asset checks a run did not pass
"""

from __future__ import annotations

import json
import shutil
from datetime import date

import dagster as dg
import pandas as pd

from sproutly import paths

#: The part of the graph an events incident touches: the events partition, the dbt models that
#: read events, the calendar spine (a table ending at yesterday), and publish. Not in it:
#: ``metrics_daily`` and the other marts, which a full daily run rebuilds.
EVENTS_SLICE = (
    dg.AssetKey(["raw", "events"]),
    dg.AssetKey(["staging", "stg_events__events"]),
    dg.AssetKey(["intermediate", "int_events_deduped"]),
    dg.AssetKey(["intermediate", "int_calendar_days"]),
    dg.AssetKey(["marts", "fct_active_users_daily"]),
    dg.AssetKey("published_marts"),
)


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
