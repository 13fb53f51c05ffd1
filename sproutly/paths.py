"""One root for every generated file.

``SPROUTLY_DATA_DIR`` overrides the root (tests and parallel notebook runs each use their own).
Nothing here creates folders on import; call :func:`ensure` when a writer needs them.
"""

from __future__ import annotations

from pathlib import Path

from sproutly.settings import settings

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"


def data_dir() -> Path:
    """Root of everything generated (git-ignored). ``$SPROUTLY_DATA_DIR`` or ``<repo>/data``."""
    return Path(settings().sproutly_data_dir or REPO_ROOT / "data").resolve()


def sources_dir() -> Path:
    """The simulated product's systems: app database, billing store, event landing zone."""
    return data_dir() / "sources"


def app_db_path() -> Path:
    return sources_dir() / "app.db"


def billing_db_path() -> Path:
    """Backing store of the simulated billing API (the pipeline reaches it only over HTTP)."""
    return sources_dir() / "billing.db"


def landing_dir() -> Path:
    """Event file drops: ``landing/events/date=YYYY-MM-DD/*.jsonl``."""
    return sources_dir() / "landing"


def clock_path() -> Path:
    return data_dir() / "clock.json"


def target() -> str:
    """The dbt target / environment: ``dev`` (default) or ``prod``."""
    return settings().sproutly_target


def warehouse_path(target_name: str | None = None) -> Path:
    """The DuckDB warehouse the pipeline writes (raw, staging, marts). One file per target."""
    return data_dir() / "warehouse" / f"{target_name or target()}.duckdb"


def serving_path(target_name: str | None = None) -> Path:
    """The published copy of the marts that readers use (write-audit-publish)."""
    return data_dir() / "serving" / f"{target_name or target()}_marts.duckdb"


def dagster_home() -> Path:
    return data_dir() / "dagster_home"


def ensure(*paths: Path) -> None:
    """Create the parent folders of the given files."""
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)


def alerts_path() -> Path:
    """Where alerts land when no webhook is configured (one JSON object per line)."""
    return data_dir() / "alerts.jsonl"
