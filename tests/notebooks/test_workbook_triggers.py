"""The upgrade-trigger calculator: every threshold of design.md §7, on both sides of its line."""

from __future__ import annotations

import pytest

from workbook import plot_triggers, upgrade_triggers

CALM = {"run_minutes": 5, "data_gb": 1, "concurrent_users": 1, "freshness_sla_minutes": 1440}


@pytest.mark.parametrize(
    ("name", "value", "state"),
    [
        ("run_minutes", 19.9, "ok"),
        ("run_minutes", 20, "watch"),
        ("run_minutes", 29.9, "watch"),
        ("run_minutes", 30, "fire"),
        ("data_gb", 49, "ok"),
        ("data_gb", 50, "watch"),
        ("data_gb", 100, "fire"),
        ("concurrent_users", 2, "ok"),
        ("concurrent_users", 3, "fire"),
        ("freshness_sla_minutes", 15, "ok"),
        ("freshness_sla_minutes", 14, "fire"),
        ("freshness_sla_minutes", None, "ok"),
    ],
)
def test_each_threshold(name: str, value: float | None, state: str) -> None:
    assessment = upgrade_triggers(**{**CALM, name: value})
    trigger = next(t for t in assessment.triggers if t.name == name)
    assert trigger.state == state
    others = [t.state for t in assessment.triggers if t.name != name]
    assert set(others) == {"ok"}
    expected = {"ok": "local-first", "watch": "local-first, plan the move"}.get(
        state, "warehouse-first"
    )
    assert assessment.verdict == expected


def test_governance_fires_and_explains() -> None:
    assessment = upgrade_triggers(**CALM, governance={"rbac", "audit"})
    assert assessment.fired == ["governance"]
    assert assessment.verdict == "warehouse-first"
    assert assessment.reasons == ["required: audit, rbac (a DuckDB file has no roles or audit log)"]
    assert upgrade_triggers(**CALM, governance=True).fired == ["governance"]
    assert upgrade_triggers(**CALM, governance=False).fired == []


def test_reprs_are_readable_and_deterministic() -> None:
    assessment = upgrade_triggers(
        run_minutes=45, data_gb=10, concurrent_users=4, freshness_sla_minutes=60
    )
    assert assessment.fired == ["run_minutes", "concurrent_users"]
    text = repr(assessment)
    assert text.splitlines()[0] == "UpgradeAssessment: warehouse-first"
    assert "[ fire] run duration     45 min" in text
    assert "<b>Verdict: warehouse-first</b>" in assessment._repr_html_()
    assert repr(assessment) == repr(
        upgrade_triggers(run_minutes=45, data_gb=10, concurrent_users=4, freshness_sla_minutes=60)
    )


def test_negative_input_is_rejected() -> None:
    with pytest.raises(ValueError, match="run_minutes must be >= 0"):
        upgrade_triggers(**{**CALM, "run_minutes": -1})


def test_plot_has_one_bar_per_trigger() -> None:
    figure = plot_triggers(upgrade_triggers(**CALM, governance=True))
    (axes,) = figure.axes
    assert len(axes.patches) == 5
    assert axes.get_title() == "Verdict: warehouse-first"
