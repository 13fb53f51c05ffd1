"""Measure `dbt build` against the same compiled SQL replayed in one DuckDB connection.

Not a test (no ``test_`` prefix): a measurement the bench and the dbt room's report use::

    SPROUTLY_DATA_DIR=/tmp/bench uv run --locked --no-sync python tests/dbt/bench_replay.py

Expects a warehouse with the raw layer loaded (and a clock). Steps: copy the raw-only warehouse
aside; `dbt build` in-process (full parse included, as after any change to the profile or vars);
read dbt's own timings (parse vs execution) from its log and run_results.json; then replay, in
execution order, the compiled SQL of every node dbt ran
on the raw-only copy in one connection: each model's compiled select as `create or replace
table/view`, each test's compiled query as a count.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from datetime import datetime
from pathlib import Path

import duckdb

from sproutly import paths
from sproutly.dbt import dbt as run_dbt
from sproutly.dbt import run_results, target_dir


def _log_times(log: Path) -> tuple[datetime, datetime]:
    """(start of parse, end of parse) of the last invocation, from dbt.log timestamps."""
    text = log.read_text().splitlines()
    start = max(i for i, line in enumerate(text) if "Running with dbt=" in line)
    stamp = re.compile(r"^(\d\d:\d\d:\d\d\.\d+)")

    def at(i: int) -> datetime:
        return datetime.strptime(stamp.match(text[i]).group(1), "%H:%M:%S.%f")

    found = next(i for i in range(start, len(text)) if " Found " in text[i] and "models" in text[i])
    return at(start), at(found)


def main() -> None:
    warehouse = paths.warehouse_path()
    replay_dir = warehouse.parent / "replay"
    replay_dir.mkdir(exist_ok=True)
    raw_copy = replay_dir / warehouse.name  # same file name: the SQL says "dev"."staging"...
    shutil.copy(warehouse, raw_copy)

    started = time.perf_counter()
    import dbt.cli.main  # noqa: F401  (the one-time import, measured apart from the build)

    imported = time.perf_counter() - started
    started = time.perf_counter()
    result = run_dbt("build")
    wall = time.perf_counter() - started
    assert result.success, "dbt build failed"
    results = run_results()
    executed = sum(r["execution_time"] for r in results["results"])
    log = Path(target_dir()).parent / "dbt_logs" / "dbt.log"
    parse = None
    if log.exists():
        begin, end = _log_times(log)
        parse = (end - begin).total_seconds()

    manifest = json.loads((target_dir() / "manifest.json").read_text())
    statements: list[str] = []
    for row in results["results"]:
        node = manifest["nodes"].get(row["unique_id"])
        if node is None or node["resource_type"] not in ("model", "snapshot", "test"):
            continue  # unit tests: fixtures only, nothing to replay
        sql = node["compiled_code"]
        if node["resource_type"] == "test":
            statements.append(f"select count(*) from ({sql}) as failures")
            continue
        relation = f'"{node["schema"]}"."{node["alias"]}"'
        kind = "view" if node["config"]["materialized"] == "view" else "table"
        statements.append(f"create or replace {kind} {relation} as {sql}")

    with duckdb.connect(str(raw_copy)) as con:
        for schema in ("staging", "intermediate", "marts", "snapshots"):
            con.execute(f"create schema if not exists {schema}")
        started = time.perf_counter()
        for sql in statements:
            con.execute(sql).fetchall()
        replay = time.perf_counter() - started
    shutil.rmtree(replay_dir)

    events = duckdb.connect(str(warehouse), read_only=True)
    n_events = events.execute("select count(*) from raw.events").fetchall()[0][0]
    events.close()
    print(
        json.dumps(
            {
                "raw_events": n_events,
                "dbt_import_s": round(imported, 2),
                "dbt_build_wall_s": round(wall, 2),
                "dbt_parse_s": parse and round(parse, 2),
                "dbt_node_execution_s": round(executed, 2),
                "replay_same_sql_s": round(replay, 2),
                "ratio_wall_to_replay": round(wall / replay, 2),
                "ratio_execution_to_replay": round(executed / replay, 2),
                "statements": len(statements),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
