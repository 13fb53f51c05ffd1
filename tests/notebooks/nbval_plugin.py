"""The nbval plugin: each notebook runs with its own data folder, and its wall time is recorded.

A solution's run also records its checks ledger (``tools.notebooks.start_ledger``), sealed when
every cell passed, which the answer-leak proof then reads instead of running the solution again.

Loaded by ``notebooks/conftest.py`` and ``solutions/conftest.py``; the environment itself is
``tools.notebooks.notebook_environment`` (the same one ``make notebooks`` uses).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from tools.notebooks import notebook_environment, record_time, seal_ledger, start_ledger

_saved: dict[str, str] | None = None
_started: float | None = None
_failed = False
_ledger: Path | None = None


def _notebook_root(config: pytest.Config) -> Path:
    configured = os.environ.get("SPROUTLY_NOTEBOOK_ROOT")
    if configured:
        return Path(configured)
    return config._tmp_path_factory.getbasetemp() / "notebook-runs"  # per xdist worker


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before nbval starts a notebook's kernel, point the process environment at that
    notebook's own data folder (the kernel inherits it). Restored after the notebook."""
    global _saved, _started, _failed, _ledger
    path = Path(str(item.fspath))
    if path.suffix != ".ipynb":
        return
    if _saved is None:
        _saved = dict(os.environ)
        _started = time.perf_counter()
        _failed = False
        _ledger = start_ledger(path) if path.parent.name == "solutions" else None
    environment = notebook_environment(_notebook_root(item.config), path)
    if _ledger is not None:
        environment["SPROUTLY_CHECKS_LEDGER"] = str(_ledger)
    os.environ.clear()
    os.environ.update(environment)


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    global _saved, _started, _ledger
    if _saved is None or Path(str(item.fspath)).suffix != ".ipynb":
        return
    if nextitem is None or Path(str(nextitem.fspath)) != Path(str(item.fspath)):
        os.environ.clear()
        os.environ.update(_saved)
        _saved = None
        if _ledger is not None and not _failed:
            seal_ledger(Path(str(item.fspath)))
        _ledger = None
        if _started is not None:
            record_time(Path(str(item.fspath)), time.perf_counter() - _started)
            _started = None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    """Remember whether any cell of the current notebook failed (its ledger is then not sealed)."""
    global _failed
    outcome = yield
    if Path(str(item.fspath)).suffix == ".ipynb" and outcome.get_result().failed:
        _failed = True
