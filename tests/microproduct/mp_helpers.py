"""Helpers for the microproduct tests (a module with a unique name, importable from tests)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from microproduct import Simulation


def query(db: Path, sql: str, *args) -> list[tuple]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def event_files(sim: Simulation) -> list[Path]:
    return sorted(sim.paths.events.glob("date=*/*.jsonl"))


def read_events(sim: Simulation) -> list[dict]:
    """Every parseable event line, with the folder date added as ``_folder``."""
    out = []
    for path in event_files(sim):
        folder = path.parent.name.removeprefix("date=")
        for line in path.read_text().splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            record["_folder"] = folder
            out.append(record)
    return out


def table(db: Path, name: str) -> list[tuple]:
    return query(db, f"select * from {name} order by 1")
