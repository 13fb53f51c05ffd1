"""The local Dagster instance: ``$DAGSTER_HOME`` inside the project's data folder.

Dagster keeps its run history in SQLite files there and opens a new connection for every write
(a run of the whole graph writes ~2,000 events: one per log line, materialisation and check).
With SQLite's defaults each of those commits, and each close of the last connection, waits for
the disk (fsync): measured 32 s of a 124 s ``python -m orchestration run`` on this machine's disk.
:func:`relaxed_sqlite_sync` turns the waits off for the connections this process opens. The
trade-off is explicit: an application crash loses nothing (SQLite still writes every commit), a
power cut or kernel crash could lose the last events of a local, rebuildable run history. A team
instance uses Postgres (``dagster-postgres``) and never takes this path.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

from sproutly import paths
from sproutly.settings import settings

TEMPLATE = Path(__file__).with_name("dagster.yaml")
#: The pool every writer of the warehouse sits in (``pools.default_limit: 1`` in dagster.yaml).
WAREHOUSE_POOL = "warehouse"


def _no_fsync(dbapi_connection: object, _connection_record: object) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA synchronous=OFF")


def relaxed_sqlite_sync() -> None:
    """``PRAGMA synchronous=OFF`` on every SQLite connection SQLAlchemy opens in this process
    (idempotent). Installed when the definitions load, so runs, sensors and the UI's code server
    all write their history without waiting for the disk."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    if not event.contains(Engine, "connect", _no_fsync):
        event.listen(Engine, "connect", _no_fsync)


def ensure_dagster_home() -> Path:
    """Create ``data/dagster_home`` with our dagster.yaml and point ``DAGSTER_HOME`` at it.

    An explicitly set ``DAGSTER_HOME`` wins (it must be absolute, as Dagster requires).
    """
    home = Path(settings().dagster_home or paths.dagster_home()).resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists() or config.read_text() != TEMPLATE.read_text():
        shutil.copyfile(TEMPLATE, config)
    os.environ["DAGSTER_HOME"] = str(home)
    return home
