"""Chapter 05 helpers: look at the Dagster definitions and a run's result as tables and pictures.

Dagster's own UI is the best place to browse a real deployment; a notebook needs the same facts
as small, deterministic tables (no run ids, no timestamps, no log lines):

    from orchestration.definitions import defs
    definitions = defs()
    asset_table(definitions)            # one row per asset: group, kinds, upstream, partitions
    lineage_plot(definitions)           # the asset graph, left (raw) to right (serving)
    result = runs.execute(job, partition_key="2026-04-30", selection=[...])   # orchestration.runs
    alerts_table()                      # what the failure sensor sent (data/alerts.jsonl)
    run_table(result)                   # what materialised, how many checks passed
"""

from __future__ import annotations

from typing import Any

import dagster as dg
import pandas as pd

#: Asset groups from source to product, the order the lineage is drawn in.
GROUPS = ("raw", "staging", "intermediate", "marts", "snapshots", "serving")
#: The lineage picture's columns: the snapshot (a history of a staging model, read by no other
#: asset) sits next to staging, below the main flow (:data:`SIDE_GROUPS`).
LINEAGE_COLUMNS = ("raw", "staging", "snapshots", "intermediate", "marts", "serving")
SIDE_GROUPS = ("snapshots",)


def key_name(key: dg.AssetKey) -> str:
    """``raw/events`` for ``AssetKey(["raw", "events"])``."""
    return "/".join(key.path)


def _group_order(group: str | None) -> int:
    return GROUPS.index(group) if group in GROUPS else len(GROUPS)


def asset_table(definitions: dg.Definitions) -> pd.DataFrame:
    """One row per asset: key, group, kinds, upstream assets, partitioned?, pool, checks."""
    graph = definitions.resolve_asset_graph()
    rows = []
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        rows.append(
            {
                "asset": key_name(key),
                "group": node.group_name,
                "kinds": ", ".join(sorted(node.kinds)),
                "upstream": ", ".join(sorted(key_name(k) for k in node.parent_keys)),
                "partitioned": node.is_partitioned,
                "pool": ", ".join(sorted(node.pools or [])),
                "checks": len(node.check_keys),
            }
        )
    frame = pd.DataFrame(rows)
    frame["_order"] = frame["group"].map(_group_order)
    return frame.sort_values(["_order", "asset"]).drop(columns="_order").reset_index(drop=True)


def group_summary(definitions: dg.Definitions) -> pd.DataFrame:
    """Assets and asset checks per group, in pipeline order."""
    table = asset_table(definitions)
    summary = (
        table.groupby("group", sort=False)
        .agg(assets=("asset", "size"), checks=("checks", "sum"))
        .reset_index()
    )
    return summary


def lineage_plot(definitions: dg.Definitions, figsize: tuple[float, float] = (11, 6)):
    """The asset graph: one column per group (raw -> serving), one arrow per dependency."""
    from workbook.plots import figure

    table = asset_table(definitions)
    groups = [g for g in LINEAGE_COLUMNS if g in set(table["group"])]
    groups += sorted(set(table["group"]) - set(groups))
    position: dict[str, tuple[float, float]] = {}
    for x, group in enumerate(groups):
        members = table.loc[table["group"] == group, "asset"].tolist()
        for i, asset in enumerate(members):
            position[asset] = (x, -(i - (len(members) - 1) / 2))
    # A side branch (the snapshot: read from staging, read by nothing) goes below every other box,
    # next to its parent, so no arrow between the main columns seems to run through it.
    bottom = min(y for _, y in position.values())
    for group in SIDE_GROUPS:
        for i, asset in enumerate(table.loc[table["group"] == group, "asset"]):
            position[asset] = (position[asset][0], bottom - 1 - i)
    fig = figure(figsize)
    ax = fig.add_subplot()
    for _, row in table.iterrows():
        x1, y1 = position[row["asset"]]
        for parent in filter(None, row["upstream"].split(", ")):
            x0, y0 = position[parent]
            ax.annotate(
                "",
                xy=(x1 - 0.05, y1),
                xytext=(x0 + 0.05, y0),
                arrowprops={"arrowstyle": "->", "color": "#9e9e9e", "lw": 0.6},
            )
    colours = {"raw": "#8d6e63", "staging": "#43a047", "intermediate": "#1e88e5"}
    colours |= {"marts": "#8e24aa", "serving": "#f4511e", "snapshots": "#757575"}
    for asset, (x, y) in position.items():
        group = table.loc[table["asset"] == asset, "group"].iloc[0]
        ax.text(
            x,
            y,
            asset.split("/")[-1],
            ha="center",
            va="center",
            fontsize=6.5,
            bbox={"boxstyle": "round", "fc": "white", "ec": colours.get(group, "#000000")},
        )
    ax.set_xticks(range(len(groups)), groups)
    ax.set_xlim(-0.6, len(groups) - 0.4)
    heights = [y for _, y in position.values()]
    ax.set_ylim(min(heights) - 0.8, max(heights) + 0.8)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_title("Sproutly's asset graph: each arrow is a dependency Dagster schedules around")
    fig.tight_layout()
    return fig


