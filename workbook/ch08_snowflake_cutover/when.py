"""Chapter 08, WHEN: the upgrade-trigger calculator fed with *measured* values, not guesses.

Chapter 00 fed :func:`workbook.triggers.upgrade_triggers` with estimates. By chapter 08 the
pipeline has run, so two of the five inputs can be measured on this machine:

| input | measured from |
|---|---|
| run duration | the Dagster instance: p50 and p90 of the successful daily ``daily_pipeline`` runs (``orchestration.observability.runs()``) |
| data volume | the size on disk of the DuckDB files the pipeline writes (``data/warehouse``, ``data/serving``) |
| concurrent users, freshness SLA, governance | what the team says: they are decisions, not measurements |

The playbook's triggers fire when a threshold is "consistently true" and runs "regularly exceed"
it, so the run-duration trigger is fed the **median (p50)** of the recorded daily runs, not the
slowest one: half the days are at least that slow. The p90 (the slow tenth of days) is shown
beside it; with a week of runs it is close to the slowest run, so it warns, it does not decide.

Measured values change from machine to machine (a busy laptop runs slower), so the tables here
show them rounded *up* to a coarse bucket ("under 10 min"); the exact numbers are in the plot and
in :attr:`Measurement.value`::

    measured = measure(concurrent_users=2, freshness_sla_minutes=24 * 60)
    assessment = measured.assess()
    trigger_table(assessment)         # state of each trigger, the lines that would flip it
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sproutly import paths
from workbook.triggers import THRESHOLDS, UpgradeAssessment, upgrade_triggers

#: The job whose runs count as "a full pipeline run" (``python -m orchestration run`` runs it).
PIPELINE_JOB = "daily_pipeline"
#: Bucket edges for showing a measured value: the smallest edge at or above it is shown.
_EDGES = (0.001, 0.01, 0.1, 1, 10, 100, 1000, 10_000, 100_000)


@dataclass(frozen=True)
class Measurement:
    """One measured input: its exact value, its unit and where it came from."""

    name: str
    value: float
    unit: str
    source: str
    edges: tuple[float, ...] = _EDGES

    @property
    def rough(self) -> str:
        """The value rounded up to the next edge: ``"under 10 min"`` (stable across machines)."""
        return rough(self.value, self.unit, self.edges)

    @property
    def upper(self) -> float:
        """The edge :attr:`rough` shows (``10`` for "under 10 min"): a stable upper bound to feed
        a plot that must read the same on every machine."""
        return next((edge for edge in self.edges if self.value < edge), self.value)


@dataclass(frozen=True)
class MeasuredTeam:
    """Measured inputs (run duration, data volume) plus the team's stated ones."""

    run_minutes: Measurement
    data_gb: Measurement
    concurrent_users: int
    freshness_sla_minutes: float | None
    governance: tuple[str, ...] = field(default_factory=tuple)

    def inputs(self) -> dict:
        """Keyword arguments for :func:`upgrade_triggers` (exact measured values)."""
        return {
            "run_minutes": self.run_minutes.value,
            "data_gb": self.data_gb.value,
            "concurrent_users": self.concurrent_users,
            "freshness_sla_minutes": self.freshness_sla_minutes,
            "governance": self.governance,
        }

    def assess(self, **what_if) -> UpgradeAssessment:
        """Run the calculator on these inputs; ``what_if`` replaces some (``run_minutes=35``)."""
        return upgrade_triggers(**{**self.inputs(), **what_if})

    def table(self) -> pd.DataFrame:
        """One row per input: what it is (rounded up for the measured ones) and where it is from."""
        sla = self.freshness_sla_minutes
        rows = [
            (self.run_minutes.name, self.run_minutes.rough, self.run_minutes.source),
            (self.data_gb.name, self.data_gb.rough, self.data_gb.source),
            ("concurrent users", f"{self.concurrent_users} users", "stated by the team"),
            ("freshness SLA", "none" if sla is None else f"{sla:g} min", "stated by the team"),
            ("governance", ", ".join(self.governance) or "none", "stated by the team"),
        ]
        return pd.DataFrame(rows, columns=["input", "value", "source"])


