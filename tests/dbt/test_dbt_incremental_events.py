"""The incremental `int_events_deduped` reads new loads only: late files land, re-runs add nothing.

(faults.md rows 4 and 7 on the dbt side.) Each case loads more rows into raw.events with a later
`_loaded_at`, as ingestion would, and runs the model incrementally.
"""

from __future__ import annotations

from dbt_helpers import Project

COUNT = "select count(*), count(distinct event_id) from intermediate.int_events_deduped"
LATE_FILE = """
insert into raw.events values
    (md5('late'), 'app_opened', 2, '2026-01-10 09:00', '2026-01-10 09:01', 'android', '3.4.1',
     '{}', 'load_2', '2026-03-01 23:00', 'events/date=2026-03-01/late.jsonl:1'),
    (md5('late'), 'app_opened', 2, '2026-01-10 09:00', '2026-01-10 09:01', 'android', '3.4.1',
     '{}', 'load_2', '2026-03-01 23:00', 'events/date=2026-03-01/late.jsonl:2')
"""
RESENT_OLD_EVENT = """
insert into raw.events
select event_id, event_type, user_id, occurred_at, received_at, platform, app_version, properties,
       'load_3', timestamp '2026-03-05 23:00', 'events/date=2026-03-05/resent.jsonl:1'
from raw.events where _source = 'events/date=2026-01-01/a.jsonl:1'
"""


def run_incremental(project: Project) -> None:
    assert project.dbt("run", "--select", "int_events_deduped").success


def test_late_file_lands_once_and_rerun_adds_nothing(project: Project) -> None:
    assert project.sql(COUNT) == [(11, 11)]
    project.sql(LATE_FILE)  # an old event (Jan 10), loaded now, twice in the same file

    run_incremental(project)
    assert project.sql(COUNT) == [(12, 12)]
    run_incremental(project)
    assert project.sql(COUNT) == [(12, 12)]
    late = project.sql(
        "select occurred_date, _source from intermediate.int_events_deduped"
        " where event_id = md5('late')"
    )
    assert [(str(d), s) for d, s in late] == [("2026-01-10", "events/date=2026-03-01/late.jsonl:1")]


def test_event_resent_after_the_lookback_keeps_first_copy(project: Project) -> None:
    """A copy of an event already loaded long before (a later load) adds no row
    and does not replace the first copy."""
    project.sql(RESENT_OLD_EVENT)
    run_incremental(project)
    assert project.sql(COUNT) == [(11, 11)]
    assert project.sql(
        "select _load_id from intermediate.int_events_deduped"
        " where _source like 'events/date=2026-01-01/a.jsonl:1'"
    ) == [("load_1",)]


CLOCK_BEHIND = """
insert into raw.events values
    (md5('behind'), 'app_opened', 3, '2026-01-11 09:00', '2026-01-11 09:01', 'ios', '3.4.1',
     '{}', 'load_4', '2025-12-31 23:00', 'events/date=2026-01-11/behind.jsonl:1')
"""


def test_a_load_stamped_before_the_newest_one_still_lands(project: Project) -> None:
    """A load is new because its id is new, not because its clock is ahead: a loader whose
    clock ran behind (here: stamped before every load in the model) is not skipped."""
    project.sql(CLOCK_BEHIND)
    run_incremental(project)
    assert project.sql(COUNT) == [(12, 12)]
    assert project.sql(
        "select _load_id from intermediate.int_events_deduped where event_id = md5('behind')"
    ) == [("load_4",)]
