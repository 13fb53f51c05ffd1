"""``dbt build`` against the same compiled SQL replayed in one DuckDB connection.

    SPROUTLY_DATA_DIR=<folder with a raw-only warehouse> python -m bench.replay

Prints one JSON object (last line of stdout). Expects a warehouse holding the raw layer (and a
clock). Steps, side by side in one process:

1. copy the raw-only warehouse aside (same file name: compiled SQL says ``"dev"."staging"...``);
2. import dbt (timed apart: a one-time cost of any in-process use);
3. ``dbt build`` in-process through :func:`sproutly.dbt.dbt` (parse included: the target folder
   is fresh, as after any change to the profile or vars);
4. read dbt's own timings: parse (from ``dbt.log``) and the nodes' execution (``run_results.json``);
5. replay, in dbt's execution order, the compiled SQL of every node dbt ran, on the copy, in one
   connection: each model as ``create or replace table/view``, each test as a count.

The ratio build / replay is dbt's overhead over plain SQL doing the same work; the start-up
share is the part of dbt's wall time (import included) not spent executing nodes.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from sproutly import paths
from sproutly.dbt import dbt as run_dbt
from sproutly.dbt import manifest, run_results, target_dir

SCHEMAS = ("staging", "intermediate", "marts", "snapshots")


def parse_seconds(log: Path) -> float | None:
    """Seconds from "Running with dbt=" to "Found N models" in the last invocation of ``log``."""
    if not log.exists():
        return None
    text = log.read_text().splitlines()
    starts = [i for i, line in enumerate(text) if "Running with dbt=" in line]
    if not starts:
        return None
    stamp = re.compile(r"^(\d\d:\d\d:\d\d\.\d+)")

    def at(i: int) -> datetime | None:
        match = stamp.match(text[i])
        return datetime.strptime(match.group(1), "%H:%M:%S.%f") if match else None

    found = next(
        (i for i in range(starts[-1], len(text)) if " Found " in text[i] and "models" in text[i]),
        None,
    )
    if found is None:
        return None
    begin, end = at(starts[-1]), at(found)
    return (end - begin).total_seconds() if begin and end else None


def replay_statements(manifest: dict[str, Any], results: dict[str, Any]) -> list[str]:
    """The compiled SQL of every node dbt ran, in run order, as plain DuckDB statements."""
    statements: list[str] = []
    for row in results["results"]:
        node = manifest["nodes"].get(row["unique_id"])
        if node is None or node["resource_type"] not in ("model", "snapshot", "test"):
            continue  # unit tests: fixtures only, nothing to replay
        sql = node["compiled_code"]
        if node["resource_type"] == "test":
            statements.append(f"select count(*) from ({sql}) as failures")  # noqa: S608 - dbt's own compiled SQL
            continue
        relation = f'"{node["schema"]}"."{node["alias"]}"'
        kind = "view" if node["config"]["materialized"] == "view" else "table"
        statements.append(f"create or replace {kind} {relation} as {sql}")
    return statements


def main() -> None:
    warehouse = paths.warehouse_path()
    replay_dir = warehouse.parent / "replay"
    replay_dir.mkdir(exist_ok=True)
    raw_copy = replay_dir / warehouse.name
    shutil.copy(warehouse, raw_copy)

    started = time.perf_counter()
    import dbt.cli.main  # noqa: F401  (the one-time import, measured apart from the build)

    imported = time.perf_counter() - started
    started = time.perf_counter()
    result = run_dbt("build")
    wall = time.perf_counter() - started
    if not result.success:
        raise SystemExit("dbt build failed: see run_results.json")
    results = run_results()
    executed = sum(r["execution_time"] for r in results["results"])
    parse = parse_seconds(Path(target_dir()).parent / "dbt_logs" / "dbt.log")
    statements = replay_statements(manifest(), results)

    with duckdb.connect(str(raw_copy)) as con:
        for schema in SCHEMAS:
            con.execute(f"create schema if not exists {schema}")
        started = time.perf_counter()
        for sql in statements:
            con.execute(sql).fetchall()
        replay = time.perf_counter() - started
    shutil.rmtree(replay_dir)

    with duckdb.connect(str(warehouse), read_only=True) as con:
        n_events = con.execute("select count(*) from raw.events").fetchall()[0][0]
    print(
        json.dumps(
            {
                "raw_events": n_events,
                "dbt_import_s": imported,
                "dbt_build_wall_s": wall,
                "dbt_parse_s": parse,
                "dbt_node_execution_s": executed,
                "replay_same_sql_s": replay,
                "ratio_wall_to_replay": wall / replay,
                "ratio_execution_to_replay": executed / replay,
                "startup_share": (imported + wall - executed) / (imported + wall),
                "statements": len(statements),
            }
        )
    )


if __name__ == "__main__":
    main()
