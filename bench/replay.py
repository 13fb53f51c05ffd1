"""``dbt build`` against the same compiled SQL replayed in one DuckDB connection.

    SPROUTLY_DATA_DIR=<folder with a raw-only warehouse> python -m bench.replay

Prints one JSON object (last line of stdout). Expects a warehouse holding the raw layer (and a
clock). Steps, side by side in one process:

1. copy the raw-only warehouse aside (same file name: compiled SQL says ``"dev"."staging"...``);
2. import dbt (timed apart: a one-time cost of any in-process use);
3. the first ``dbt build`` in-process through :func:`sproutly.dbt.dbt` (parse included: the target
   folder is fresh, as after any change to the profile or vars; what a notebook's or a Dagster
   run's first dbt call pays);
4. the warehouse back to raw-only, then the same ``dbt build`` again in the same process: what
   every later call pays (a Dagster run, a chapter's next cell, a test), dbt's parsed manifest
   kept by :mod:`sproutly.dbt`;
5. the same again with ``--threads 2`` (informative: the project runs with one thread, see
   ``profiles.yml``);
6. read dbt's own timings: parse (``perf_info.json``) and the nodes' execution (``run_results.json``
   of the repeated call);
7. replay, in dbt's execution order, the compiled SQL of every node dbt ran, on the copy, in one
   connection: each model as ``create or replace table/view``, each test as a count.

The ratios build / replay are dbt's overhead over plain SQL doing the same work; the start-up
share is the part of the first call's wall time (import included) not spent executing nodes.
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
    """Seconds dbt spent loading the project: ``load_all_elapsed`` of the ``perf_info.json`` that
    ``dbt parse`` writes next to the manifest (what :mod:`sproutly.dbt` runs on its first call in
    a process), else from "Running with dbt=" to "Found N models" in the last invocation of
    ``log``."""
    perf_info = Path(target_dir()) / "perf_info.json"
    if perf_info.exists():
        return json.loads(perf_info.read_text())["load_all_elapsed"]
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


def timed_build(raw_copy: Path, warehouse: Path, *args: str) -> tuple[float, dict[str, Any]]:
    """Seconds of one in-process ``dbt build`` from the raw-only warehouse, and its results."""
    shutil.copy(raw_copy, warehouse)
    started = time.perf_counter()
    result = run_dbt("build", *args)
    wall = time.perf_counter() - started
    if not result.success:
        raise SystemExit("dbt build failed: see run_results.json")
    return wall, run_results()


def main() -> None:
    warehouse = paths.warehouse_path()
    replay_dir = warehouse.parent / "replay"
    replay_dir.mkdir(exist_ok=True)
    raw_copy = replay_dir / warehouse.name
    shutil.copy(warehouse, raw_copy)

    started = time.perf_counter()
    import dbt.cli.main  # noqa: F401  (the one-time import, measured apart from the build)

    imported = time.perf_counter() - started
    first, first_results = timed_build(raw_copy, warehouse)
    parse = parse_seconds(Path(target_dir()).parent / "dbt_logs" / "dbt.log")
    threads_2, _ = timed_build(raw_copy, warehouse, "--threads", "2")
    repeated, results = timed_build(raw_copy, warehouse)
    executed = sum(r["execution_time"] for r in results["results"])
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
    first_executed = sum(r["execution_time"] for r in first_results["results"])
    print(
        json.dumps(
            {
                "raw_events": n_events,
                "dbt_import_s": imported,
                "dbt_build_wall_s": first,
                "dbt_repeat_wall_s": repeated,
                "dbt_threads_2_wall_s": threads_2,
                "dbt_parse_s": parse,
                "dbt_node_execution_s": executed,
                "replay_same_sql_s": replay,
                "ratio_wall_to_replay": first / replay,
                "ratio_repeat_to_replay": repeated / replay,
                "ratio_threads_2_to_replay": threads_2 / replay,
                "ratio_execution_to_replay": executed / replay,
                "startup_share": (imported + first - first_executed) / (imported + first),
                "repeat_overhead_s": repeated - executed,
                "statements": len(statements),
            }
        )
    )


if __name__ == "__main__":
    main()
