"""Where a bench run keeps its data, and the environment its commands run in.

One *workspace* per scale under the run's work folder::

    <work>/scale-1/base/          the generated sources (+ a warehouse while a section runs)
    <work>/scale-1/raw-only/dev.duckdb   a warehouse with only the raw layer (for dbt runs)
    <work>/scale-1/daily/         a copy of base that the daily section advances by one day

Every command runs with ``SPROUTLY_DATA_DIR`` at the workspace's data folder, its own dbt target
and log folders and its own ``DAGSTER_HOME``, so nothing touches ``<repo>/data``. Sections that
need sources, a raw layer or a published copy ask for them here; what is missing is built first
(unmeasured preparation).
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.probe import Measured, measure

#: The simulated world every bench run generates (the course's seed and length).
SEED = 42
DAYS = 120

#: Fixed environment for every command: no telemetry, stable hashing, no progress bars.
FIXED_ENV = {
    "PYTHONHASHSEED": "0",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    "DO_NOT_TRACK": "1",
    "DAGSTER_DISABLE_TELEMETRY": "True",
    "TQDM_DISABLE": "1",
    "SNOWFLAKE_DISABLE_PLATFORM_DETECTION": "true",
}
#: Variables a command must not inherit from the caller (they would point it elsewhere).
DROPPED_ENV = (
    "SPROUTLY_DATA_DIR",
    "SPROUTLY_NOW",
    "SPROUTLY_CHECKPOINT_DIR",
    "SPROUTLY_TARGET",
    "DBT_TARGET_PATH",
    "DBT_LOG_PATH",
    "DAGSTER_HOME",
    "BILLING_API_URL",
    "BILLING_API_TOKEN",
)

#: Folders inside a data folder that a pipeline run writes (removed for a from-scratch run).
PIPELINE_OUTPUTS = ("warehouse", "serving", "dagster_home", "dbt_target", "dbt_logs")
PIPELINE_FILES = ("alerts.jsonl",)


class PreparationFailed(RuntimeError):
    """A prerequisite (sources, raw layer, published copy) could not be built."""


def base_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The caller's environment without the project's pointers, plus :data:`FIXED_ENV`."""
    env = {k: v for k, v in os.environ.items() if k not in DROPPED_ENV}
    env.update(FIXED_ENV)
    env.update(extra or {})
    return env


def python(*args: str) -> list[str]:
    """A command line running this environment's Python (the project's locked venv)."""
    return [sys.executable, *args]


def copy_folder(source: Path, destination: Path) -> None:
    """Copy a data folder: event files hard-linked (immutable once written), everything else
    (databases, state, the warehouse) copied, because the simulator and the pipeline mutate it."""

    def link_or_copy(src: str, dst: str) -> str:
        if src.endswith(".jsonl"):
            try:
                os.link(src, dst)
                return dst
            except OSError:
                pass
        return shutil.copy2(src, dst)

    if destination.exists():
        shutil.rmtree(destination)
    shutil.copytree(source, destination, copy_function=link_or_copy)


@dataclass
class DataFolder:
    """One ``SPROUTLY_DATA_DIR`` and the commands run against it."""

    path: Path

    def env(self) -> dict[str, str]:
        return base_env(
            {
                "SPROUTLY_DATA_DIR": str(self.path),
                "DBT_TARGET_PATH": str(self.path / "dbt_target"),
                "DBT_LOG_PATH": str(self.path / "dbt_logs"),
                "DAGSTER_HOME": str(self.path / "dagster_home"),
            }
        )

    def run(self, *args: str, timeout: float | None = None) -> Measured:
        """``python <args>`` against this data folder, measured."""
        self.path.mkdir(parents=True, exist_ok=True)
        return measure(python(*args), env=self.env(), timeout=timeout)

    @property
    def warehouse(self) -> Path:
        return self.path / "warehouse" / "dev.duckdb"

    @property
    def published(self) -> Path:
        return self.path / "serving" / "dev_marts.duckdb"

    def has_sources(self) -> bool:
        return (self.path / "clock.json").exists() and (self.path / "sources").is_dir()

    def reset_pipeline(self) -> None:
        """Remove everything a pipeline run wrote, keeping the sources: a from-scratch state."""
        for name in PIPELINE_OUTPUTS:
            shutil.rmtree(self.path / name, ignore_errors=True)
        for name in PIPELINE_FILES:
            (self.path / name).unlink(missing_ok=True)


def require(measured: Measured, what: str) -> Measured:
    """Raise :class:`PreparationFailed` when a preparation command failed."""
    if not measured.ok:
        raise PreparationFailed(f"{what} failed (exit {measured.returncode}): {measured.tail()}")
    return measured


@dataclass
class Workspace:
    """The folders of one scale (see the module docstring)."""

    root: Path
    scale: float
    timeout: float | None = None

    @property
    def base(self) -> DataFolder:
        return DataFolder(self.root / "base")

    @property
    def raw_only(self) -> Path:
        return self.root / "raw-only" / "dev.duckdb"

    def generate_command(self) -> list[str]:
        return [
            "-m", "microproduct", "init", "--seed", str(SEED), "--scale", f"{self.scale:g}",
            "--days", str(DAYS), "--no-progress",
        ]  # fmt: skip

    def ensure_sources(self) -> DataFolder:
        """The generated sources at this scale (generated now if missing)."""
        base = self.base
        if not base.has_sources():
            require(base.run(*self.generate_command(), timeout=self.timeout), "generation")
        return base

    def ensure_raw_only(self) -> Path:
        """A warehouse file holding only the raw layer (every source loaded once)."""
        if not self.raw_only.exists():
            base = self.ensure_sources()
            base.reset_pipeline()
            require(
                base.run(
                    "-m", "ingestion", "load", "all", "--start-simulated-api", timeout=self.timeout
                ),
                "ingestion",
            )
            self.save_raw_only(base)
        return self.raw_only

    def save_raw_only(self, folder: DataFolder) -> None:
        """Keep ``folder``'s warehouse (raw layer only) as this scale's raw-only template."""
        self.raw_only.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(folder.warehouse, self.raw_only)

    def restore_raw_only(self, folder: DataFolder) -> None:
        """Reset ``folder`` to the raw-only warehouse (no dbt models, nothing published)."""
        raw_only = self.ensure_raw_only()
        folder.reset_pipeline()
        folder.warehouse.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(raw_only, folder.warehouse)

    def ensure_published(self) -> DataFolder:
        """The base folder with a full pipeline run done and the marts published."""
        base = self.ensure_sources()
        if not base.published.exists():
            base.reset_pipeline()
            require(base.run("-m", "orchestration", "run", timeout=self.timeout), "pipeline run")
        return base
