"""The portability gate: does every model and test of the project compile to SQL Snowflake accepts?

The emulator (:mod:`cutover.emulator`) reads Snowflake SQL with sqlglot and runs it on DuckDB,
so it accepts DuckDB-flavoured SQL a real account rejects (aggregate ``FILTER``, ``cast(x as
json)``, unquoted intervals). This gate is stricter, and cheap enough for every ``make test``:

1. compile the project for the Snowflake target (``dbt compile --target snowflake_emulated``:
   the emulator only answers dbt's connection, nothing is built);
2. parse every compiled model, snapshot, data test and unit test with **sqlfluff's Snowflake
   dialect** (a grammar of Snowflake's SQL, not a translator): an unparsable section fails;
3. two rules the grammar lets through, on the same parse tree: an ``interval`` constant must be
   a quoted string (``interval '1 day'``; Snowflake takes no number or expression there), and
   every ``desc`` in an ``order by`` must say ``nulls first`` or ``nulls last`` (see below).

Each problem names the compiled file, line and position, and the node. ``python -m cutover
portability`` (``make portability``, part of ``make lint``) runs it; ``make snowflake-check``
runs it before anything touches a real account. It compiles on an empty emulator, so an
incremental model is checked in its full-refresh form (``is_incremental()`` is false).

Known semantic differences: SQL that parses on both engines but means different things. Each is
covered by a macro, a gate rule or a test:

| difference | DuckDB | Snowflake | covered by |
|---|---|---|---|
| integer / integer | DOUBLE | NUMBER with 6 decimals | both operands cast to ``double`` (``metrics_daily``, ``fct_retention_cohorts``); parity compares each column at the precision its contract declares (:mod:`cutover.parity`, tests in ``tests/cutover/test_cutover_units.py``) |
| NULLs under ``order by ... desc`` | last | first | gate step 3; ``latest_version_of`` and ``int_subscriptions_mrr_daily`` say ``nulls last``; ``updated_at`` is tested ``not_null`` in staging |
| unquoted identifiers | kept as written, matched case-insensitively | folded to upper case | parity lower-cases column names; the raw copy creates upper-case tables; ``matches_declared_schema`` compares ``lower()`` names (``test_type_mapping_and_identifiers``) |
| timestamp types | ``TIMESTAMP`` (naive), session zone pinned to UTC | ``TIMESTAMP_NTZ`` by default (``TIMESTAMP_TYPE_MAPPING``), session zone from the account | staging casts to naive ``timestamp`` (UTC by convention); ``current_timestamp_utc`` is dispatched (``convert_timezone('UTC', ...)``); ``warehouse_type`` maps ``timestamp`` to ``timestamp_ntz``; parity renders timestamps in UTC (``test_canonical_values``) |
| JSON | ``JSON`` type | ``VARIANT`` (no JSON type) | the dispatched ``as_json`` macro; gate step 2 (``cast(x as json)`` does not parse) |
| aggregate ``FILTER (WHERE ...)``, ``interval 1 day`` | accepted | rejected | gate steps 2 and 3; models use ``count_if``, ``sum(case when ...)`` and ``dbt.dateadd`` |

Example::

    from cutover.portability import problems
    problems("select count(*) filter (where x > 1) from t")
    # [Problem(line=1, position=24, message="unparsable: '(where x > 1)'", ...)]
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from sproutly import dbt as sproutly_dbt

DIALECT = "snowflake"
# dbt resource types whose compiled SQL runs on the warehouse.
CHECKED_TYPES = ("model", "snapshot", "test", "unit_test")


@dataclass(frozen=True)
class Problem:
    """One place in one compiled statement that Snowflake would reject or read differently."""

    line: int
    position: int
    message: str
    path: str = ""  # the compiled file (relative to dbt's target folder), when known
    node: str = ""  # the dbt unique_id, when known

    def __str__(self) -> str:
        where = (
            f"{self.path}:{self.line}:{self.position}"
            if self.path
            else f"{self.line}:{self.position}"
        )
        return f"{where}: {self.message}" + (f" [{self.node}]" if self.node else "")


@dataclass
class GateResult:
    """What the gate checked and found; ``ok`` when nothing was found."""

    statements: int
    problems: list[Problem] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.statements > 0 and not self.problems

    def files(self) -> list[str]:
        """The compiled files with at least one problem, sorted."""
        return sorted({problem.path for problem in self.problems})

    def summary(self) -> str:
        lines = [str(problem) for problem in self.problems]
        verdict = (
            f"portability gate: {self.statements} compiled statements parse as {DIALECT} SQL"
            if self.ok
            else f"portability gate FAILED: {len(self.problems)} problems in "
            f"{len(self.files())} of {self.statements} compiled statements"
        )
        return "\n".join([*lines, verdict])


@cache
def _linter() -> Any:
    from sqlfluff.core import FluffConfig, Linter

    # Only the dialect and the raw templater: the SQL is already compiled by dbt, and the
    # project's .sqlfluff (dbt templater, duckdb dialect) must not apply here.
    return Linter(config=FluffConfig(overrides={"dialect": DIALECT, "templater": "raw"}))


def _position(segment: Any) -> tuple[int, int]:
    marker = segment.pos_marker
    return marker.working_line_no, marker.working_line_pos


def _code(segments: Iterable[Any]) -> list[Any]:
    return [s for s in segments if not (s.is_whitespace or s.is_meta or s.is_comment)]


def _unquoted_intervals(tree: Any) -> Iterator[Problem]:
    """``interval`` must be followed by a quoted constant (``interval '1 day'``)."""
    tokens = _code(tree.raw_segments)
    for index, token in enumerate(tokens):
        if token.raw.lower() != "interval":
            continue
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if following is None or not following.raw.startswith("'"):
            after = following.raw if following is not None else "(end)"
            yield Problem(
                *_position(token),
                f"interval without a quoted constant ('interval {after} ...'): Snowflake needs "
                "interval '1 day'; use dbt.dateadd",
            )


def _descending_without_nulls(tree: Any) -> Iterator[Problem]:
    """``desc`` without ``nulls first/last`` sorts NULLs differently on the two engines."""
    for clause in tree.recursive_crawl("orderby_clause"):
        items: list[list[Any]] = [[]]
        for segment in _code(clause.segments):
            if segment.raw == ",":
                items.append([])
            else:
                items[-1].append(segment)
        for item in items:
            words = [s.raw.lower() for s in item if s.is_type("keyword")]
            if "desc" in words and "nulls" not in words:
                desc = next(s for s in item if s.raw.lower() == "desc")
                yield Problem(
                    *_position(desc),
                    "'desc' without 'nulls first' or 'nulls last': NULLs sort last on DuckDB, "
                    "first on Snowflake",
                )


def problems(sql: str) -> list[Problem]:
    """Everything in one compiled statement that Snowflake would reject or read differently."""
    parsed = _linter().parse_string(sql)
    found = [Problem(v.line_no, v.line_pos, _parse_message(v.desc())) for v in parsed.violations]
    if parsed.tree is not None:
        found += [*_unquoted_intervals(parsed.tree), *_descending_without_nulls(parsed.tree)]
    return sorted(found, key=lambda p: (p.line, p.position, p.message))


def _parse_message(text: str) -> str:
    """sqlfluff's "Line 1, Position 24: Found unparsable section: 'x'" without the position."""
    text = text.split(": ", 1)[1] if text.startswith("Line ") and ": " in text else text
    return text.replace("Found unparsable section", "unparsable")


