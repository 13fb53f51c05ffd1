"""Helpers shared by the dbt room's tests (a uniquely named module: every room has a conftest)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dbt_raw_fixture import NOW

from sproutly.dbt import dbt, node_statuses, run_results


@dataclass
class Project:
    """A data dir with a warehouse, and helpers to run dbt and query it."""

    data_dir: Path

    @property
    def warehouse(self) -> Path:
        return self.data_dir / "warehouse" / "dev.duckdb"

    def sql(self, query: str) -> list[tuple[Any, ...]]:
        """Run one statement on the warehouse (short-lived connection: dbt needs the lock)."""
        with duckdb.connect(str(self.warehouse)) as con:
            return con.execute(query).fetchall()

    def scalar(self, query: str) -> Any:
        return self.sql(query)[0][0]

    def dbt(self, *args: str, **kwargs: Any):
        return dbt(*args, **kwargs)

    def results(self) -> dict[str, Any]:
        return run_results()

    def statuses(self) -> dict[str, str]:
        return node_statuses(run_results())

    def status(self, unique_id_prefix: str) -> str:
        """Status of the one node whose unique_id starts with the prefix (tests carry a hash)."""
        matches = {k: v for k, v in self.statuses().items() if k.startswith(unique_id_prefix)}
        assert len(matches) == 1, f"{unique_id_prefix!r} matched {sorted(matches)}"
        return next(iter(matches.values()))

    def message(self, unique_id_prefix: str) -> str:
        """dbt's message for that node (the database error for a failed model)."""
        rows = [r for r in self.results()["results"] if r["unique_id"].startswith(unique_id_prefix)]
        assert len(rows) == 1, f"{unique_id_prefix!r} matched {len(rows)} nodes"
        return rows[0]["message"] or ""


def use_data_dir(mp: pytest.MonkeyPatch, data_dir: Path) -> None:
    """Point sproutly (and so dbt) at ``data_dir``, with the fixture's fixed simulated now."""
    mp.setenv("SPROUTLY_DATA_DIR", str(data_dir))
    mp.setenv("SPROUTLY_NOW", NOW)
    mp.setenv("SPROUTLY_TARGET", "dev")
    mp.setenv("DBT_TARGET_PATH", str(data_dir / "dbt_target"))
    mp.setenv("DBT_LOG_PATH", str(data_dir / "dbt_logs"))
