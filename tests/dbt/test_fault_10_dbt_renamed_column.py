"""faults.md row 10 (renamed or dropped source column): staging fails loudly naming the column;
marts untouched.

Two shapes of the fault:
- the raw column itself is renamed/dropped (e.g. a table rebuilt by hand): staging's explicit
  column list stops with the database's error naming the column;
- the source renames a field (`platform` -> `os`, the microproduct's `renamed_column` fault):
  ingestion never drops raw columns (docs/contracts.md §2), so `platform` stays and fills with
  nulls while `os` appears. `not_null` on `stg_events__events.platform` (error severity) and the
  schema check stop the build.
Either way the marts downstream are `skipped` and keep their rows.
"""

from __future__ import annotations

import pytest
from dbt_helpers import Project

SELECT = ("stg_events__events+",)
ACTIVE_USERS = "select count(*), sum(dau), sum(mau) from marts.fct_active_users_daily"


@pytest.mark.parametrize(
    "ddl",
    [
        "alter table raw.events rename column platform to os",
        "alter table raw.events drop column platform",
    ],
    ids=["renamed", "dropped"],
)
def test_raw_column_missing_fails_staging_naming_it(project: Project, ddl: str) -> None:
    before = project.sql(ACTIVE_USERS)
    project.sql(ddl)

    result = project.dbt("build", "--select", *SELECT)

    assert result.success is False
    assert project.status("model.sproutly.stg_events__events") == "error"
    assert '"platform"' in project.message("model.sproutly.stg_events__events")
    assert project.status("model.sproutly.int_events_deduped") == "skipped"
    assert project.status("model.sproutly.fct_active_users_daily") == "skipped"
    assert project.status("model.sproutly.metrics_daily") == "skipped"
    assert project.sql(ACTIVE_USERS) == before


def test_source_rename_nulls_column_and_blocks_marts(project: Project) -> None:
    before = project.sql(ACTIVE_USERS)
    project.sql("alter table raw.events add column os varchar")
    project.sql(
        "insert into raw.events (event_id, event_type, user_id, occurred_at, received_at, os,"
        " app_version, properties, _load_id, _loaded_at, _source)"
        " values (md5('renamed'), 'app_opened', 2, '2026-02-28 09:00', '2026-02-28 09:01',"
        " 'android', '3.5.0', '{}', 'load_2', '2026-02-28 23:00', 'events/x.jsonl:1')"
    )

    result = project.dbt("build", "--select", *SELECT)

    assert result.success is False
    assert project.status("test.sproutly.not_null_stg_events__events_platform.") == "fail"
    assert project.status("model.sproutly.int_events_deduped") == "skipped"
    assert project.status("model.sproutly.fct_active_users_daily") == "skipped"
    assert project.sql(ACTIVE_USERS) == before
