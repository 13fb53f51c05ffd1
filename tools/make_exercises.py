"""Generate ``exercises/NN_*.ipynb`` from ``solutions/NN_*.ipynb`` (``make exercises``).

The solutions are the source of truth. An exercise notebook is its solution with

- every cell tagged ``solution`` removed (the setup cell before it leaves ``answer = None``,
  so the check cell after it fails with a helpful AssertionError until the learner writes it),
  except a ``%%writefile <path>`` solution cell: it keeps its first line, under which a comment
  says where to write (``-- write your model here``), so the learner sees which file to write and
  running it unsolved writes a file that fails to build (the check then shows dbt's own error);
- every output and execution count cleared (a learner starts from a blank page);
- cell metadata reduced to ``tags``; cell ids kept from the solution (so an exercise cell and
  its solution cell share a label);
- a note under the title saying where it came from;
- JSON written deterministically (sorted keys, one-space indent, trailing newline), so
  regenerating it twice gives identical bytes and ``--check`` can compare.

    python tools/make_exercises.py           # (re)write exercises/
    python tools/make_exercises.py --check   # exit 1 if exercises/ is out of sync (CI)
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = REPO_ROOT / "solutions"
EXERCISES = REPO_ROOT / "exercises"

NOTE = (
    "> **Exercise copy.** Generated from `solutions/{name}` by `make exercises`: do not edit the "
    "source here, edit the solution. Write your answers where a cell says `None` or `write your "
    "... here`, run the command below it, then the check cell."
)

#: The placeholder under a ``%%writefile`` line, by the written file's suffix.
PLACEHOLDERS = {
    ".sql": "-- write your model here",
    ".yml": "# write your YAML here",
    ".yaml": "# write your YAML here",
    ".py": "# write your code here",
    ".csv": "write,your,rows,here",
}


def placeholder(cell: dict) -> dict | None:
    """The exercise version of a ``%%writefile`` solution cell (first line + a placeholder
    comment, no tags), or ``None`` for any other cell."""
    source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    first = source.split("\n", 1)[0]
    if cell["cell_type"] != "code" or not first.startswith("%%writefile"):
        return None
    target = first.split()[-1].rstrip(")}'\"")
    suffix = Path(target).suffix
    comment = PLACEHOLDERS.get(suffix, "# write your file here")
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": cell["id"],
        "metadata": {},
        "outputs": [],
        "source": f"{first}\n{comment}\n",
    }


def render(notebook: dict) -> str:
    """Deterministic JSON in exactly the layout Jupyter saves (nbformat's writer: indent 1,
    sorted keys, sources as lists of lines), so opening and saving a notebook in Jupyter does
    not rewrite the whole file."""
    import nbformat

    text = nbformat.writes(nbformat.from_dict(copy.deepcopy(notebook)), version=4)
    return text if text.endswith("\n") else text + "\n"


def exercise_from_solution(solution: dict, name: str) -> dict:
    """The exercise notebook for a solution notebook (pure: no files touched)."""
    notebook = copy.deepcopy(solution)
    cells = []
    for cell in notebook["cells"]:
        tags = list(cell.get("metadata", {}).get("tags", []))
        if "solution" in tags:
            written = placeholder(cell)
            if written is not None:
                cells.append(written)
            continue
        cell["metadata"] = {"tags": tags} if tags else {}
        if cell["cell_type"] == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        cells.append(cell)
    title = next((i for i, c in enumerate(cells) if c["cell_type"] == "markdown"), -1)
    note = {
        "cell_type": "markdown",
        "id": "exercise-note",
        "metadata": {},
        "source": NOTE.format(name=name),
    }
    cells.insert(title + 1, note)
    notebook["cells"] = cells
    notebook["metadata"] = {
        key: value
        for key, value in notebook.get("metadata", {}).items()
        if key in {"kernelspec", "language_info"}
    }
    return notebook


def expected_exercises() -> dict[Path, str]:
    """Every exercise file that should exist, with its exact text."""
    result = {}
    for solution in sorted(SOLUTIONS.glob("[0-9][0-9]_*.ipynb")):
        notebook = json.loads(solution.read_text(encoding="utf-8"))
        result[EXERCISES / solution.name] = render(exercise_from_solution(notebook, solution.name))
    return result


def out_of_sync() -> list[str]:
    """Human-readable differences between exercises/ on disk and what solutions/ generates."""
    expected = expected_exercises()
    problems = []
    for path, text in expected.items():
        if not path.exists():
            problems.append(f"missing: exercises/{path.name}")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"stale: exercises/{path.name}")
    for path in sorted(EXERCISES.glob("[0-9][0-9]_*.ipynb")):
        if path not in expected:
            problems.append(f"no solution for: exercises/{path.name}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report; exit 1 if out of sync")
    args = parser.parse_args(argv)
    if args.check:
        problems = out_of_sync()
        for problem in problems:
            print(problem)
        if problems:
            print("exercises/ is out of sync with solutions/: run `make exercises`")
        return 1 if problems else 0
    EXERCISES.mkdir(exist_ok=True)
    expected = expected_exercises()
    for path in sorted(EXERCISES.glob("[0-9][0-9]_*.ipynb")):
        if path not in expected:
            path.unlink()
            print(f"removed exercises/{path.name} (no solution)")
    for path, text in expected.items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote exercises/{path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
