"""The pass/miss logic: a target applies at its scale only; no value is an error."""

from __future__ import annotations

import pytest

from bench.figures import LARGE_SCALE, TARGETS, Figure, Target, median, verdict


def test_within_the_bound_passes_and_over_it_misses():
    target = Target(30.0, "s")
    assert verdict(30.0, target, None) == "pass"
    assert verdict(12.5, target, 1.0) == "pass"
    assert verdict(30.01, target, 1.0) == "miss"


def test_no_target_is_info_and_no_value_is_error():
    assert verdict(5.0, None, 1.0) == "info"
    assert verdict(None, Target(1.0, "x"), None) == "error"
    assert verdict(None, None, None) == "error"


def test_a_scale_bound_target_applies_only_at_its_scale():
    target = Target(60.0, "s", scale=LARGE_SCALE)
    assert verdict(90.0, target, LARGE_SCALE) == "miss"
    assert verdict(90.0, target, 1.0) == "info"


def test_figure_verdict_uses_the_issue_targets():
    slow = Figure("dagster", "pipeline.dagster_s", "whole pipeline", 75.0, "s", scale=LARGE_SCALE)
    small = Figure("dagster", "pipeline.dagster_s", "whole pipeline", 75.0, "s", scale=1.0)
    assert slow.verdict == "miss" and slow.target is TARGETS["pipeline.dagster_s"]
    assert small.verdict == "info" and small.target is None


def test_from_samples_takes_the_median_and_counts_runs():
    figure = Figure.from_samples("serving", "serving.p95_ms", "p95", [30.0, 10.0, 12.0], "ms")
    assert figure.value == 12.0
    assert figure.runs == 3
    assert figure.samples == [30.0, 10.0, 12.0]
    assert figure.verdict == "pass"


def test_failed_figure_is_an_error_with_its_reason():
    figure = Figure.failed("dbt", "dbt.ratio_build_to_replay", "ratio", "x", "dbt build failed")
    assert (figure.value, figure.runs, figure.verdict) == (None, 0, "error")
    assert figure.as_dict()["note"] == "dbt build failed"


@pytest.mark.parametrize(
    ("target", "text"),
    [(Target(1.5, "x"), "<= 1.5x"), (Target(20, "%"), "<= 20 %"), (Target(600, "s"), "<= 600 s")],
)
def test_target_text(target, text):
    assert target.text() == text


def test_median_of_nothing_is_none():
    assert median([]) is None
    assert median([3.0, 1.0]) == 2.0


def test_a_repeated_dbt_build_is_held_to_4x_the_replay_at_the_course_scale():
    """Issue 20: the call the course repeats (the parsed manifest kept) <= 4x the plain SQL."""
    from bench.figures import COURSE_SCALE

    def repeated(ratio: float, scale: float) -> Figure:
        return Figure(
            "dbt", "dbt.ratio_repeat_to_replay", "repeat / replay", ratio, "x", scale=scale
        )

    assert repeated(5.08, COURSE_SCALE).verdict == "miss"
    assert repeated(3.9, COURSE_SCALE).verdict == "pass"
    assert repeated(5.08, LARGE_SCALE).verdict == "info"