def rough(value: float, unit: str, edges: tuple[float, ...] = _EDGES) -> str:
    """``"under 10 min"``: ``value`` rounded up to the next edge, by default the next power of
    ten (0 stays ``"0 unit"``)."""
    if value <= 0:
        return f"0 {unit}"
    for edge in edges:
        if value < edge:
            return f"under {edge:g} {unit}"
    return f"{value:,.0f} {unit}"


def daily_runs(runs: pd.DataFrame, job: str = PIPELINE_JOB) -> pd.DataFrame:
    """The successful runs of ``job`` for one day each (what the daily schedule starts): not
    the first run over the whole history, not backfills, not re-executions of a failed run (they
    run only the failed steps), not failed runs."""
    done = runs[(runs["job"] == job) & (runs["status"] == "SUCCESS")]
    if "partition" in done:
        done = done[~done["partition"].fillna("").str.contains("..", regex=False)]
    if "retry_number" in done:
        done = done[done["retry_number"].fillna(0) == 0]
    if "is_backfill" in done:
        done = done[~done["is_backfill"].fillna(False).astype(bool)]
    return done[done["duration_s"].notna()]


@dataclass(frozen=True)
class RunDurations:
    """Wall-clock seconds of the successful daily runs, and their p50 and p90."""

    seconds: tuple[float, ...]
    job: str = PIPELINE_JOB

    @property
    def count(self) -> int:
        return len(self.seconds)

    def percentile(self, q: float) -> float:
        """The ``q``-th percentile in seconds (linear interpolation between runs)."""
        return float(pd.Series(self.seconds).quantile(q / 100))

    @property
    def p50(self) -> float:
        return self.percentile(50)

    @property
    def p90(self) -> float:
        return self.percentile(90)

    def table(self) -> pd.DataFrame:
        """p50 and p90 in bands (``"under 10 min"``), the same on every machine."""
        rows = [
            ("p50 (median)", rough(self.p50 / 60, "min", RUN_EDGES), "half the days take longer"),
            ("p90", rough(self.p90 / 60, "min", RUN_EDGES), "one day in ten takes longer"),
        ]
        frame = pd.DataFrame(rows, columns=["statistic", "run duration", "meaning"])
        frame.attrs["runs"] = self.count
        return frame


#: Bands for a run duration: one for "a run takes 40 s on a quiet machine and minutes on a
#: loaded one", then the trigger's watch and fire lines (20 and 30 min).
RUN_EDGES = (10, 20, 30)


def run_durations(runs: pd.DataFrame, job: str = PIPELINE_JOB) -> RunDurations:
    """The durations of :func:`daily_runs`; raises if there is none."""
    done = daily_runs(runs, job)
    if done.empty:
        raise ValueError(
            f"no successful daily {job!r} run in the Dagster instance: run the pipeline first "
            "(checkpoint('08') restores a week of daily runs)."
        )
    return RunDurations(tuple(float(s) for s in done["duration_s"]), job)


def run_minutes(runs: pd.DataFrame, job: str = PIPELINE_JOB) -> Measurement:
    """The p50 of the successful daily runs of ``job`` in ``runs`` (``observability.runs()``),
    in minutes: the trigger says "regularly exceed", which a typical day does and one slow run
    does not."""
    durations = run_durations(runs, job)
    return Measurement(
        "run duration",
        durations.p50 / 60,
        "min",
        f"p50 of {durations.count} successful one-day {job} runs (p90: "
        f"{rough(durations.p90 / 60, 'min', RUN_EDGES)})",
        edges=RUN_EDGES,
    )


def duckdb_files(folders: tuple[str, ...] = ("warehouse", "serving")) -> list[Path]:
    """The DuckDB files the pipeline writes (the warehouse and its published copy)."""
    return sorted(p for folder in folders for p in (paths.data_dir() / folder).glob("*.duckdb"))


def data_gb() -> Measurement:
    """The size on disk of every DuckDB file the pipeline writes, in GB (10^9 bytes)."""
    files = duckdb_files()
    if not files:
        raise ValueError("no DuckDB files yet: run the pipeline first (checkpoint('08')).")
    size = sum(p.stat().st_size for p in files)
    names = ", ".join(p.name for p in files)
    return Measurement("data volume", size / 1e9, "GB", f"size on disk of {names}")


