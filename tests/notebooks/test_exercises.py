"""Exercises: generated from the solutions, in sync, and their checks provably work.

For every ``solutions/NN_*.ipynb``:
- ``exercises/NN_*.ipynb`` equals what ``tools/make_exercises.py`` generates from it;
- run unsolved (the exercise copy), every cell tagged ``check`` raises AssertionError and no
  other cell raises anything;
- run solved (the solution), no cell raises: ``make nbval`` executes every solution (and compares
  it with its committed outputs), so the suite does not run each solution a second time.
"""

from __future__ import annotations

import copy
import importlib.util
import json
from pathlib import Path

import pytest

from sproutly import paths
from tools.notebooks import errors, execute_notebook

REPO = paths.REPO_ROOT
SOLUTIONS = sorted((REPO / "solutions").glob("[0-9][0-9]_*.ipynb"))


def _make_exercises():
    spec = importlib.util.spec_from_file_location(
        "make_exercises", REPO / "tools" / "make_exercises.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tagged(notebook: dict, tag: str) -> list[str]:
    return [c["id"] for c in notebook["cells"] if tag in c.get("metadata", {}).get("tags", [])]


def test_exercises_are_in_sync_with_solutions() -> None:
    problems = _make_exercises().out_of_sync()
    assert problems == [], f"{problems}: run `make exercises` (python tools/make_exercises.py)"


def test_generation_strips_solutions_and_outputs_deterministically() -> None:
    tool = _make_exercises()
    solution = json.loads(SOLUTIONS[0].read_text())
    exercise = tool.exercise_from_solution(solution, SOLUTIONS[0].name)
    assert _tagged(solution, "solution") and not _tagged(exercise, "solution")
    assert _tagged(exercise, "check") == _tagged(solution, "check")
    code = [c for c in exercise["cells"] if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    assert exercise["cells"][1]["id"] == "exercise-note"
    assert tool.render(exercise) == tool.render(
        tool.exercise_from_solution(solution, "x")
        | {
            "cells": [
                *exercise["cells"][:1],
                {**exercise["cells"][1], "source": tool.NOTE.format(name=SOLUTIONS[0].name)},
                *exercise["cells"][2:],
            ]
        }
    )
    ids = [c["id"] for c in exercise["cells"]]
    assert len(ids) == len(set(ids))


def test_check_detects_a_stale_exercise(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tool = _make_exercises()
    solutions, exercises = tmp_path / "solutions", tmp_path / "exercises"
    solutions.mkdir()
    solution = json.loads(SOLUTIONS[0].read_text())
    (solutions / "00_x.ipynb").write_text(tool.render(solution))
    monkeypatch.setattr(tool, "SOLUTIONS", solutions)
    monkeypatch.setattr(tool, "EXERCISES", exercises)
    assert tool.main(["--check"]) == 1  # missing
    assert tool.main([]) == 0
    assert tool.main(["--check"]) == 0
    edited = copy.deepcopy(solution)
    edited["cells"][0]["source"] = "".join(edited["cells"][0]["source"]) + "\nA new sentence."
    (solutions / "00_x.ipynb").write_text(tool.render(edited))
    assert tool.out_of_sync() == ["stale: exercises/00_x.ipynb"]
    (exercises / "99_orphan.ipynb").write_text("{}")
    assert "no solution for: exercises/99_orphan.ipynb" in tool.out_of_sync()


@pytest.mark.slow  # executes notebooks / dbt: ~20 s each on 2 busy cores
@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.stem)
def test_checks_fail_unsolved(solution: Path, notebook_root: Path) -> None:
    exercise = REPO / "exercises" / solution.name
    unsolved, _ = execute_notebook(exercise, notebook_root, 600, allow_errors=True)
    checks = _tagged(unsolved, "check")
    assert checks, f"{exercise.name} has no cell tagged 'check'"
    raised = errors(unsolved)
    assert [(cell, name) for cell, _, name, _ in raised] == [(c, "AssertionError") for c in checks]
