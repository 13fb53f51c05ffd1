"""faults.md row 5 (null keys): not_null at error severity fails and blocks the marts.

A user row with a null `user_id` lands in raw. `dbt build` must exit non-zero, and
run_results.json must show the staging test failed and every mart downstream of it `skipped`,
so the marts keep the last good build.
"""

from __future__ import annotations

from dbt_helpers import Project

NULL_KEY_USER = """
insert into raw.app_users values (null, 'ghost@example.com', 'NL', 'Europe/Amsterdam', 'organic',
    '2026-02-27 10:00', '2026-02-27 10:00', null, 'load_2', '2026-02-28 23:00', 'app.db:users')
"""


def test_null_user_id_blocks_marts(project: Project) -> None:
    users_before = project.scalar("select count(*) from marts.dim_users")
    project.sql(NULL_KEY_USER)

    result = project.dbt("build", "--select", "stg_app__users", "dim_users", "metrics_daily")

    assert result.success is False
    statuses = project.statuses()
    assert project.status("test.sproutly.not_null_stg_app__users_user_id.") == "fail"
    assert statuses["model.sproutly.dim_users.v2"] == "skipped"
    assert statuses["model.sproutly.metrics_daily"] == "skipped"
    # the mart still holds the last good build
    assert project.scalar("select count(*) from marts.dim_users") == users_before


def test_same_selection_passes_without_the_fault(project: Project) -> None:
    """Control: the identical selection succeeds on clean data (the failure above is the fault's)."""
    result = project.dbt("build", "--select", "stg_app__users", "dim_users", "metrics_daily")
    assert result.success
    assert project.statuses()["model.sproutly.dim_users.v2"] == "success"
