"""Chapter 06 views: the run history, alerts and SLOs as deterministic tables and as plots.

``orchestration.observability`` returns everything the instance knows, including run ids and
wall-clock times, which change every time the history is rebuilt. A notebook page must not, and
neither may a committed picture: the tables and plots here keep only deterministic facts
(simulated day, job, status, partitions, counts, verdicts), and wall-clock durations only as
bands wide enough to read the same on every machine.

    runs = observability.runs()
    run_history(runs)                    # one row per run: day, job, partitions, status, retries
    runs_plot(runs)                      # days covered per run, failures in red, retries marked
    step_time_shares(steps)              # which step takes most of a run, in bands
    failure_table(failures)              # retries and failures with the error's innermost cause
    alerts_table()                       # what reached the alert sink, in order
    failed_checks(checks, run_id)        # the asset checks a recorded run failed
    slo_plot(slo, evaluation)            # measured vs target per day, and the budget left
"""

from __future__ import annotations

import json
import math
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
    """Failure events of a run without times: event, step, error class and the error's innermost
    cause (the full first line of an error is in ``failures["error"]``)."""
    table = failures[["event", "step", "error_class"]].copy()
    table["cause"] = [_cause(str(e)) for e in failures["error"]]
    return table.reset_index(drop=True)


def partitions_covered(partition: object) -> int:
    """How many daily partitions a run covered: 1 for ``2026-05-01``, 2 for
    ``2026-05-02..2026-05-03``, 0 for a run without partitions (the freshness job)."""
    if not isinstance(partition, str) or not partition:
        return 0
    first, _, last = partition.partition("..")
    return (pd.Timestamp(last or first) - pd.Timestamp(first)).days + 1