def measure(
    *,
    concurrent_users: int,
    freshness_sla_minutes: float | None,
    governance: tuple[str, ...] | list[str] | set[str] = (),
    runs: pd.DataFrame | None = None,
) -> MeasuredTeam:
    """Measure run duration and data volume now; take the team's stated inputs as given.

    ``runs`` defaults to ``orchestration.observability.runs()`` (the project's Dagster instance).
    """
    if runs is None:
        from orchestration import observability

        runs = observability.runs()
    return MeasuredTeam(
        run_minutes=run_minutes(runs),
        data_gb=data_gb(),
        concurrent_users=int(concurrent_users),
        freshness_sla_minutes=freshness_sla_minutes,
        governance=tuple(sorted(set(governance))),
    )


def _lines(name: str) -> tuple[str, str]:
    """(watch from, fires at) for one trigger, as a reader would say it."""
    if name == "governance":
        return ("-", "any requirement (RBAC, audit, retention)")
    rule = THRESHOLDS[name]
    sign = "<" if rule.direction == "below" else ">="
    return (f"{sign} {rule.watch_at:g} {rule.unit}", f"{sign} {rule.fire_at:g} {rule.unit}")


def trigger_table(
    assessment: UpgradeAssessment, measured: MeasuredTeam | None = None
) -> pd.DataFrame:
    """One row per trigger: its input, state, and the lines that would move it to watch / fire.

    With ``measured``, the measured inputs are shown rounded up (``"under 10 min"``) so the table
    reads the same on every machine; the states are computed from the exact values.
    """
    shown = {}
    if measured is not None:
        exact = assessment.inputs
        for key, measurement in (
            ("run_minutes", measured.run_minutes),
            ("data_gb", measured.data_gb),
        ):
            if math.isclose(float(exact[key]), measurement.value):
                shown[key] = measurement.rough
    rows = []
    for trigger in assessment.triggers:
        watch, fire = _lines(trigger.name)
        rows.append(
            {
                "trigger": trigger.label,
                "input": shown.get(trigger.name, trigger.value),
                "state": trigger.state,
                "watch from": watch,
                "fires at": fire,
            }
        )
    return pd.DataFrame(rows)


def headroom(assessment: UpgradeAssessment) -> pd.DataFrame:
    """How far each numeric input may grow (or the SLA shrink) before its trigger fires.

    ``factor`` is exact (it depends on the measured values), so show it in a plot, not a table.
    """
    rows = []
    for trigger in assessment.triggers:
        if trigger.name == "governance" or not trigger.pressure:
            continue
        rows.append({"trigger": trigger.label, "factor": 1 / trigger.pressure})
    return pd.DataFrame(rows, columns=["trigger", "factor"])


def plot_headroom(assessment: UpgradeAssessment, title: str = "Headroom before each trigger fires"):
    """Horizontal bars on a log scale: how many times an input may grow (or, for the freshness
    SLA, shrink) before its trigger fires."""
    from workbook.plots import figure

    table = headroom(assessment).iloc[::-1]
    fig = figure((7, 2.6))
    ax = fig.add_subplot()
    ax.barh(table["trigger"], table["factor"], color="#66bb6a")
    ax.axvline(1.0, color="#424242", linestyle="--", linewidth=1)
    ax.set_xscale("log")
    ax.set_xlim(0.5, max(10.0, float(table["factor"].max()) * 8))  # room for the labels
    for y, factor in enumerate(table["factor"]):
        label = f" x{factor:,.1f}" if factor < 10 else f" x{factor:,.0f}"
        ax.text(factor, y, label, va="center", fontsize=8)
    ax.set_xlabel("factor left before the trigger fires (log scale; 1 = firing now)")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def what_if(measured: MeasuredTeam, scenarios: dict[str, dict]) -> pd.DataFrame:
    """Re-run the calculator with some inputs changed: one row per scenario with the verdict and
    the triggers that fire (``{"runs take 35 min": {"run_minutes": 35}}``)."""
    rows = []
    for name, changes in scenarios.items():
        assessment = measured.assess(**changes)
        rows.append(
            {
                "scenario": name,
                "verdict": assessment.verdict,
                "fires": ", ".join(assessment.fired) or "-",
                "watch": ", ".join(assessment.watching) or "-",
            }
        )
    return pd.DataFrame(rows)
