"""Chapter 08, COST: the first month on Snowflake, estimated from the runs Dagster recorded.

How Snowflake bills compute (a virtual warehouse): credits per hour by size (XSMALL = 1 credit
per hour), charged per second **while the warehouse is running**, from the moment it resumes
until it suspends, with a **60-second minimum each time it resumes**. With ``AUTO_SUSPEND = 60``
a warehouse suspends after 60 idle seconds, so one run that resumes it is billed::

    billed seconds = max(60, run seconds + auto-suspend seconds)

That holds when runs are further apart than the auto-suspend delay (each run resumes the
warehouse); the daily and hourly jobs here are. The estimate assumes the warehouse is busy for as
long as the DuckDB run took: a rough proxy (Snowflake spends its time differently), good enough
for an order of magnitude and for seeing which job drives the bill. Storage (well under a GB) and
cloud-services credits (billed only above 10% of the day's warehouse credits) are left out.

    workloads = [Workload("daily_pipeline", runs_per_day=1, run_seconds=600)]
    first_month(workloads, price_per_credit=3.0)

Measured durations differ between machines, so :func:`measured_workloads` takes each job's p90
rounded *up* to a band (:data:`BANDS_SECONDS`): the estimate is an upper bound that reads the
same on every machine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import pandas as pd

#: Credits per hour of an XSMALL warehouse (each size up doubles it).
XSMALL_CREDITS_PER_HOUR = 1.0
#: Seconds billed at least, each time a warehouse resumes.
MINIMUM_BILLED_SECONDS = 60
#: ``AUTO_SUSPEND`` of ``SPROUTLY_WH`` in cutover/rbac.sql and cutover/cost_controls.sql.
AUTO_SUSPEND_SECONDS = 60
#: An assumption to change: on-demand prices per credit differ by edition, cloud and region.
PRICE_PER_CREDIT = 3.0
DAYS_PER_MONTH = 30
#: Bands a measured run duration is rounded up to (seconds) before it is priced.
BANDS_SECONDS = (60, 300, 600, 1200, 1800)
#: How often each scheduled job runs (orchestration/defs/schedules.py: daily, hourly).
RUNS_PER_DAY = {"daily_pipeline": 1, "freshness_checks": 24}


@dataclass(frozen=True)
class Workload:
    """A job that resumes the warehouse ``runs_per_day`` times, ``run_seconds`` each time."""

    name: str
    runs_per_day: float
    run_seconds: float
    source: str = ""


def band(seconds: float, bands: tuple[float, ...] = BANDS_SECONDS) -> float:
    """``seconds`` rounded up to the next band (whole minutes beyond the last band)."""
    if seconds < 0:
        raise ValueError("seconds must be >= 0")
    return next((b for b in bands if seconds <= b), 60 * math.ceil(seconds / 60))


def measured_workloads(runs: pd.DataFrame, runs_per_day: dict[str, float] | None = None):
    """One :class:`Workload` per scheduled job, priced at the p90 of its successful one-day runs
    (``observability.runs()``) rounded up to a band: budget for the slow days."""
    from workbook.ch08_snowflake_cutover.when import run_durations

    workloads = []
    for job, per_day in (runs_per_day or RUNS_PER_DAY).items():
        durations = run_durations(runs, job)
        workloads.append(
            Workload(
                job,
                per_day,
                band(durations.p90),
                f"p90 of {durations.count} runs, rounded up",
            )
        )
    return workloads


def billed_seconds(run_seconds: float, auto_suspend_seconds: float = AUTO_SUSPEND_SECONDS) -> float:
    """Seconds billed for one run that resumes the warehouse: it runs, idles until auto-suspend,
    and is billed at least the 60-second minimum."""
    if run_seconds < 0 or auto_suspend_seconds < 0:
        raise ValueError("run and auto-suspend seconds must be >= 0")
    return max(MINIMUM_BILLED_SECONDS, run_seconds + auto_suspend_seconds)


def credits_per_month(
    workload: Workload,
    *,
    auto_suspend_seconds: float = AUTO_SUSPEND_SECONDS,
    credits_per_hour: float = XSMALL_CREDITS_PER_HOUR,
    days: int = DAYS_PER_MONTH,
) -> float:
    """Credits one workload uses in a month: runs x billed hours x credits per hour."""
    runs = workload.runs_per_day * days
    return (
        runs * billed_seconds(workload.run_seconds, auto_suspend_seconds) / 3600 * credits_per_hour
    )


def first_month(
    workloads: list[Workload],
    *,
    price_per_credit: float = PRICE_PER_CREDIT,
    auto_suspend_seconds: float = AUTO_SUSPEND_SECONDS,
    credits_per_hour: float = XSMALL_CREDITS_PER_HOUR,
    days: int = DAYS_PER_MONTH,
) -> pd.DataFrame:
    """One row per workload and a total: runs, billed seconds per run, credits and cost in a
    month (credits to two decimals, cost to one)."""
    rows = []
    for workload in workloads:
        credits = credits_per_month(
            workload,
            auto_suspend_seconds=auto_suspend_seconds,
            credits_per_hour=credits_per_hour,
            days=days,
        )
        rows.append(
            {
                "workload": workload.name,
                "runs per month": round(workload.runs_per_day * days),
                "seconds per run": round(workload.run_seconds),
                "from": workload.source,
                "billed seconds per run": round(
                    billed_seconds(workload.run_seconds, auto_suspend_seconds)
                ),
                "credits": credits,
            }
        )
    table = pd.DataFrame(rows)
    table["cost"] = (table["credits"] * price_per_credit).round(1)
    table["credits"] = table["credits"].round(2)
    total = {"workload": "total", "credits": table["credits"].sum(), "cost": table["cost"].sum()}
    table = pd.concat([table, pd.DataFrame([total])], ignore_index=True)
    table[["credits", "cost"]] = table[["credits", "cost"]].round(2)
    for column in ("runs per month", "seconds per run", "billed seconds per run", "from"):
        table[column] = [
            v if isinstance(v, str) else "" if pd.isna(v) else int(v) for v in table[column]
        ]
    return table


def every(workloads: list[Workload], job: str, runs_per_day: float) -> list[Workload]:
    """The same workloads with one job scheduled ``runs_per_day`` times a day (a what-if)."""
    return [replace(w, runs_per_day=runs_per_day) if w.name == job else w for w in workloads]