def runs_plot(runs: pd.DataFrame, figsize: tuple[float, float] = (10, 3.2)):
    """The daily job's runs, per simulated day: the partitions (days) each run covered (log
    scale), green succeeded, red failed; the number of step retries is written above a run that
    retried. No wall-clock value: the picture is the same on every machine."""
    from workbook.plots import figure

    table = runs.dropna(subset=["simulated_now"])
    table = table[table["job"] == "daily_pipeline"].reset_index(drop=True)
    covered = [partitions_covered(p) for p in table["partition"]]
    fig = figure(figsize)
    ax = fig.add_subplot()
    labels = [
        f"{row.simulated_now:%m-%d}" + ("\nbackfill" if row.is_backfill else "")
        for row in table.itertuples()
    ]
    colours = [STATUS_COLOURS.get(s, "#9e9e9e") for s in table["status"]]
    bars = ax.bar(range(len(table)), covered, color=colours)
    for bar, days, retries in zip(bars, covered, table["step_retries"], strict=True):
        note = f"{days} day{'s' if days != 1 else ''}" + (f", {retries} retries" if retries else "")
        ax.annotate(
            note,
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.set_yscale("log")
    ax.set_ylim(0.8, max([*covered, 1]) * 3)
    ax.set_xticks(range(len(table)), labels, fontsize=8)
    ax.set_xlabel("simulated day the run started")
    ax.set_ylabel("partitions (days) covered")
    ax.set_title("daily_pipeline runs of the week: green succeeded, red failed")
    fig.tight_layout()
    return fig


#: Bands for a step's share of a run's time.
SHARE_BANDS = ((0.2, "under a fifth"), (0.5, "a fifth to a half"))


def step_time_shares(steps: pd.DataFrame) -> pd.DataFrame:
    """Per step, over the runs in which every step succeeded: in how many runs it ran, and its
    median share of the run's time as a band (``"more than half"``, ``"a fifth to a half"``,
    ``"under a fifth"``); largest band first, then by name. Shares in bands, not seconds: the
    table reads the same on every machine."""
    failed = set(steps.loc[steps["status"] != "SUCCESS", "run_id"])
    done = steps[~steps["run_id"].isin(failed)].dropna(subset=["duration_s"]).copy()
    done["share"] = done["duration_s"] / done.groupby("run_id")["duration_s"].transform("sum")
    stats = (
        done.groupby("step")
        .agg(runs=("run_id", "nunique"), median_share=("share", "median"))
        .reset_index()
    )
    edges = [edge for edge, _ in SHARE_BANDS]
    labels = [label for _, label in SHARE_BANDS] + ["more than half"]
    stats["rank"] = [sum(share >= edge for edge in edges) for share in stats["median_share"]]
    stats["share of a run's time"] = [labels[rank] for rank in stats["rank"]]
    stats = stats.sort_values(["rank", "step"], ascending=[False, True]).reset_index(drop=True)
    return stats[["step", "runs", "share of a run's time"]]


def _cause(error: str) -> str:
    """The innermost cause of an error line: the text of the last ``(last error: ...)``."""
    marker = "last error: "
    if marker not in error:
        return error
    return error[error.rindex(marker) + len(marker) :].rstrip(")")


def alerts() -> list[dict]:
    """Every alert the sink recorded (``data/alerts.jsonl``), oldest first."""
    path = paths.alerts_path()
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def alerts_table(alerts_list: Sequence[dict] | None = None) -> pd.DataFrame:
    """The alerts as a table without run ids: kind, title, job and the message's first line
    (whole: the cause is often at its end)."""
    rows = [
        {
            "kind": a["kind"],
            "title": a["title"],
            "job": a.get("job_name"),
            "text": (a.get("text") or "").strip().splitlines()[0] if a.get("text") else "",
        }
        for a in (alerts() if alerts_list is None else alerts_list)
    ]
    return pd.DataFrame(rows, columns=["kind", "title", "job", "text"])


def failed_checks(checks: pd.DataFrame, run_id: str) -> pd.DataFrame:
    """The asset checks one recorded run failed (``observability.check_evaluations()``): asset,
    check, severity, dbt's status and the failing rows it counted, sorted by asset and check."""
    mine = checks[(checks["run_id"] == run_id) & ~checks["passed"]]
    rows = [
        {
            "asset": row.asset,
            "check": row.check,
            "severity": row.severity,
            "status": row.metadata.get("status", ""),
            "failing rows": row.metadata.get("dagster_dbt/failed_row_count"),
        }
        for row in mine.itertuples()
    ]
    frame = pd.DataFrame(rows, columns=["asset", "check", "severity", "status", "failing rows"])
    return frame.sort_values(["asset", "check"]).reset_index(drop=True)


def slo_table(summaries: Sequence[dict]) -> pd.DataFrame:
    """One row per SLO (``orchestration.slos.summary``)."""
    return pd.DataFrame(list(summaries))


#: A run time in :func:`slo_plot` is rounded up to a multiple of this many minutes.
RUN_TIME_STEP_MIN = 5


def slo_plot(named: Sequence[tuple[object, pd.DataFrame]], figsize: tuple[float, float] = (11, 6)):
    """Per SLO, two panels: the daily measurement against its target (red = bad day), and the
    error budget left over the days (1 = untouched, 0 = spent). A run time (unit ``s``) is drawn
    in minutes rounded up to a multiple of :data:`RUN_TIME_STEP_MIN`: no wall-clock second
    reaches the picture."""
    from workbook.plots import figure

    fig = figure(figsize)
    axes = fig.subplots(2, len(named), squeeze=False)
    for column, (slo, evaluation) in enumerate(named):
        top, bottom = axes[0][column], axes[1][column]
        days = evaluation["day"].dt.strftime("%m-%d")
        colours = ["#43a047" if good else "#e53935" for good in evaluation["good"]]
        measured, target, unit = evaluation["measured"].fillna(0), slo.target, slo.unit
        if unit == "s":  # wall clock: minutes, rounded up to the step
            step = RUN_TIME_STEP_MIN
            measured = (measured / 60 / step).apply(math.ceil) * step
            target, unit = target / 60, f"min (runs rounded up to {step} min)"
        top.bar(days, measured, color=colours)
        top.axhline(target, color="#424242", linestyle="--", linewidth=1)
        top.set_title(f"{slo.name}\ntarget {target:g} {unit}", fontsize=9)
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
