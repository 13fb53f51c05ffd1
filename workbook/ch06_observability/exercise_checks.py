"""Exercise checks for chapter 06: an SLO declared and evaluated, and an alert rule (a sensor)
that fires when an error budget is spent."""

from __future__ import annotations

import pandas as pd

from orchestration import slos
from workbook import checks


def billing_slo(slo, evaluation: pd.DataFrame, checks_table: pd.DataFrame) -> None:
    """Exercise 1: a freshness SLO on ``raw/billing_payments`` whose target is dbt's *warn*
    threshold (read from the manifest), objective 95 % over 28 days, evaluated over the week."""
    checks.answered(slo, "billing_payments_slo")
    if not isinstance(slo, slos.FreshnessSLO):
        checks._fail(
            f"billing_payments_slo is a {type(slo).__name__}, not a FreshnessSLO.",
            "declare it with slos.FreshnessSLO(name=..., promise=..., objective=..., ...).",
        )
    checks.equal(slo.asset, "raw/billing_payments", what="the SLO's asset")
    checks.equal(
        (slo.check, slo.field),
        ("source_freshness", "age_hours"),
        what="the check and metadata field the SLO reads",
        hint="the source freshness check reports age_hours (see observability.check_evaluations).",
    )
    warn = slos.source_freshness_thresholds()["billing_payments"]["warn_hours"]
    checks.equal(
        slo.target,
        warn,
        what="the SLO's target",
        hint="read dbt's warn threshold: slos.source_freshness_thresholds()['billing_payments'].",
    )
    checks.close(slo.objective, 0.95, what="the objective", abs_tol=1e-9)
    checks.equal(slo.window_days, 28, what="the window (days)")
    checks.answered(evaluation, "billing_payments_evaluation")
    expected = slos.evaluate(slo, checks=checks_table)
    checks.same_rows(evaluation, expected, key="day", columns=["measured", "good", "bad_days"])


def budget_sensor(sensor, instance, watched) -> None:
    """Exercise 2: a sensor that sends one ``slo`` alert per SLO of ``watched`` whose budget is
    overspent, deduplicated by ``chain_id`` across ticks."""
    import dagster as dg

    from orchestration import observability
    from orchestration.alerts import AlertSink

    checks.answered(sensor, "slo_budget_alert")
    if not isinstance(sensor, dg.SensorDefinition):
        checks._fail(
            f"slo_budget_alert is a {type(sensor).__name__}, not a SensorDefinition.",
            "decorate a function with @dg.sensor(...) (no job: it only alerts).",
        )
    runs, evaluations = observability.runs(instance), observability.check_evaluations(instance)
    overspent = sorted(
        slo.name
        for slo in watched
        if not slos.summary(slo, slos.evaluate(slo, runs=runs, checks=evaluations))["slo_met"]
    )
    sink = AlertSink()
    before = len(sink.sent())
    for _ in range(2):  # the second tick must not repeat the alerts
        sensor(dg.build_sensor_context(instance=instance))
    sent = sink.sent()[before:]
    got = sorted(a["chain_id"] for a in sent if a["kind"] == "slo")
    expected = sorted(f"slo:{name}" for name in overspent)
    checks.equal(
        got,
        expected,
        what="the slo alerts sent over two ticks (chain ids)",
        hint="one Alert(kind='slo', chain_id=f'slo:{slo.name}', ...) per SLO with slo_met False; "
        "skip it when ('slo', chain_id) is already in sink.sent_keys().",
    )
