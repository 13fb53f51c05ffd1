"""Running notebooks under test: one data folder per notebook, deterministic environment.

Used by ``notebooks/conftest.py`` and ``solutions/conftest.py`` (nbval), the exercise and
papermill tests in ``tests/notebooks/``, and ``tools/execute_notebooks.py``. Not for chapters.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

#: Variables every notebook kernel gets: no telemetry, stable hashing, no progress bars.
FIXED = {
    "PYTHONHASHSEED": "0",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    "DO_NOT_TRACK": "1",
    "DAGSTER_DISABLE_TELEMETRY": "True",
    "TQDM_DISABLE": "1",
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
}
#: Variables a notebook run must not inherit (they would pin "now" or a Dagster home).
DROPPED = ("SPROUTLY_NOW", "DAGSTER_HOME")


def notebook_environment(root: Path, notebook: Path) -> dict[str, str]:
    """The environment for one notebook run: its own data folder under ``root``
    (``<root>/<folder>-<stem>``), a checkpoint cache shared by every run under ``root`` (or
    ``$SPROUTLY_CHECKPOINT_DIR``), and its
    own dbt target and log folders (so parallel runs never share run_results.json)."""
    data = Path(root).resolve() / f"{notebook.parent.name}-{notebook.stem}"
    data.mkdir(parents=True, exist_ok=True)
    environment = {k: v for k, v in os.environ.items() if k not in DROPPED}
    environment.update(FIXED)
    environment.update(
        {
            "SPROUTLY_DATA_DIR": str(data),
            # `make test` shares one cache between workers and phases (states are keyed by seed,
            # scale and code hash; building one is locked): otherwise one cache per root
            "SPROUTLY_CHECKPOINT_DIR": os.environ.get("SPROUTLY_CHECKPOINT_DIR")
            or str(Path(root).resolve() / ".checkpoints"),
            "DBT_TARGET_PATH": str(data / "dbt_target"),
            "DBT_LOG_PATH": str(data / "dbt_logs"),
        }
    )
    return environment


def execute_notebook(path: Path, root: Path, timeout: int = 900) -> tuple[Any, float]:
    """Run every cell of ``path`` in a fresh kernel, from the notebook's own folder (as nbval
    does), with :func:`notebook_environment`; return the executed notebook and the seconds it
    took (kernel start included). ``make notebooks`` writes the result back; ``make bench``
    only times it."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    started = time.perf_counter()
    client.execute(env=notebook_environment(root, path))
    return notebook, time.perf_counter() - started


_saved: dict[str, str] | None = None
_started: float | None = None

#: Where each notebook's measured execution time lands (one JSON file per notebook); README's
#: chapter table is refreshed from it with ``python tools/chapter_times.py``.
TIMES_DIR = Path(__file__).resolve().parent.parent / "test-artifacts" / "notebook-times"


def record_time(notebook: Path, seconds: float) -> Path:
    """Write one notebook's wall time (kernel start + every cell) under :data:`TIMES_DIR`."""
    import json

    notebook = Path(notebook).resolve()
    TIMES_DIR.mkdir(parents=True, exist_ok=True)
    out = TIMES_DIR / f"{notebook.parent.name}-{notebook.stem}.json"
    relative = f"{notebook.parent.name}/{notebook.name}"
    out.write_text(json.dumps({"notebook": relative, "seconds": round(seconds, 1)}) + "\n")
    return out


def _notebook_root(config: pytest.Config) -> Path:
    configured = os.environ.get("SPROUTLY_NOTEBOOK_ROOT")
    if configured:
        return Path(configured)
    return config._tmp_path_factory.getbasetemp() / "notebook-runs"  # per xdist worker


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before nbval starts a notebook's kernel, point the process environment at that
    notebook's own data folder (the kernel inherits it). Restored after the notebook."""
    global _saved, _started
    path = Path(str(item.fspath))
    if path.suffix != ".ipynb":
        return
    if _saved is None:
        _saved = dict(os.environ)
        _started = time.perf_counter()
    environment = notebook_environment(_notebook_root(item.config), path)
    os.environ.clear()
    os.environ.update(environment)


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    global _saved, _started
    if _saved is None or Path(str(item.fspath)).suffix != ".ipynb":
        return
    if nextitem is None or Path(str(nextitem.fspath)) != Path(str(item.fspath)):
        os.environ.clear()
        os.environ.update(_saved)
        _saved = None
        if _started is not None:
            record_time(Path(str(item.fspath)), time.perf_counter() - _started)
            _started = None
