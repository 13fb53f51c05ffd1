"""Chapter 06 exercises on the real files, in a sandbox copy of ``orchestration/``:

- Exercise 1, :func:`slo_module`: ``orchestration/slo_finance.py`` declares ``billing_payments_slo``
  and, run as ``python -m orchestration.slo_finance``, prints its state over the recorded week.
- Exercise 2, :func:`alert_rule`: ``orchestration/defs/slo_alerts.py`` holds the sensor
  ``slo_budget_alert`` (the code location must load: ``dg check defs``); the check
  ticks it twice against the project's Dagster instance.
"""

from __future__ import annotations

from typing import Any

from orchestration import observability, slos
from workbook import checks
from workbook.ch06_observability import exercise_checks
from workbook.sandbox import Sandbox, sandbox

SLO_PATH = "orchestration/slo_finance.py"
SLO_COMMAND = "python -m orchestration.slo_finance"
ALERT_PATH = "orchestration/defs/slo_alerts.py"
VALIDATE = "dg check defs"  # as in chapter 05 (the sandbox is a dg project root)
#: Exercise 2: the strict SLO the alert rule watches besides the project's own.
FLAWLESS = slos.RunTimeSLO(
    name="daily_pipeline_flawless",
    promise="the daily pipeline succeeds every day",
    objective=0.97,
    job="daily_pipeline",
)


def slo_sandbox() -> Sandbox:
    """A copy of ``orchestration/`` and of the recorded history (the Dagster instance)."""
    return sandbox(
        "ex06-1",
        copy=["orchestration"],
        data=["dagster_home"],
        write=[SLO_PATH],
        command=SLO_COMMAND,
    )


def alert_sandbox() -> Sandbox:
    """A copy of ``orchestration/`` (where Dagster finds its defs) and of the history."""
    return sandbox(
        "ex06-2",
        copy=["orchestration", "pyproject.toml"],
        data=["dagster_home"],
        write=[ALERT_PATH],
        command=VALIDATE,
    )


def _load(sb: Sandbox, relative: str, name: str, command: str) -> Any:
    checks.file_written(sb, relative)
    return checks.defined(
        sb.root / relative,
        name,
        shown=sb.shown(relative),
        fix=f"fix the file, then run !{command}",
        naming=f"name it {name}.",
    )


def slo_module(sb: Sandbox) -> None:
    """Exercise 1: ``billing_payments_slo`` on ``raw/billing_payments`` with dbt's *warn*
    threshold as target, 95 % over 28 days; its evaluation over the recorded checks."""
    checks.answered(sb, "the sandbox")
    slo = _load(sb, SLO_PATH, "billing_payments_slo", SLO_COMMAND)
    table = observability.check_evaluations()
    exercise_checks.billing_slo(slo, slos.evaluate(slo, checks=table), table)


def alert_rule(sb: Sandbox) -> None:
    """Exercise 2: ``slo_budget_alert`` sends one ``slo`` alert per overspent SLO (the project's
    and ``daily_pipeline_flawless``), and nothing new on a second tick."""
    from orchestration.runs import project_instance

    checks.answered(sb, "the sandbox")
    sensor = _load(sb, ALERT_PATH, "slo_budget_alert", VALIDATE)
    with project_instance() as instance:
        exercise_checks.budget_sensor(sensor, instance, [*slos.all_slos(), FLAWLESS])
