"""Read, check and apply ``cutover/rbac.sql``.

:func:`statements` splits the file into statements and fills its ``${NAME}`` placeholders from
the environment (public keys: never committed). :func:`validate` accepts only the statement forms
an RBAC script needs (USE ROLE, CREATE WAREHOUSE/DATABASE/SCHEMA/ROLE/USER, ALTER USER SET
RSA_PUBLIC_KEY, GRANT) and checks every statement tokenizes and parses in sqlglot's Snowflake
dialect; sqlglot alone is not enough, since it accepts many of these only as an opaque
"Command". :func:`grants` turns the GRANTs into a table of who may do what, which the tests
compare with the intent (LOADER writes raw, TRANSFORMER reads raw and writes the rest, REPORTER
reads marts).

fakesnow has no RBAC: roles and grants can only be proven against a real account
(``python -m cutover check --apply-rbac``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from sproutly import settings

RBAC_SQL = Path(__file__).with_name("rbac.sql")
PLACEHOLDER = re.compile(r"\$\{([A-Z0-9_]+)\}")

_NAME = r"[A-Z_][A-Z0-9_]*"
_QUALIFIED = rf"{_NAME}(?:\.{_NAME})?"
FORMS = {
    "use_role": re.compile(rf"USE ROLE {_NAME}"),
    "create_warehouse": re.compile(rf"CREATE WAREHOUSE IF NOT EXISTS {_NAME}( WITH .+)?"),
    "create_database": re.compile(rf"CREATE DATABASE IF NOT EXISTS {_NAME}"),
    "create_schema": re.compile(rf"CREATE SCHEMA IF NOT EXISTS {_QUALIFIED}"),
    "create_role": re.compile(rf"CREATE ROLE IF NOT EXISTS {_NAME}"),
    "create_user": re.compile(rf"CREATE USER IF NOT EXISTS {_NAME} .+"),
    "set_key": re.compile(rf"ALTER USER {_NAME} SET RSA_PUBLIC_KEY = '[^']*'"),
    "grant_role": re.compile(
        rf"GRANT ROLE (?P<role>{_NAME}) TO (?P<kind>ROLE|USER) (?P<to>{_NAME})"
    ),
    "grant": re.compile(
        r"GRANT (?P<privileges>[A-Z ,]+?) ON (?P<scope>(ALL|FUTURE) (TABLES|VIEWS) IN SCHEMA|"
        rf"SCHEMA|DATABASE|WAREHOUSE) (?P<object>{_QUALIFIED}) TO ROLE (?P<role>{_NAME})"
    ),
}


def _strip_comments(text: str) -> str:
    return "\n".join(line.split("--", 1)[0] for line in text.splitlines())


def statements(
    environ: Mapping[str, str] | None = None, *, path: Path = RBAC_SQL, fill: bool = True
) -> list[str]:
    """The statements of ``rbac.sql``, whitespace-normalised, placeholders filled from ``environ``.

    ``fill=False`` keeps the ``${NAME}`` placeholders (to inspect the file without keys). A
    missing variable raises ``KeyError`` naming it. PEM headers and line breaks of a public key
    are removed: Snowflake wants the bare base64 body.
    """
    environ = settings.environ() if environ is None else environ
    text = _strip_comments(path.read_text())
    result = []
    for raw in text.split(";"):
        statement = " ".join(raw.split())
        if not statement:
            continue
        if fill:

            def value(match: re.Match[str]) -> str:
                name = match.group(1)
                if not environ.get(name):
                    raise KeyError(f"{name} is not set: rbac.sql needs it (a user's public key)")
                return public_key_body(environ[name])

            statement = PLACEHOLDER.sub(value, statement)
        result.append(statement)
    return result


def placeholders(path: Path = RBAC_SQL) -> list[str]:
    """The environment variables ``rbac.sql`` needs, in order of appearance."""
    return list(dict.fromkeys(PLACEHOLDER.findall(_strip_comments(path.read_text()))))


def public_key_body(key: str) -> str:
    """The base64 body of a PEM public key (header, footer and whitespace removed)."""
    body = "".join(line for line in key.strip().splitlines() if not line.startswith("-----"))
    body = "".join(body.split())
    if not re.fullmatch(r"[A-Za-z0-9+/=]*", body):
        raise ValueError("A public key must be PEM or bare base64")
    return body


def validate(sql: list[str]) -> list[str]:
    """The form of each statement (see :data:`FORMS`); raises ``ValueError`` naming a statement
    that has none, or that sqlglot's Snowflake dialect cannot tokenize and parse."""
    import logging

    import sqlglot
    from sqlglot.errors import ErrorLevel

    forms = []
    sqlglot_logger = logging.getLogger("sqlglot")
    level = sqlglot_logger.level
    sqlglot_logger.setLevel(logging.ERROR)  # "falling back to parsing as a Command" is expected
    try:
        for statement in sql:
            form = next((name for name, rx in FORMS.items() if rx.fullmatch(statement)), None)
            if form is None:
                raise ValueError(f"Not an RBAC statement this project expects: {statement}")
            sqlglot.parse_one(statement, read="snowflake", error_level=ErrorLevel.RAISE)
            forms.append(form)
    finally:
        sqlglot_logger.setLevel(level)
    return forms


def grants(sql: list[str]) -> dict[str, set[tuple[str, str, str]]]:
    """``role -> {(privilege, scope, object)}`` from the GRANT statements; a role granted to a
    role (``GRANT ROLE X TO ROLE Y``) is recorded as ``("ROLE", "ROLE", "X")`` for Y, and a role
    granted to a user as ``("ROLE", "USER", user)`` for that role."""
    result: dict[str, set[tuple[str, str, str]]] = {}
    for statement in sql:
        if match := FORMS["grant"].fullmatch(statement):
            role = match["role"]
            for privilege in match["privileges"].split(","):
                result.setdefault(role, set()).add(
                    (" ".join(privilege.split()), match["scope"], match["object"])
                )
        elif match := FORMS["grant_role"].fullmatch(statement):
            if match["kind"] == "ROLE":
                result.setdefault(match["to"], set()).add(("ROLE", "ROLE", match["role"]))
            else:
                result.setdefault(match["role"], set()).add(("ROLE", "USER", match["to"]))
    return result


def apply(connect: Callable[[], Any] | None = None) -> list[str]:
    """Run every statement on a real account (a user holding SYSADMIN and SECURITYADMIN).
    Returns the statements run, in order. Public keys come from the environment."""
    sql = statements()
    validate(sql)
    if connect is None:
        from cutover.run import real_connect

        connect = real_connect
    con = connect()
    try:
        for statement in sql:
            cursor = con.cursor()
            try:
                cursor.execute(statement)
            finally:
                cursor.close()
    finally:
        con.close()
    return sql
