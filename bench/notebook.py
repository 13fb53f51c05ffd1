"""Execute one chapter notebook the way ``make notebooks`` does, without writing it back.

    python -m bench.notebook notebooks/03_marts.ipynb --root <folder>

Prints the seconds the execution took (kernel start included, this process's imports not).
``--root`` holds the notebook's data folder and the checkpoint cache shared by every run under
it: a second run of a chapter finds its checkpoint warm.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tools.notebooks import execute_notebook


def execute(path: Path, root: Path, timeout: int = 900) -> float:
    """Run every cell of ``path`` in a fresh kernel; return the seconds it took."""
    return execute_notebook(path, root, timeout)[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.notebook")
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--root", type=Path, required=True)
    args = parser.parse_args(argv)
    print(f"{execute(args.notebook.resolve(), args.root.resolve()):.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
