"""`make progress`: where a learner stands, exercise by exercise.

Runs COPIES of the learner's exercise notebooks (``exercises/`` or the folder given) in a
temporary folder, each in a fresh kernel with its own data folder (the learner's notebooks, data
and sandboxes are never touched), a few notebooks at a time, and prints one row per exercise:
chapter, exercise, pass/fail and the first line of the check's message.

    uv run python -m tools.progress [FOLDER] [--jobs 2] [--only 02 05]

An exercise passes when every cell tagged ``check`` under its ``## Exercise N`` heading (``## Step N`` in the capstone) ran
without an error and no cell of the exercise raised. The learner's answers live in their notebook
cells (they write the sandbox's files when run), so running a copy replays exactly their work.
Checkpoints come from the learner's cache (``$SPROUTLY_CHECKPOINT_DIR`` or ``.checkpoints``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = re.compile(r"^(\d\d)_[a-z0-9_]+\.ipynb$")
HEADING = re.compile(r"^##\s+((?:Exercise|Step)\s+\d+)[^\n]*", re.MULTILINE)
SETUP = "setup"  # cells before the first exercise heading


@dataclass(frozen=True)
class Row:
    chapter: str  # "02_staging"
    exercise: str  # "Exercise 1"
    passed: bool
    message: str  # first line of the first failure ("" when passed)


def first_line(text: str) -> str:
    return next((line.strip() for line in str(text).splitlines() if line.strip()), "")


def grade(notebook, chapter: str) -> list[Row]:
    """One row per exercise of an executed notebook (``nbformat`` node)."""
    current, order = SETUP, []
    checks: dict[str, int] = {}
    failure: dict[str, str] = {}
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            match = HEADING.search(cell.source)
            if match:
                current = match.group(1)
                order.append(current)
            continue
        tags = cell.get("metadata", {}).get("tags", [])
        if "check" in tags:
            checks[current] = checks.get(current, 0) + 1
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and current not in failure:
                message = first_line(output.get("evalue", "")) or output.get("ename", "error")
                if "check" not in tags:
                    message = f"your code raised {output.get('ename')}: {message}"
                failure[current] = message
    rows = []
    for exercise in order:
        message = failure.get(exercise) or (
            f"the notebook's set-up failed: {failure[SETUP]}" if SETUP in failure else ""
        )
        if not message and not checks.get(exercise):
            message = "no check cell under this heading"
        rows.append(Row(chapter, exercise, not message, message))
    if not order:
        rows.append(Row(chapter, "-", False, failure.get(SETUP) or "no '## Exercise N' heading"))
    return rows


def run_one(path: Path, root: Path, timeout: int) -> list[Row]:
    """Execute a copy of ``path`` under ``root`` and grade it."""
    from tools.notebooks import execute_notebook

    copy = root / "exercises" / path.name
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, copy)  # the learner's file is only read
    try:
        with quiet_kernel(root / f"{path.stem}.kernel.log"):
            notebook, _ = execute_notebook(copy, root, timeout, allow_errors=True)
    except Exception as error:  # a timeout or a dead kernel: reported, not raised
        return [Row(path.stem, "-", False, f"{type(error).__name__}: {first_line(error)}")]
    return grade(notebook, path.stem)


@contextmanager
def quiet_kernel(log: Path) -> Iterator[None]:
    """The kernel inherits file descriptor 2: its start-up warnings go to ``log``, not between
    the rows of the table."""
    sys.stderr.flush()
    saved = os.dup(2)
    with open(log, "w") as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def run(folder: Path, jobs: int = 2, timeout: int = 600, only: tuple[str, ...] = ()) -> list[Row]:
    notebooks = sorted(
        p
        for p in Path(folder).glob("*.ipynb")
        if NOTEBOOK.match(p.name) and (not only or p.name[:2] in only)
    )
    if not os.environ.get("SPROUTLY_CHECKPOINT_DIR"):  # the learner's own (warm) cache
        from workbook.checkpoints import cache_dir

        os.environ["SPROUTLY_CHECKPOINT_DIR"] = str(cache_dir())
    with tempfile.TemporaryDirectory(prefix="sproutly-progress-") as tmp:
        if jobs <= 1:
            results = [run_one(p, Path(tmp), timeout) for p in notebooks]
        else:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                futures = [pool.submit(run_one, p, Path(tmp), timeout) for p in notebooks]
                results = [f.result() for f in futures]
    return [row for rows in results for row in rows]


def table(rows: list[Row]) -> str:
    width = max([len(r.chapter) for r in rows] + [7])
    lines = [f"{'chapter':<{width}}  {'exercise':<11} {'result':<6}  message", "-" * (width + 40)]
    for r in rows:
        result = "pass" if r.passed else "FAIL"
        lines.append(f"{r.chapter:<{width}}  {r.exercise:<11} {result:<6}  {r.message[:110]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=ROOT / "exercises")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks run at once (default 2)")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    parser.add_argument("--only", nargs="*", default=[], help="chapter numbers, e.g. 02 05")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rows = run(args.folder, args.jobs, args.timeout, tuple(args.only))
    print(table(rows))
    passed = sum(r.passed for r in rows)
    print(
        f"\n{passed} of {len(rows)} exercises pass "
        f"({time.perf_counter() - started:.0f} s, {args.jobs} at a time); the learner's files "
        "were not touched"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
