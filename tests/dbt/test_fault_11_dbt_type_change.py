"""faults.md row 11 (column type change): a schema check fails.

Staging casts every column explicitly, so a raw column that silently turns from TIMESTAMP into
TIMESTAMPTZ or VARCHAR (or BIGINT into VARCHAR) still "works" and dbt's model contracts -- which
check a model's *output* -- see nothing. The generic test `matches_declared_schema` on every source
compares the raw table's actual types with the `data_type`s declared in the sources YAML; at error
severity it fails and everything downstream of that source is skipped.
"""

from __future__ import annotations

import pytest
from dbt_helpers import Project

CHECK = "test.sproutly.source_matches_declared_schema_billing_invoices_"


@pytest.mark.parametrize(
    ("column", "new_type"),
    [("issued_at", "timestamptz"), ("issued_at", "varchar"), ("amount_due_cents", "varchar")],
)
def test_type_change_fails_schema_check(project: Project, column: str, new_type: str) -> None:
    invoices_before = project.scalar("select count(*) from marts.fct_invoices")
    project.sql(f"alter table raw.billing_invoices alter column {column} type {new_type}")

    result = project.dbt("build", "--select", "source:billing.invoices+", "--exclude", "snapshots")

    assert result.success is False
    assert project.status(CHECK) == "fail"
    assert project.status("model.sproutly.stg_billing__invoices") == "skipped"
    assert project.status("model.sproutly.fct_invoices") == "skipped"
    assert project.scalar("select count(*) from marts.fct_invoices") == invoices_before


def test_without_the_check_the_type_change_goes_unnoticed(project: Project) -> None:
    """Why the check exists: the same change with the check excluded builds the marts 'fine'."""
    project.sql("alter table raw.billing_invoices alter column issued_at type varchar")
    result = project.dbt(
        "build", "--select", "stg_billing__invoices", "fct_invoices", "--exclude", "test_type:data"
    )
    assert result.success
    assert project.status("model.sproutly.fct_invoices") == "success"


def test_schema_check_passes_on_the_contract(project: Project) -> None:
    """Control: all six raw tables match their declared schemas; a new column is allowed."""
    project.sql("alter table raw.events add column session_id varchar")
    assert project.dbt("test", "--select", "test_name:matches_declared_schema").success
    statuses = [s for uid, s in project.statuses().items() if "matches_declared_schema" in uid]
    assert statuses == ["pass"] * 6