def compiled_statements(manifest_json: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """``(unique_id, compiled path, compiled SQL)`` of every compiled model, snapshot, data test
    and unit test in a manifest written by ``dbt compile``, sorted by path."""
    nodes = [
        *manifest_json.get("nodes", {}).values(),
        *manifest_json.get("unit_tests", {}).values(),
    ]
    statements = [
        (node["unique_id"], _relative(node), node["compiled_code"])
        for node in nodes
        if node.get("resource_type") in CHECKED_TYPES and node.get("compiled_code")
    ]
    return sorted(statements, key=lambda item: (item[1], item[0]))


def _relative(node: Mapping[str, Any]) -> str:
    """The compiled file from dbt's target folder on (``compiled/sproutly/models/...sql``)."""
    path = node.get("compiled_path") or node.get("original_file_path", "")
    return "compiled/" + path.split("/compiled/", 1)[1] if "/compiled/" in path else path


def check_manifest(manifest_json: Mapping[str, Any]) -> GateResult:
    """Parse every compiled statement of a manifest (see :func:`compiled_statements`)."""
    statements = compiled_statements(manifest_json)
    found = [
        Problem(p.line, p.position, p.message, path=path, node=unique_id)
        for unique_id, path, sql in statements
        for p in problems(sql)
    ]
    return GateResult(statements=len(statements), problems=found)


def compile_for_snowflake(timeout: float = 600) -> Path:
    """``dbt compile`` for the ``snowflake_emulated`` target against a fresh emulator (nothing
    is built); returns dbt's target folder, whose manifest holds the compiled SQL."""
    from cutover import emulator
    from cutover.run import EMULATED, DbtFailed, run_dbt

    with emulator.running() as started:
        compiled = run_dbt("compile", target=EMULATED, timeout=timeout, env=started.env())
    if not compiled.success:
        raise DbtFailed(f"dbt compile for Snowflake failed:\n{compiled.output[-3000:]}")
    return compiled.target_path


def gate(timeout: float = 600) -> GateResult:
    """The whole gate: compile for Snowflake, then parse every compiled statement."""
    started = time.perf_counter()
    target_path = compile_for_snowflake(timeout=timeout)
    compiled_at = time.perf_counter()
    result = check_manifest(sproutly_dbt.manifest(target_path))
    result.seconds = {
        "compile_s": compiled_at - started,
        "parse_s": time.perf_counter() - compiled_at,
    }
    return result
