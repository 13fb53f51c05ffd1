"""Running notebooks outside a learner's kernel: one data folder per notebook, a deterministic
environment, their measured times.

Used by ``make notebooks`` (``tools/execute_notebooks.py``), ``make bench``, the nbval plugin
(``tests/notebooks/nbval_plugin.py``) and the exercise and papermill tests. Not for chapters.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from sproutly.settings import settings

#: Variables every notebook kernel gets: no telemetry, stable hashing, no progress bars.
FIXED = {
    "PYTHONHASHSEED": "0",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    "DO_NOT_TRACK": "1",
    "DAGSTER_DISABLE_TELEMETRY": "True",
    "TQDM_DISABLE": "1",
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
}
#: The parameters every chapter also runs with under the tests (tests/notebooks/test_chapters_parameters.py),
#: beside the course's own (SEED 42, SCALE 1.0): another seed, half the scale.
SECOND_PARAMETERS = {"SEED": 7, "SCALE": 0.5}
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
            "SPROUTLY_CHECKPOINT_DIR": settings().plain("SPROUTLY_CHECKPOINT_DIR")
            or str(Path(root).resolve() / ".checkpoints"),
            "DBT_TARGET_PATH": str(data / "dbt_target"),
            "DBT_LOG_PATH": str(data / "dbt_logs"),
        }
    )
    return environment


#: nbval's sanitisers (``make nbval`` compares through them); :func:`sanitize` applies the same
#: patterns when outputs are written, so a committed output never holds what they mask.
SANITIZE_CONFIG = (
    Path(__file__).resolve().parent.parent / "tests" / "notebooks" / "nbval_sanitize.cfg"
)


def sanitize(notebook: Any) -> Any:
    """Apply :data:`SANITIZE_CONFIG`'s patterns to every text output of ``notebook`` (in place)."""
    import re

    from nbval.plugin import get_sanitize_patterns

    patterns = get_sanitize_patterns(SANITIZE_CONFIG.read_text())

    def clean(text: Any) -> Any:
        if isinstance(text, list):
            text = "".join(text)
        if not isinstance(text, str):
            return text
        for regex, replace in patterns:
            text = re.sub(regex, replace, text)
        return text

    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = clean(output["text"])
            for mime in ("text/plain", "text/html", "text/markdown"):
                if mime in output.get("data", {}):
                    output["data"][mime] = clean(output["data"][mime])
    return notebook


def execute_notebook(
    path: Path, root: Path, timeout: int = 900, *, allow_errors: bool = False
) -> tuple[Any, float]:
    """Run every cell of ``path`` in a fresh kernel, from the notebook's own folder (as nbval
    does), with :func:`notebook_environment`; return the executed notebook and the seconds it
    took (kernel start included). ``make notebooks`` writes the result back; ``make bench``
    only times it; the exercise tests read the errors (``allow_errors=True``)."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=allow_errors,
        resources={"metadata": {"path": str(path.parent)}},
    )
    started = time.perf_counter()
    client.execute(env=notebook_environment(root, path))
    return notebook, time.perf_counter() - started


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


#: Where ``make nbval`` leaves each solution's checks ledger (the expected values its checks were
#: given, see ``workbook.checks``) for the answer-leak proof in ``tests/notebooks/test_exercises.py``,
#: so the suite does not execute every solution a second time.
LEDGER_DIR = Path(__file__).resolve().parent.parent / "test-artifacts" / "ledgers"


def _ledger_key(notebook: Path) -> str:
    """What a recorded ledger is valid for: the notebook's bytes and the course code its checks
    run (``workbook/``). Any edit to either makes the recorded ledger stale."""
    import hashlib

    digest = hashlib.sha256(Path(notebook).read_bytes())
    workbook = Path(__file__).resolve().parent.parent / "workbook"
    for path in sorted(workbook.rglob("*.py")):
        digest.update(path.relative_to(workbook).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def ledger_file(notebook: Path) -> Path:
    """The ledger a run of ``notebook`` writes (``SPROUTLY_CHECKS_LEDGER`` for its kernel)."""
    return LEDGER_DIR / f"{Path(notebook).stem}.jsonl"


def start_ledger(notebook: Path) -> Path:
    """Forget any earlier ledger of ``notebook``; return the path its kernel should write."""
    LEDGER_DIR.mkdir(parents=True, exist_ok=True)
    for stale in (ledger_file(notebook), ledger_file(notebook).with_suffix(".key")):
        stale.unlink(missing_ok=True)
    return ledger_file(notebook)


def seal_ledger(notebook: Path) -> None:
    """Mark the ledger of ``notebook`` complete (call only when every cell of the run passed)."""
    if ledger_file(notebook).exists():
        ledger_file(notebook).with_suffix(".key").write_text(_ledger_key(notebook) + "\n")


def recorded_ledger(notebook: Path) -> list[Any] | None:
    """The expected values a complete, passing run of this very ``notebook`` (same bytes, same
    ``workbook/`` code) recorded, or None when there is no such run."""
    import json

    ledger, key = ledger_file(notebook), ledger_file(notebook).with_suffix(".key")
    if not (ledger.exists() and key.exists()) or key.read_text().strip() != _ledger_key(notebook):
        return None
    return [json.loads(line) for line in ledger.read_text().splitlines()]


def errors(notebook: Any) -> list[tuple[str, list[str], str, str]]:
    """``(cell id, tags, exception name, message)`` for every cell that raised."""
    found = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                tags = list(cell.get("metadata", {}).get("tags", []))
                found.append((cell.get("id", "?"), tags, output["ename"], output["evalue"]))
    return found
