"""Re-execute notebooks in place so their committed outputs are current (``make notebooks``).

Each notebook runs in a fresh kernel with its own data folder (a temporary directory) and the
deterministic environment of ``tools.notebooks``, from the notebook's own folder (as nbval
does). Afterwards the file is normalised: execution timing metadata removed, outputs passed through
nbval's sanitisers (``tools.notebooks.sanitize``: e.g. dbt's wall-clock log prefix), JSON written
like Jupyter does. Prints one line per notebook with its wall-clock run time (for the README table).

    python tools/execute_notebooks.py notebooks/00_welcome.ipynb solutions/00_welcome.ipynb
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_exercises import render  # noqa: E402

from tools.notebooks import execute_notebook, sanitize  # noqa: E402


def execute(path: Path, root: Path, timeout: int = 600) -> float:
    """Execute ``path`` in place; returns the seconds it took."""
    notebook, seconds = execute_notebook(path, root, timeout)
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
    notebook.metadata.pop("papermill", None)
    path.write_text(render(sanitize(notebook)), encoding="utf-8")
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sproutly-notebooks-") as root:
        for path in args.notebooks:
            seconds = execute(path.resolve(), Path(root))
            print(f"{path}: executed in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
