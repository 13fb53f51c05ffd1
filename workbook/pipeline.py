"""Notebook access to the running pipeline pieces: the simulated product and the loader's config.

The billing API is an HTTP server; a loader needs its URL and token. In a notebook,
:func:`ingestion_config` starts the simulator's API once (on 127.0.0.1, a free port, in a daemon
thread that lives as long as the kernel) and returns ingestion's own config pointing at it::

    from ingestion import load
    results = load("all", config=ingestion_config())
    results_table(results)
"""

from __future__ import annotations

import atexit
from contextlib import ExitStack
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from sproutly import paths

if TYPE_CHECKING:
    from ingestion import IngestionConfig, LoadResult
    from microproduct import Simulation

#: The local billing API's bearer token in notebooks (a local simulator: not a secret).
NOTEBOOK_TOKEN = "workbook-local-token"

_servers = ExitStack()
atexit.register(_servers.close)
_running: dict[Path, Any] = {}


def billing_api():
    """The simulated billing API for the current data folder, started on first use."""
    from microproduct.billing_api import running

    db_path = paths.billing_db_path()
    if db_path not in _running:
        _running[db_path] = _servers.enter_context(running(db_path, NOTEBOOK_TOKEN))
    return _running[db_path]


def ingestion_config(**overrides: Any) -> IngestionConfig:
    """``IngestionConfig.from_env`` pointed at the running simulated billing API."""
    from ingestion import IngestionConfig

    api = billing_api()
    settings = {"billing_api_url": api.url, "billing_api_token": api.token, "progress": False}
    return IngestionConfig.from_env(**(settings | overrides))


def simulation() -> Simulation:
    """The simulated product in the current data folder (seed and scale come from its state)."""
    from microproduct import Simulation

    return Simulation(paths.data_dir(), progress=False)


RESULT_COLUMNS = [
    "source",
    "entity",
    "strategy",
    "status",
    "rows_offered",
    "rows_loaded",
    "rows_quarantined",
    "cursor_before",
    "cursor_after",
]


def results_table(results: list[LoadResult], columns: list[str] | None = None) -> pd.DataFrame:
    """Load results as a table, one row per entity, in a stable order."""
    frame = pd.DataFrame([asdict(result) for result in results])
    frame = frame[columns or RESULT_COLUMNS] if not frame.empty else frame
    return frame.sort_values(["source", "entity"]).reset_index(drop=True)
