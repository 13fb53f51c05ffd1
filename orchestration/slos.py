"""Service level objectives for the pipeline, declared once and evaluated per simulated day.

An SLO is a promise with a tolerance. *Target*: what one day must achieve ("the daily run
finishes within 20 minutes"). *Objective*: the share of days that must meet it (90 %). *Error
budget*: the days allowed to miss it in a window (10 % of 28 days = 2.8 days). While budget is
left, a bad day is an incident to learn from; when it is spent, reliability work comes before
new features. That is the conversation an SLO buys: not "was anything red?", but "are we keeping
the promise the product relies on?".

Two kinds, each evaluated from facts the Dagster instance already holds
(``orchestration.observability``):

- :class:`RunTimeSLO`: a day is good when a run of the job for that simulated day succeeded
  within ``target_s`` seconds (wall clock). A failed day is bad whatever its duration.
- :class:`FreshnessSLO`: a day is good when the last freshness measurement of that day
  (an asset check's metadata) is at most ``target``. Their targets are *not* restated here:
  the published-marts SLO derives from the check that guards the serving copy
  (``PUBLISHED_MAX_LAG_DAYS`` in ``orchestration/defs/checks.py``: the consumer-facing promise)
  and the source SLOs read dbt's ``freshness.error_after`` from the manifest (the same
  thresholds ``dbt source freshness`` applies).

    from orchestration import observability, slos
    runs = observability.runs()
    checks = observability.check_evaluations()
    for slo in slos.all_slos():
        print(slo.name, slos.summary(slo, slos.evaluate(slo, runs=runs, checks=checks)))
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sproutly import dbt as sproutly_dbt

#: The budget window: error budgets are counted over four weeks of simulated days.
WINDOW_DAYS = 28

DAY_COLUMNS = [
    "day",
    "measured",
    "target",
    "good",
    "bad_days",
    "budget_days",
    "budget_left",
    "slo_met",
]


@dataclass(frozen=True)
class SLO:
    """What every SLO has: a name, the promise in words, the objective and the window."""

    name: str
    promise: str
    objective: float  # the share of days that must be good, e.g. 0.9
    window_days: int = WINDOW_DAYS

    def __post_init__(self) -> None:
        if not 0 < self.objective < 1:
            raise ValueError(
                f"{self.name}: objective must be between 0 and 1, got {self.objective}"
            )
        if self.window_days < 1:
            raise ValueError(f"{self.name}: window_days must be >= 1, got {self.window_days}")

    @property
    def budget_days(self) -> float:
        """Bad days the window may hold: (1 - objective) x window."""
        return round((1 - self.objective) * self.window_days, 6)


@dataclass(frozen=True)
class RunTimeSLO(SLO):
    """A successful run of ``job`` every simulated day, within ``target_s`` seconds."""

    job: str = "daily_pipeline"
    target_s: float = 20 * 60

    @property
    def target(self) -> float:
        return self.target_s

    @property
    def unit(self) -> str:
        return "s"


@dataclass(frozen=True)
class FreshnessSLO(SLO):
    """The last ``field`` of the day reported by ``check`` on ``asset`` is at most ``target``."""

    asset: str = "published_marts"
    check: str = "published_metrics_are_current"
    field: str = "lag_days"
    target: float = 1.0
    unit: str = "days"


def published_freshness_slo(objective: float = 0.9) -> FreshnessSLO:
    """The product's promise: the published metrics cover the last complete simulated day.

    The target comes from the check that guards the serving copy: it passes while the lag is
    below ``PUBLISHED_MAX_LAG_DAYS["warn"]`` days, so the promise is "lag <= warn - 1" (1 day).
    Importing the check loads the Dagster definitions' dbt module (the manifest is needed).
    """
    import warnings

    import dagster as dg

    # Importing the module builds its assets; Dagster's beta notices (e.g. on the events asset's
    # backfill policy) speak to whoever builds definitions, not to a reader of one constant.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.BetaWarning)
        from orchestration.defs.checks import PUBLISHED_MAX_LAG_DAYS

    return FreshnessSLO(
        name="published_metrics_current",
        promise="the published metrics cover the last complete simulated day",
        objective=objective,
        asset="published_marts",
        check="published_metrics_are_current",
        field="lag_days",
        target=float(PUBLISHED_MAX_LAG_DAYS["warn"] - 1),
        unit="days",
    )


def source_freshness_thresholds(manifest_path: Path | None = None) -> dict[str, dict[str, float]]:
    """``raw table -> {"warn_hours": .., "error_hours": ..}`` from dbt's manifest (the sources'
    ``freshness:`` config), for every source that declares a threshold
    (:func:`sproutly.dbt.source_freshness_thresholds` on the project's manifest by default)."""
    if manifest_path is None:
        from orchestration.project import dbt_project, ensure_manifest

        ensure_manifest()
        manifest_path = dbt_project.manifest_path
    return sproutly_dbt.source_freshness_thresholds(sproutly_dbt.manifest(manifest_path))


def source_freshness_slos(
    manifest_path: Path | None = None, objective: float = 0.9
) -> list[FreshnessSLO]:
    """One SLO per raw table with a dbt freshness threshold: age <= dbt's ``error_after``."""
    return [
        FreshnessSLO(
            name=f"raw_{table}_fresh",
            promise=f"raw.{table} is never older than dbt's error threshold",
            objective=objective,
            asset=f"raw/{table}",
            check="source_freshness",
            field="age_hours",
            target=limits["error_hours"],
            unit="hours",
        )
        for table, limits in source_freshness_thresholds(manifest_path).items()
        if "error_hours" in limits
    ]


#: The run-time SLO: the daily job finishes within 20 minutes on 9 days out of 10. Twenty minutes
#: is the run-duration upgrade trigger's watch line (chapter 00): a pipeline that keeps missing it
#: has outgrown one machine.
DAILY_RUN_TIME = RunTimeSLO(
    name="daily_pipeline_on_time",
    promise="the daily pipeline succeeds within 20 minutes",
    objective=0.9,
    job="daily_pipeline",
    target_s=20 * 60,
)


def all_slos(manifest_path: Path | None = None) -> list[SLO]:
    """Every SLO of the project: run time, published freshness, then one per raw source."""
    return [DAILY_RUN_TIME, published_freshness_slo(), *source_freshness_slos(manifest_path)]


def _days(frame: pd.DataFrame) -> pd.Series:
    return frame["simulated_now"].dt.normalize()


def run_time_facts(slo: RunTimeSLO, runs: pd.DataFrame) -> pd.DataFrame:
    """Per simulated day: the shortest successful run of the job (NaN when none succeeded)."""
    mine = runs[(runs["job"] == slo.job) & runs["simulated_now"].notna()].copy()
    mine["day"] = _days(mine)
    mine["ok_duration"] = mine["duration_s"].where(mine["status"] == "SUCCESS")
    facts = mine.groupby("day", sort=True)["ok_duration"].min().rename("measured").reset_index()
    facts["good"] = facts["measured"].notna() & (facts["measured"] <= slo.target_s)
    return facts


def freshness_facts(slo: FreshnessSLO, checks: pd.DataFrame) -> pd.DataFrame:
    """Per simulated day: the last measurement of the SLO's check (NaN when it reported none)."""
    mine = checks[
        (checks["asset"] == slo.asset)
        & (checks["check"] == slo.check)
        & checks["simulated_now"].notna()
    ].copy()
    mine["day"] = _days(mine)
    mine["measured"] = [
        float(m[slo.field]) if isinstance(m, dict) and m.get(slo.field) is not None else None
        for m in mine["metadata"]
    ]
    mine["measured"] = pd.to_numeric(mine["measured"]).where(lambda v: v >= 0)  # -1: unknown
    facts = mine.groupby("day", sort=True)["measured"].last().reset_index()
    facts["good"] = facts["measured"].notna() & (facts["measured"] <= slo.target)
    return facts


def evaluate(
    slo: SLO, *, runs: pd.DataFrame | None = None, checks: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per simulated day: what was measured, good or not, and the error budget.

    ``runs`` is ``observability.runs()`` (for a :class:`RunTimeSLO`), ``checks`` is
    ``observability.check_evaluations()`` (for a :class:`FreshnessSLO`). Columns: ``day``,
    ``measured`` (seconds, days or hours), ``target``, ``good``, ``bad_days`` (cumulative),
    ``budget_days`` (allowed per window), ``budget_left`` (1.0 = untouched, 0 = spent, negative
    = overspent) and ``slo_met`` (the budget is not overspent). Days before the history began
    count as good; the window is the SLO's ``window_days``, rolling.
    """
    if isinstance(slo, RunTimeSLO):
        if runs is None:
            raise ValueError(f"{slo.name} is a run-time SLO: pass runs=observability.runs()")
        facts = run_time_facts(slo, runs)
    elif isinstance(slo, FreshnessSLO):
        if checks is None:
            raise ValueError(
                f"{slo.name} is a freshness SLO: pass checks=observability.check_evaluations()"
            )
        facts = freshness_facts(slo, checks)
    else:
        raise TypeError(f"not an SLO this module can evaluate: {slo!r}")
    if facts.empty:
        return pd.DataFrame(columns=DAY_COLUMNS)
    facts = facts.set_index("day").asfreq("D")  # a day with no measurement at all is bad
    facts["good"] = facts["good"].fillna(False).astype(bool)
    bad = (~facts["good"]).astype(int)
    facts["bad_days"] = bad.rolling(slo.window_days, min_periods=1).sum().astype(int)
    facts["target"] = float(slo.target)
    facts["budget_days"] = slo.budget_days
    facts["budget_left"] = (1 - facts["bad_days"] / slo.budget_days).round(4)
    facts["slo_met"] = facts["bad_days"] <= slo.budget_days
    return facts.reset_index()[DAY_COLUMNS]


def summary(slo: SLO, evaluation: pd.DataFrame) -> dict:
    """The state of one SLO at the last evaluated day, as a small dict (one table row)."""
    last = evaluation.iloc[-1] if len(evaluation) else None
    return {
        "slo": slo.name,
        "promise": slo.promise,
        "target": f"{slo.target:g} {slo.unit}",
        "objective": f"{slo.objective:.0%} of days",
        "days": len(evaluation),
        "good_days": int(evaluation["good"].sum()) if last is not None else 0,
        "bad_days": int(last["bad_days"]) if last is not None else 0,
        "budget_days": slo.budget_days,
        "budget_left": float(last["budget_left"]) if last is not None else 1.0,
        "slo_met": bool(last["slo_met"]) if last is not None else True,
    }
