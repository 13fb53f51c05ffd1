"""Chapter 06 views: the run history, alerts and SLOs as deterministic tables and as plots.

``orchestration.observability`` returns everything the instance knows, including run ids and
wall-clock times, which change every time the history is rebuilt. A notebook page must not: the
tables here keep only deterministic facts (simulated day, job, status, counts, verdicts), and the
wall-clock durations go into plots (a picture is compared by nobody, a number would be).

    runs = observability.runs()
    run_history(runs)                    # one row per run: day, job, partitions, status, retries
    runs_plot(runs)                      # durations per day, failures in red, retries marked
    alerts_table()                       # what reached the alert sink, in order
    slo_plot(slo, evaluation)            # measured vs target per day, and the budget left
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import pandas as pd

from sproutly import paths

STATUS_COLOURS = {"SUCCESS": "#43a047", "FAILURE": "#e53935"}


def run_history(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs table without run ids or wall-clock columns: one row per run, oldest first.

    ``day`` is the simulated date the run started at (midnight of that day)."""
    table = runs.dropna(subset=["simulated_now"]).copy()
    table["day"] = table["simulated_now"].dt.strftime("%Y-%m-%d")
    columns = ["day", "job", "partition", "is_backfill", "status", "step_retries", "failed_steps"]
    return table[columns].reset_index(drop=True)


def step_table(steps: pd.DataFrame) -> pd.DataFrame:
    """Steps of a run without ids or times: step, status, attempts (in execution order)."""
    return steps[["step", "status", "attempts"]].reset_index(drop=True)


def failure_table(failures: pd.DataFrame) -> pd.DataFrame:
    """Failure events of a run without times: event, step, error class and error."""
    return failures[["event", "step", "error_class", "error"]].reset_index(drop=True)


def runs_plot(runs: pd.DataFrame, figsize: tuple[float, float] = (10, 3.5)):
    """Wall-clock duration of every run, per simulated day: green succeeded, red failed; the
    number of step retries is written above a run that retried."""
    from workbook.plots import figure

    table = runs.dropna(subset=["simulated_now"]).reset_index(drop=True)
    fig = figure(figsize)
    ax = fig.add_subplot()
    labels = [
        f"{row.simulated_now:%m-%d}\n{row.job.replace('_', ' ')}" for row in table.itertuples()
    ]
    colours = [STATUS_COLOURS.get(s, "#9e9e9e") for s in table["status"]]
    bars = ax.bar(range(len(table)), table["duration_s"], color=colours)
    for bar, retries in zip(bars, table["step_retries"], strict=True):
        if retries:
            ax.annotate(
                f"{retries} retries",
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                ha="center",
                va="bottom",
                fontsize=8,
            )
    ax.set_xticks(range(len(table)), labels, fontsize=6.5)
    ax.set_ylabel("duration (s, wall clock)")
    ax.set_title("Every run of the week: green succeeded, red failed")
    fig.tight_layout()
    return fig


def step_durations_plot(steps: pd.DataFrame, figsize: tuple[float, float] = (8, 3)):
    """Median and worst wall-clock duration per step over all runs: where the time goes."""
    from workbook.plots import figure

    stats = (
        steps.dropna(subset=["duration_s"])
        .groupby("step")["duration_s"]
        .agg(["median", "max"])
        .sort_values("median")
    )
    fig = figure(figsize)
    ax = fig.add_subplot()
    ax.barh(stats.index, stats["max"], color="#ffcc80", label="worst")
    ax.barh(stats.index, stats["median"], color="#fb8c00", label="median")
    ax.set_xlabel("seconds (wall clock)")
    ax.set_title("Where a run spends its time")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def alerts() -> list[dict]:
    """Every alert the sink recorded (``data/alerts.jsonl``), oldest first."""
    path = paths.alerts_path()
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def alerts_table(alerts_list: Sequence[dict] | None = None) -> pd.DataFrame:
    """The alerts as a table without run ids: kind, title, job and the message's first line."""
    rows = [
        {
            "kind": a["kind"],
            "title": a["title"],
            "job": a.get("job_name"),
            "text": (a.get("text") or "").strip().splitlines()[0][:120] if a.get("text") else "",
        }
        for a in (alerts() if alerts_list is None else alerts_list)
    ]
    return pd.DataFrame(rows, columns=["kind", "title", "job", "text"])


def slo_table(summaries: Sequence[dict]) -> pd.DataFrame:
    """One row per SLO (``orchestration.slos.summary``)."""
    return pd.DataFrame(list(summaries))


def slo_plot(named: Sequence[tuple[object, pd.DataFrame]], figsize: tuple[float, float] = (11, 6)):
    """Per SLO, two panels: the daily measurement against its target (red = bad day), and the
    error budget left over the days (1 = untouched, 0 = spent)."""
    from workbook.plots import figure

    fig = figure(figsize)
    axes = fig.subplots(2, len(named), squeeze=False)
    for column, (slo, evaluation) in enumerate(named):
        top, bottom = axes[0][column], axes[1][column]
        days = evaluation["day"].dt.strftime("%m-%d")
        colours = ["#43a047" if good else "#e53935" for good in evaluation["good"]]
        top.bar(days, evaluation["measured"].fillna(0), color=colours)
        top.axhline(slo.target, color="#424242", linestyle="--", linewidth=1)
        top.set_title(f"{slo.name}\ntarget {slo.target:g} {slo.unit}", fontsize=9)
        top.tick_params(axis="x", labelsize=7, labelrotation=45)
        bottom.plot(days, evaluation["budget_left"], marker="o", color="#1e88e5")
        bottom.axhline(0, color="#e53935", linewidth=1)
        bottom.set_ylim(min(-0.1, float(evaluation["budget_left"].min()) - 0.1), 1.05)
        bottom.set_title(f"error budget left ({slo.budget_days:g} days per window)", fontsize=9)
        bottom.tick_params(axis="x", labelsize=7, labelrotation=45)
    fig.tight_layout()
    return fig


def freshness_table(checks: pd.DataFrame, asset: str, check: str = "source_freshness"):
    """The last evaluation per simulated day of one freshness check: day, status, measurement.

    ``status`` is dbt's verdict for source freshness (``pass`` / ``warn`` / ``error``); the
    published-marts check reports ``lag_days`` instead."""
    mine = checks[(checks["asset"] == asset) & (checks["check"] == check)].dropna(
        subset=["simulated_now"]
    )
    rows = []
    for day, group in mine.groupby(mine["simulated_now"].dt.strftime("%Y-%m-%d"), sort=True):
        last = group.iloc[-1]
        meta = last["metadata"]
        rows.append(
            {
                "day": day,
                "passed": bool(last["passed"]),
                "severity": last["severity"],
                "status": meta.get("status", "pass" if last["passed"] else "fail"),
                **{k: meta[k] for k in ("age_hours", "lag_days", "last_day") if k in meta},
            }
        )
    return pd.DataFrame(rows)
