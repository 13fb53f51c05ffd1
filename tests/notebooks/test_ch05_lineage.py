"""Chapter 05's lineage picture: no arrow may seem to run through a box it does not touch."""

import dagster as dg

from workbook.ch05_orchestration import views


def _asset(name, group, deps=()):
    @dg.asset(name=name, group_name=group, deps=list(deps))
    def _a() -> None: ...

    return _a


def _distance(point, start, end):
    (px, py), (ax, ay), (bx, by) = point, start, end
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return ((px - ax - t * dx) ** 2 + (py - ay - t * dy) ** 2) ** 0.5


def test_no_arrow_runs_through_a_box_it_does_not_join():
    # the project's shape in small: marts feed publish; a snapshot reads staging, feeds nothing
    definitions = dg.Definitions(
        assets=[
            _asset("source", "raw"),
            _asset("stg", "staging", ["source"]),
            _asset("intermediate_model", "intermediate", ["stg"]),
            *[_asset(f"mart_{i}", "marts", ["intermediate_model"]) for i in range(3)],
            _asset("snap", "snapshots", ["stg"]),
            _asset("published", "serving", [f"mart_{i}" for i in range(3)]),
        ]
    )
    figure = views.lineage_plot(definitions)
    (ax,) = figure.axes
    boxes = {text.get_text(): text.get_position() for text in ax.texts if text.get_text()}
    arrows = [(a.xyann, a.xy) for a in ax.texts if hasattr(a, "xyann")]
    assert len(arrows) == 9 and set(boxes) >= {"snap", "published"}
    for start, end in arrows:
        for name, where in boxes.items():
            near_ends = min(abs(where[0] - start[0]), abs(where[0] - end[0])) < 0.1
            if not near_ends:
                assert _distance(where, start, end) > 0.25, f"an arrow runs through {name}"