def automation_table(definitions: dg.Definitions) -> pd.DataFrame:
    """Jobs, schedules and sensors: name, kind, the job they start, when."""
    rows: list[dict[str, Any]] = []
    for job in definitions.resolve_all_job_defs():
        if job.name.startswith("__"):
            continue
        rows.append(
            {
                "kind": "job",
                "name": job.name,
                "job": job.name,
                "when": "partitioned by day" if job.partitions_def else "on demand",
            }
        )
    for schedule in definitions.schedules or []:
        rows.append(
            {
                "kind": "schedule",
                "name": schedule.name,
                "job": schedule.job_name,
                "when": f"cron '{schedule.cron_schedule}'",
            }
        )
    for sensor in definitions.sensors or []:
        job_name = ", ".join(sorted(t.job_name for t in sensor.targets)) or "(any run)"
        rows.append(
            {
                "kind": "sensor",
                "name": sensor.name,
                "job": job_name,
                "when": f"every {sensor.minimum_interval_seconds} s",
            }
        )
    order = {"job": 0, "schedule": 1, "sensor": 2}
    frame = pd.DataFrame(rows)
    frame["_order"] = frame["kind"].map(order)
    return frame.sort_values(["_order", "name"]).drop(columns="_order").reset_index(drop=True)


def run_table(result: dg.ExecuteInProcessResult) -> pd.DataFrame:
    """One row per materialised asset: group-ordered key and the checks that passed / failed."""
    checks: dict[str, list[bool]] = {}
    for evaluation in result.get_asset_check_evaluations():
        checks.setdefault(key_name(evaluation.asset_key), []).append(evaluation.passed)
    materialised = sorted(
        {
            key_name(e.event_specific_data.materialization.asset_key)
            for e in result.get_asset_materialization_events()
        }
    )
    rows = [
        {
            "asset": asset,
            "checks_passed": sum(checks.get(asset, [])),
            "checks_failed": len(checks.get(asset, [])) - sum(checks.get(asset, [])),
        }
        for asset in materialised
    ]
    frame = pd.DataFrame(rows, columns=["asset", "checks_passed", "checks_failed"])
    frame["_order"] = frame["asset"].map(lambda a: _group_order(a.split("/")[0]) if "/" in a else 5)
    return frame.sort_values(["_order", "asset"]).drop(columns="_order").reset_index(drop=True)


def failed_steps(result: dg.ExecuteInProcessResult) -> pd.DataFrame:
    """Step failures of a run: step key and the first line of its error."""
    rows = []
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            message = (error.cause or error).message if error else "?"
            rows.append({"step": event.step_key, "error": message.strip().splitlines()[0][:200]})
    return pd.DataFrame(rows, columns=["step", "error"])


def requests_table(result: Any) -> pd.DataFrame:
    """What a sensor or schedule tick asked for: one row per run request (partition, run key),
    or one row with the skip reason."""
    requests = getattr(result, "run_requests", None)
    if requests is None and isinstance(result, dg.RunRequest):
        requests = [result]
    if requests is None and isinstance(result, list):
        requests = result
    if not requests:
        reason = getattr(result, "skip_message", None) or getattr(result, "skip_reason", None)
        if isinstance(reason, dg.SkipReason):
            reason = reason.skip_message
        return pd.DataFrame([{"partition_key": None, "run_key": None, "skipped": str(reason)}])
    return pd.DataFrame(
        [
            {"partition_key": r.partition_key, "run_key": r.run_key, "skipped": None}
            for r in requests
        ]
    )


def alerts_table() -> pd.DataFrame:
    """The alerts the run-failure sensor sent, oldest first (``data/alerts.jsonl``, the sink used
    when ``ALERT_WEBHOOK_URL`` is unset): kind, job, title and text; no run ids."""
    from orchestration.alerts import AlertSink

    sent = AlertSink(webhook_url="").sent()
    return pd.DataFrame(sent, columns=["kind", "job_name", "title", "text"]).rename(
        columns={"job_name": "job"}
    )
