"""Exercise checks for chapter 06: an SLO declared and evaluated, a freshness threshold tightened
in a sandbox, and an alert rule (a sensor) that fires when an error budget is spent."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd

from orchestration import slos
from sproutly import clock
from sproutly.dbt import (
    freshness_results,
    manifest,
    node_statuses,
    source_freshness_thresholds,
)
from workbook import checks

#: Exercise 2: the tightened events thresholds, in hours (warn, error).
EVENTS_THRESHOLDS = {"warn_hours": 12.0, "error_hours": 24.0}
#: Exercise 2: how late after the last load the check runs dbt source freshness.
PROBE_HOURS = 18


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


def _sandbox_thresholds(sb) -> dict[str, dict[str, float]]:
    try:
        sandbox_manifest = manifest(sb.project_dir / "target")
    except FileNotFoundError:
        checks._fail(
            "the sandbox has no manifest yet.",
            "run sb.dbt('source', 'freshness', '--select', 'source:events') after editing.",
        )
    return source_freshness_thresholds(sandbox_manifest)


def events_freshness(sb) -> None:
    """Exercise 2: in the sandbox, the events source warns after 12 h and errors after 24 h;
    the other sources keep their thresholds; dbt source freshness agrees at a probe time."""
    checks.answered(sb, "the sandbox")
    sb.dbt("parse")
    thresholds = _sandbox_thresholds(sb)
    checks.equal(
        thresholds.get("events"),
        EVENTS_THRESHOLDS,
        what="the events source's thresholds (hours)",
        hint="edit freshness: warn_after / error_after in models/staging/events/"
        "_events__sources.yml ({count: 12, period: hour} and {count: 24, period: hour}).",
    )
    reference = slos.source_freshness_thresholds()
    changed = sorted(t for t in reference if t != "events" and thresholds.get(t) != reference[t])
    if changed:
        checks._fail(
            f"thresholds of other sources changed too: {', '.join(changed)}.",
            "only the events source's freshness block should change.",
        )
    probe = clock.now() + timedelta(hours=PROBE_HOURS)
    sb.dbt(
        "source",
        "freshness",
        "--select",
        "source:events",
        vars={"sproutly_now": probe.strftime("%Y-%m-%d %H:%M:%S")},
    )
    results = freshness_results(sb.project_dir / "target")
    statuses = {uid.split(".")[-1]: status for uid, status in node_statuses(results).items()}
    checks.equal(
        statuses.get("events"),
        "warn",
        what=f"dbt's verdict on raw.events {PROBE_HOURS} h after its last load",
        hint="18 h is past a 12 h warn threshold and before a 24 h error threshold.",
    )


def budget_sensor(sensor, instance, watched) -> None:
    """Exercise 3: a sensor that sends one ``slo`` alert per SLO of ``watched`` whose budget is
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
