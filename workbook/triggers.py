"""The upgrade-trigger calculator: when does a local-first stack stop being enough?

The playbook's default is *local-first* (Dagster + dbt + DuckDB on one machine). It names five
signals that say it is time to move to a *warehouse-first* stack (Dagster + dbt + Snowflake):

| trigger | fires when | why |
|---|---|---|
| run duration | a pipeline run takes 20-30 min or more | one machine, one writer: runs queue up |
| data volume | 50-100 GB or more | beyond what one laptop/VM scans comfortably |
| concurrent users | 3 or more people query at once | DuckDB allows one writer per file |
| freshness SLA | data must be fresher than 15 min | needs continuous loading, not daily batches |
| governance | roles, audit trails or retention rules are required | a file has no RBAC or audit log |

A range like "20-30 min" gives a *watch* band: inside it, plan the move; past it, move.

    >>> a = upgrade_triggers(run_minutes=12, data_gb=4, concurrent_users=2,
    ...                      freshness_sla_minutes=24 * 60)
    >>> a.verdict
    'local-first'
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

State = Literal["ok", "watch", "fire"]

VERDICTS = {
    "local-first": "Stay local-first: Dagster + dbt + DuckDB is enough.",
    "local-first, plan the move": (
        "Stay local-first for now, but a trigger is in its watch band: plan the cutover."
    ),
    "warehouse-first": (
        "Move to warehouse-first: Dagster + dbt + Snowflake (chapter 08 shows the cutover)."
    ),
}


@dataclass(frozen=True)
class Threshold:
    """One trigger's rule: ``watch_at`` starts the watch band, ``fire_at`` fires the trigger.

    ``direction="above"`` means larger values are worse (run minutes, GB, users);
    ``"below"`` means smaller values are worse (a 5-minute SLA is stricter than a 60-minute one).
    """

    name: str
    label: str
    unit: str
    watch_at: float
    fire_at: float
    direction: Literal["above", "below"] = "above"


#: design.md §7: runs over 20-30 min; data over 50-100 GB; 3+ concurrent users;
#: freshness SLA under 15 min; governance needs (RBAC, audit, retention).
THRESHOLDS: dict[str, Threshold] = {
    "run_minutes": Threshold("run_minutes", "run duration", "min", 20, 30),
    "data_gb": Threshold("data_gb", "data volume", "GB", 50, 100),
    "concurrent_users": Threshold("concurrent_users", "concurrent users", "users", 3, 3),
    "freshness_sla_minutes": Threshold(
        "freshness_sla_minutes", "freshness SLA", "min", 15, 15, direction="below"
    ),
}


@dataclass(frozen=True)
class Trigger:
    """One evaluated trigger: its input value, its state and the sentence that explains it."""

    name: str
    label: str
    value: str
    state: State
    reason: str
    #: value / threshold (or threshold / value for "below" rules): 1.0 means "exactly at the line".
    pressure: float


@dataclass(frozen=True)
class UpgradeAssessment:
    """The calculator's answer: every trigger, the verdict and the reasons behind it."""

    triggers: tuple[Trigger, ...]
    verdict: str
    inputs: dict = field(default_factory=dict)

    @property
    def fired(self) -> list[str]:
        """Names of the triggers that fire (e.g. ``["run_minutes", "governance"]``)."""
        return [t.name for t in self.triggers if t.state == "fire"]

    @property
    def watching(self) -> list[str]:
        """Names of the triggers inside their watch band."""
        return [t.name for t in self.triggers if t.state == "watch"]

    @property
    def reasons(self) -> list[str]:
        """One sentence per trigger that is not ``ok``."""
        return [t.reason for t in self.triggers if t.state != "ok"]

    @property
    def advice(self) -> str:
        return VERDICTS[self.verdict]

    def __repr__(self) -> str:
        lines = [f"UpgradeAssessment: {self.verdict}", f"  {self.advice}"]
        for t in self.triggers:
            lines.append(f"  [{t.state:>5}] {t.label:<16} {t.value:<14} {t.reason}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        colours = {"ok": "#2e7d32", "watch": "#ef6c00", "fire": "#c62828"}
        rows = "".join(
            f"<tr><td>{html.escape(t.label)}</td><td>{html.escape(t.value)}</td>"
            f'<td style="color:{colours[t.state]};font-weight:bold">{t.state}</td>'
            f"<td>{html.escape(t.reason)}</td></tr>"
            for t in self.triggers
        )
        return (
            f"<p><b>Verdict: {html.escape(self.verdict)}</b> - {html.escape(self.advice)}</p>"
            "<table><thead><tr><th>trigger</th><th>input</th><th>state</th><th>why</th></tr>"
            f"</thead><tbody>{rows}</tbody></table>"
        )


def _state(value: float, rule: Threshold) -> State:
    if rule.direction == "above":
        if value >= rule.fire_at:
            return "fire"
        return "watch" if value >= rule.watch_at else "ok"
    if value < rule.fire_at:
        return "fire"
    return "watch" if value < rule.watch_at else "ok"


def _numeric_trigger(name: str, value: float | None) -> Trigger:
    rule = THRESHOLDS[name]
    if value is None:  # only the SLA may be absent: "no freshness requirement"
        return Trigger(name, rule.label, "none", "ok", "no freshness SLA stated", 0.0)
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    state = _state(value, rule)
    shown = f"{value:g} {rule.unit}"
    if rule.direction == "above":
        pressure = value / rule.fire_at
        band = (
            f"{rule.watch_at:g}-{rule.fire_at:g} {rule.unit}"
            if rule.watch_at != rule.fire_at
            else f"{rule.fire_at:g} {rule.unit}"
        )
        reason = {
            "fire": f"{shown} is at or above the {band} trigger",
            "watch": f"{shown} is inside the {band} watch band",
            "ok": f"{shown} is below the {band} trigger",
        }[state]
    else:
        pressure = rule.fire_at / value if value else float("inf")
        reason = {
            "fire": f"an SLA of {shown} is stricter than the {rule.fire_at:g} {rule.unit} trigger",
            "watch": f"an SLA of {shown} is close to the {rule.fire_at:g} {rule.unit} trigger",
            "ok": f"an SLA of {shown} is looser than the {rule.fire_at:g} {rule.unit} trigger",
        }[state]
    return Trigger(name, rule.label, shown, state, reason, round(pressure, 4))


def upgrade_triggers(
    *,
    run_minutes: float,
    data_gb: float,
    concurrent_users: int,
    freshness_sla_minutes: float | None = None,
    governance: Iterable[str] | bool = (),
) -> UpgradeAssessment:
    """Evaluate the five upgrade triggers for a team and return the verdict with its reasons.

    Args:
        run_minutes: how long one full pipeline run takes.
        data_gb: the size of the data the pipeline scans.
        concurrent_users: people (or tools) that query the warehouse at the same time.
        freshness_sla_minutes: how stale the data may be; ``None`` if nobody promised anything.
        governance: requirements such as ``{"rbac", "audit", "retention"}`` (or ``True``).

    The verdict is ``warehouse-first`` when any trigger fires, ``local-first, plan the move``
    when one is in its watch band, ``local-first`` otherwise.
    """
    if isinstance(governance, bool):
        needs = ["governance"] if governance else []
    elif isinstance(governance, str):
        needs = [governance]
    else:
        needs = sorted(set(governance))
    triggers = [
        _numeric_trigger("run_minutes", run_minutes),
        _numeric_trigger("data_gb", data_gb),
        _numeric_trigger("concurrent_users", concurrent_users),
        _numeric_trigger("freshness_sla_minutes", freshness_sla_minutes),
    ]
    if needs:
        gov = Trigger(
            "governance",
            "governance",
            ", ".join(needs),
            "fire",
            f"required: {', '.join(needs)} (a DuckDB file has no roles or audit log)",
            1.0,
        )
    else:
        gov = Trigger("governance", "governance", "none", "ok", "no governance requirement", 0.0)
    triggers.append(gov)
    states = {t.state for t in triggers}
    if "fire" in states:
        verdict = "warehouse-first"
    elif "watch" in states:
        verdict = "local-first, plan the move"
    else:
        verdict = "local-first"
    inputs = {
        "run_minutes": run_minutes,
        "data_gb": data_gb,
        "concurrent_users": concurrent_users,
        "freshness_sla_minutes": freshness_sla_minutes,
        "governance": needs,
    }
    return UpgradeAssessment(tuple(triggers), verdict, inputs)


def plot_triggers(assessment: UpgradeAssessment, title: str | None = None):
    """A horizontal bar per trigger: how close each input is to its threshold (1.0 = the line).

    Returns a ``matplotlib.figure.Figure`` (built without pyplot, so a notebook shows it once).
    """
    from workbook.plots import figure

    colours = {"ok": "#66bb6a", "watch": "#ffa726", "fire": "#e53935"}
    triggers = list(reversed(assessment.triggers))
    cap = 3.0
    fig = figure((7, 3))
    ax = fig.add_subplot()
    ax.barh(
        [t.label for t in triggers],
        [min(t.pressure, cap) for t in triggers],
        color=[colours[t.state] for t in triggers],
    )
    ax.axvline(1.0, color="#424242", linestyle="--", linewidth=1)
    ax.set_xlim(0, cap)
    ax.set_xlabel("input relative to its trigger (1 = trigger line, capped at 3)")
    ax.set_title(title or f"Verdict: {assessment.verdict}")
    fig.tight_layout()
    return fig
