"""cutover/rbac.sql parses, and every role gets what it should -- and nothing more."""

from __future__ import annotations

import pytest

from cutover import rbac

KEYS = {name: "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A" for name in rbac.placeholders()}


@pytest.fixture(scope="module")
def granted() -> dict[str, set[tuple[str, str, str]]]:
    sql = rbac.statements(KEYS)
    rbac.validate(sql)
    return rbac.grants(sql)


def _privileges(granted, role: str, obj: str) -> set[str]:
    return {p for p, _, o in granted[role] if o == obj}


def test_placeholders_are_the_three_public_keys():
    assert rbac.placeholders() == [
        "SNOWFLAKE_LOADER_RSA_PUBLIC_KEY",
        "SNOWFLAKE_TRANSFORMER_RSA_PUBLIC_KEY",
        "SNOWFLAKE_REPORTER_RSA_PUBLIC_KEY",
    ]
    with pytest.raises(KeyError, match="SNOWFLAKE_LOADER_RSA_PUBLIC_KEY is not set"):
        rbac.statements({})


def test_keys_are_filled_at_apply_time_never_committed():
    text = rbac.RBAC_SQL.read_text()
    assert "MII" not in text and "BEGIN PUBLIC KEY" not in text
    pem = "-----BEGIN PUBLIC KEY-----\nMIIBIjAN\nBgkqhk==\n-----END PUBLIC KEY-----\n"
    sql = rbac.statements(dict.fromkeys(rbac.placeholders(), pem))
    assert "ALTER USER SPROUTLY_LOADER SET RSA_PUBLIC_KEY = 'MIIBIjANBgkqhk=='" in sql
    assert all("${" not in s for s in sql)


def test_every_statement_has_an_expected_form_and_parses():
    forms = rbac.validate(rbac.statements(KEYS))
    assert forms.count("create_role") == 3 and forms.count("create_user") == 3
    assert forms.count("set_key") == 3
    with pytest.raises(ValueError, match="Not an RBAC statement"):
        rbac.validate(["DROP DATABASE SPROUTLY"])


def test_loader_writes_raw_and_meta_only(granted):
    for schema in ("SPROUTLY.RAW", "SPROUTLY.META"):
        assert {"USAGE", "CREATE TABLE"} <= _privileges(granted, "LOADER", schema)
        assert {"INSERT", "DELETE", "SELECT"} <= _privileges(granted, "LOADER", schema) | {
            p for p, s, o in granted["LOADER"] if o == schema and "TABLES" in s
        }
    touched = {o for _, _, o in granted["LOADER"] if o.startswith("SPROUTLY.")}
    assert touched == {"SPROUTLY.RAW", "SPROUTLY.META"}


def test_transformer_reads_raw_and_builds_everything_downstream(granted):
    raw_reads = {(p, s) for p, s, o in granted["TRANSFORMER"] if o == "SPROUTLY.RAW"}
    assert ("SELECT", "FUTURE TABLES IN SCHEMA") in raw_reads
    assert not {p for p, _ in raw_reads} & {
        "INSERT",
        "UPDATE",
        "DELETE",
        "TRUNCATE",
        "CREATE TABLE",
    }
    for schema in ("STAGING", "INTERMEDIATE", "MARTS", "SNAPSHOTS"):
        assert {"USAGE", "CREATE TABLE", "CREATE VIEW"} <= _privileges(
            granted, "TRANSFORMER", f"SPROUTLY.{schema}"
        )


def test_reporter_reads_marts_and_nothing_else(granted):
    schemas = {o for _, _, o in granted["REPORTER"] if o.startswith("SPROUTLY.")}
    assert schemas == {"SPROUTLY.MARTS"}
    assert {p for p, _, o in granted["REPORTER"] if o == "SPROUTLY.MARTS"} == {"USAGE", "SELECT"}
    assert ("SELECT", "FUTURE TABLES IN SCHEMA", "SPROUTLY.MARTS") in granted["REPORTER"]


def test_every_role_has_the_warehouse_a_user_and_rolls_up_to_sysadmin(granted):
    for role in ("LOADER", "TRANSFORMER", "REPORTER"):
        assert ("USAGE", "WAREHOUSE", "SPROUTLY_WH") in granted[role]
        assert ("USAGE", "DATABASE", "SPROUTLY") in granted[role]
        assert ("ROLE", "USER", f"SPROUTLY_{role}") in granted[role]
        assert ("ROLE", "ROLE", role) in granted["SYSADMIN"]


def test_cost_controls_parse_as_snowflake_and_match_the_estimate():
    """cutover/cost_controls.sql: Snowflake's grammar accepts every statement (a misspelt
    trigger action is unparsable), and its auto-suspend is the one the cost estimate assumes."""
    import re

    from cutover import portability
    from workbook.ch08_snowflake_cutover import cost

    text = (rbac.RBAC_SQL.parent / "cost_controls.sql").read_text()
    assert portability.problems(text) == []
    assert portability.problems(text.replace("DO NOTIFY", "DO WARN"))
    for sql in (text, rbac.RBAC_SQL.read_text()):
        assert re.findall(r"AUTO_SUSPEND = (\d+)", sql) and {
            int(s) for s in re.findall(r"AUTO_SUSPEND = (\d+)", sql)
        } == {cost.AUTO_SUSPEND_SECONDS}
    assert re.search(r"CREATE RESOURCE MONITOR .+ CREDIT_QUOTA = \d+", text, re.S)
    assert "ON 100 PERCENT DO SUSPEND" in text
    assert "ALTER WAREHOUSE SPROUTLY_WH SET RESOURCE_MONITOR = SPROUTLY_MONTHLY" in text
