"""faults.md row 20 (stale source): `dbt source freshness` against the *simulated* now.

Thresholds (models/staging/*/_*__sources.yml), the same for every source: warn when the newest load is more than 24 h older
than `sproutly_now`, error when more than 48 h. dbt compares strictly (age > threshold), so 24 h
exactly still passes. The macro override in macros/collect_freshness.sql makes dbt use the var
instead of the warehouse's clock -- the wall clock (late 2026 or later) would make the fixture's
February 2026 loads look months old and every case would error.
"""

from __future__ import annotations

import pytest
from dbt_helpers import Project
from dbt_raw_fixture import NOW

from sproutly.dbt import freshness_results, node_statuses


def freshness_statuses(project: Project, *select: str) -> dict[str, str]:
    project.dbt("source", "freshness", "--select", *select)
    return node_statuses(freshness_results())


@pytest.mark.parametrize(
    ("hours_back", "expected"),
    [(0, "pass"), (24, "pass"), (25, "warn"), (48, "warn"), (49, "error")],
)
def test_event_freshness_thresholds(raw_project: Project, hours_back: int, expected: str) -> None:
    raw_project.sql(
        f"update raw.events set _loaded_at = timestamp '{NOW}' - interval {hours_back} hour"
    )
    statuses = freshness_statuses(raw_project, "source:events")
    assert statuses == {"source.sproutly.events.events": expected}


@pytest.mark.parametrize(("hours_back", "expected"), [(1, "pass"), (25, "warn"), (49, "error")])
def test_plans_freshness_reads_last_successful_load(
    raw_project: Project, hours_back: int, expected: str
) -> None:
    """App and billing tables: freshness is the entity's last successful load in meta.loads, not
    max(_loaded_at) -- here the plans' rows are two months old, yet the source is as fresh as its
    last load. A failed load does not count."""
    raw_project.sql(
        f"update meta.loads set finished_at = timestamp '{NOW}' - interval {hours_back} hour"
    )
    raw_project.sql("update raw.app_plans set _loaded_at = timestamp '2026-01-01'")
    statuses = freshness_statuses(raw_project, "source:app.plans")
    assert statuses == {"source.sproutly.app.plans": expected}


def test_freshness_exit_status(raw_project: Project) -> None:
    """An error-level stale source makes the command fail (result.success False -> exit code 1)."""
    raw_project.sql(f"update raw.events set _loaded_at = timestamp '{NOW}' - interval 72 hour")
    result = raw_project.dbt("source", "freshness", "--select", "source:events")
    assert result.success is False
    raw_project.sql(f"update raw.events set _loaded_at = timestamp '{NOW}'")
    assert raw_project.dbt("source", "freshness", "--select", "source:events").success
