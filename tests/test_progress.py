"""`make progress` (tools/progress.py): a passing and a failing exercise, graded from copies."""

from __future__ import annotations

import hashlib
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from tools import progress


def _check(source: str):
    return new_code_cell(source, metadata={"tags": ["check"]})


def _write(path: Path, cells) -> None:
    nbformat.write(new_notebook(cells=cells), path)


def test_progress_grades_copies_of_the_learners_notebooks(tmp_path: Path, capsys) -> None:
    learner = tmp_path / "exercises"
    learner.mkdir()
    _write(
        learner / "01_x.ipynb",
        [
            new_markdown_cell("# 01 · X: exercises"),
            new_code_cell("base = 40"),
            new_markdown_cell("## Exercise 1: add two (≈ 5 min)"),
            new_code_cell("answer = base + 2"),
            _check("assert answer == 42, 'answer is wrong'"),
            new_markdown_cell("## Exercise 2: a name"),
            new_code_cell("name = None"),
            _check(
                "assert name == 'fern', f'name is {name!r}, expected a plant.\\nHint: replace None'"
            ),
            new_markdown_cell("## Exercise 3: your code raises"),
            new_code_cell("1 / 0"),
            _check("assert True"),
        ],
    )
    _write(
        learner / "02_y.ipynb",
        [
            new_code_cell("import no_such_module_here"),
            new_markdown_cell("## Exercise 1: anything"),
            _check("assert True"),
        ],
    )
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in learner.iterdir()}

    assert progress.main([str(learner), "--jobs", "2"]) == 0
    out = capsys.readouterr().out

    rows = progress.run(learner, jobs=1)
    assert [(r.chapter, r.exercise, r.passed) for r in rows] == [
        ("01_x", "Exercise 1", True),
        ("01_x", "Exercise 2", False),
        ("01_x", "Exercise 3", False),
        ("02_y", "Exercise 1", False),
    ]
    assert rows[1].message == "name is None, expected a plant."  # first line only
    assert rows[2].message == "your code raised ZeroDivisionError: division by zero"
    assert rows[3].message.startswith("the notebook's set-up failed: your code raised")
    assert "01_x     Exercise 1  pass" in out
    assert "01_x     Exercise 2  FAIL    name is None, expected a plant." in out
    assert "1 of 4 exercises pass" in out
    # the learner's notebooks are untouched: same bytes, no outputs written, nothing beside them
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in learner.iterdir()} == before


def test_the_capstone_is_graded_step_by_step() -> None:
    """The capstone's checks sit under ``## Step N`` headings: one row per step (no kernel)."""
    notebook = new_notebook(
        cells=[
            new_markdown_cell("## Step 1: the loader (≈ 35 min)"),
            _check("loader(sb)"),
            new_markdown_cell("## Step 2: staging (≈ 30 min)"),
            _check("staging(sb)"),
        ]
    )
    notebook.cells[1].outputs = [
        nbformat.v4.new_output(
            "error", ename="AssertionError", evalue="loader.py is empty.\nHint: x", traceback=[]
        )
    ]
    rows = progress.grade(notebook, "09_capstone")
    assert [(r.exercise, r.passed, r.message) for r in rows] == [
        ("Step 1", False, "loader.py is empty."),
        ("Step 2", True, ""),
    ]
