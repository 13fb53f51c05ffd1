"""Exercises: generated from the solutions, in sync, and their checks provably work.

For every ``solutions/NN_*.ipynb``:
- ``exercises/NN_*.ipynb`` equals what ``tools/make_exercises.py`` generates from it;
- run unsolved (the exercise copy), every cell tagged ``check`` raises AssertionError and no
  other cell raises anything;
- run solved (the solution), no cell raises: ``make nbval`` executes every solution (and compares
  it with its committed outputs), so the suite does not run each solution a second time;
- no answer leaks: the solution runs with ``SPROUTLY_CHECKS_LEDGER`` set (every check appends
  the expected values it is given), and no ledger value and no line of a ``solution`` cell appears
  in the error output of any check cell of the unsolved run. ``make nbval`` (which ``make test``
  runs before this suite) records each solution's ledger as it executes it; a recorded ledger is
  used only when it comes from a passing run of the same notebook and ``workbook/`` code
  (``tools.notebooks.recorded_ledger``), otherwise the test runs the solution itself.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import pytest

from sproutly import paths
from tools.notebooks import errors, execute_notebook, recorded_ledger

#: A solution line shorter than this is too generic to count as a leak ("select *").
MIN_LINE = 12

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


def test_a_writefile_solution_keeps_its_first_line_under_a_placeholder() -> None:
    tool = _make_exercises()
    cells = [
        {
            "cell_type": "code",
            "id": f"w{suffix}",
            "metadata": {"tags": ["solution"]},
            "outputs": [],
            "execution_count": 3,
            "source": f'%%writefile {{sb.file("models/x{suffix}")}}\nselect 42 as answer\n',
        }
        for suffix in (".sql", ".yml", ".py")
    ]
    cells.append({**cells[0], "id": "plain", "source": "answer = 42\n"})
    solution = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    exercise = tool.exercise_from_solution(solution, "x")
    written = [c for c in exercise["cells"] if c["cell_type"] == "code"]
    assert [c["id"] for c in written] == ["w.sql", "w.yml", "w.py"]  # "plain" is dropped
    assert [c["source"].splitlines()[1] for c in written] == [
        "-- write your model here",
        "# write your YAML here",
        "# write your code here",
    ]
    assert all(
        c["source"].startswith("%%writefile {sb.file(") and "42" not in c["source"] for c in written
    )
    assert not _tagged(exercise, "solution")


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


def _text(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _needles(value: Any) -> set[str]:
    """The forms in which an expected value could show up in a message."""
    if isinstance(value, bool):
        return set()
    if isinstance(value, (int, float)):
        if value != value or abs(value) < 10:  # NaN, or 0..9: in every "1 of 3 rows"
            return set()
        forms = {repr(value), str(value)}
        if isinstance(value, float):
            forms |= {f"{value:.{digits}f}" for digits in range(5)}
            forms |= {f"{value:,.{digits}f}" for digits in range(3)}
            if value.is_integer():
                forms.add(str(int(value)))
        return forms
    text = str(value).strip()
    return {text, repr(text)} if len(text) >= 4 else set()


def leaks(solution: Any, unsolved: Any, ledger: list[Any]) -> list[str]:
    """Expected values (``ledger``) and solution lines that appear in a check cell's error or
    printed output of the unsolved run; ``[]`` when nothing leaks. What the exercise notebook
    itself shows (its brief, its code) is no leak."""
    given = "\n".join(_text(c) for c in unsolved["cells"])
    said = []
    for cell in unsolved["cells"]:
        if "check" not in cell.get("metadata", {}).get("tags", []):
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                said.append((cell["id"], str(output.get("evalue", ""))))
            elif output.get("output_type") == "stream":
                said.append((cell["id"], _text({"source": output.get("text", "")})))
    needles = {n for value in ledger for n in _needles(value) if n not in given}
    lines = {
        line.strip()
        for cell in solution["cells"]
        if "solution" in cell.get("metadata", {}).get("tags", [])
        for line in _text(cell).splitlines()
        if len(line.strip()) >= MIN_LINE and line.strip() not in given
    }
    found = []
    for cell_id, message in said:
        for needle in sorted(needles):
            if re.search(rf"(?<![\w.]){re.escape(needle)}(?![\w]|\.\d)", message):
                found.append(f"{cell_id}: expected value {needle!r} in: {message[:200]!r}")
        for line in sorted(lines):
            if line in message:
                found.append(f"{cell_id}: solution line {line!r} in: {message[:200]!r}")
    return found


def test_a_recorded_ledger_counts_only_for_the_same_passing_notebook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tools.notebooks as notebooks

    monkeypatch.setattr(notebooks, "LEDGER_DIR", tmp_path / "ledgers")
    notebook = tmp_path / "09_x.ipynb"
    notebook.write_text("{}")
    assert notebooks.recorded_ledger(notebook) is None  # never run
    notebooks.start_ledger(notebook).write_text('90\n"app_users-12"\n')
    assert (
        notebooks.recorded_ledger(notebook) is None
    )  # not sealed: a cell failed, or still running
    notebooks.seal_ledger(notebook)
    assert notebooks.recorded_ledger(notebook) == [90, "app_users-12"]
    notebook.write_text('{"cells": []}')
    assert notebooks.recorded_ledger(notebook) is None  # the notebook changed since
    notebook.write_text("{}")
    assert notebooks.recorded_ledger(notebook) == [90, "app_users-12"]
    monkeypatch.setattr(notebooks, "_ledger_key", lambda path: "other workbook code")
    assert notebooks.recorded_ledger(notebook) is None  # the checks' code changed since
    notebooks.start_ledger(notebook)  # a new run forgets the old ledger
    assert not notebooks.ledger_file(notebook).exists()


_UNSOLVED: dict[str, Any] = {}


def _unsolved(solution: Path, root: Path) -> Any:
    """The exercise copy of ``solution``, executed once per session (two tests read it)."""
    if solution.name not in _UNSOLVED:
        exercise = REPO / "exercises" / solution.name
        _UNSOLVED[solution.name], _ = execute_notebook(exercise, root, 600, allow_errors=True)
    return _UNSOLVED[solution.name]


def _leaky_pair() -> tuple[dict, dict]:
    """A solution and its executed exercise whose check prints the answer (as ex00-2 once did:
    "referrals is 0, expected 90") and whose hint quotes the solution's ORDER BY."""
    import nbformat

    solution = nbformat.v4.new_notebook()
    solution.cells = [
        nbformat.v4.new_markdown_cell("# Exercise"),
        nbformat.v4.new_code_cell(
            "answer = q('select n from t order by updated_at desc, _loaded_at desc')",
            metadata={"tags": ["solution"]},
        ),
        nbformat.v4.new_code_cell("checks.equal(answer, reference)", metadata={"tags": ["check"]}),
    ]
    unsolved = copy.deepcopy(solution)
    unsolved.cells = [unsolved.cells[0], unsolved.cells[2]]
    unsolved.cells[1].outputs = [
        nbformat.v4.new_output(
            "error",
            ename="AssertionError",
            evalue="referrals is 0, expected 90.\nHint: order by updated_at desc, _loaded_at desc",
            traceback=[],
        )
    ]
    return solution, unsolved


def test_leak_detection_catches_a_leaking_check() -> None:
    solution, unsolved = _leaky_pair()
    found = leaks(solution, unsolved, [90])
    assert any("expected value '90'" in f for f in found), found
    assert not any("solution line" in f for f in found)  # the hint is not a whole line
    unsolved.cells[1].outputs[0]["evalue"] = (
        "wrong.\nHint: answer = q('select n from t order by updated_at desc, _loaded_at desc')"
    )
    assert any("solution line" in f for f in leaks(solution, unsolved, [90])), "hint quotes it"
    unsolved.cells[1].outputs[0]["evalue"] = (
        "referrals is 0: not the expected value (too low by more than 10%).\n"
        "Hint: filter on the channel and the month."
    )
    assert leaks(solution, unsolved, [90, 90.0, "app_users-12"]) == []
    unsolved.cells[1].outputs[0]["evalue"] = "the load is 'app_users-3', expected 'app_users-12'"
    assert leaks(solution, unsolved, ["app_users-12"]) != []
    assert leaks(solution, unsolved, [1, 2]) == []  # 0..9 are in every message


def test_a_leaking_check_fails_the_proof(tmp_path: Path, notebook_root: Path) -> None:
    """End to end on a real kernel: a check that prints its expected value (the old
    ``checks.equal`` message, re-created here) is caught, the current ``checks.equal`` is not."""
    import nbformat

    for leaky in (True, False):
        solution, _ = _leaky_pair()
        check = (
            "raise AssertionError(f'referrals is {answer!r}, expected {reference!r}.')"
            if leaky
            else "checks.equal(answer, reference, what='referrals')"
        )
        setup = "from workbook import checks\nreference = 9 * 10\nanswer = None"
        solution.cells = [
            solution.cells[0],
            nbformat.v4.new_code_cell(setup),
            nbformat.v4.new_code_cell("answer = 3 * 30", metadata={"tags": ["solution"]}),
            nbformat.v4.new_code_cell(check, metadata={"tags": ["check"]}),
        ]
        exercise = copy.deepcopy(solution)
        exercise.cells = [c for c in exercise.cells if "solution" not in c.metadata.get("tags", [])]
        path = tmp_path / f"{leaky}.ipynb"
        nbformat.write(exercise, path)
        unsolved, _ = execute_notebook(path, notebook_root, 120, allow_errors=True)
        found = leaks(solution, unsolved, [90])
        assert bool(found) == leaky, found


@pytest.mark.slow  # executes notebooks / dbt: ~20 s each on 2 busy cores
@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.stem)
def test_no_answer_leaks(
    solution: Path, notebook_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    values = recorded_ledger(solution)  # `make test` runs nbval first: its run recorded them
    if values is None:
        ledger = tmp_path / "ledger.jsonl"
        monkeypatch.setenv("SPROUTLY_CHECKS_LEDGER", str(ledger))
        execute_notebook(solution, notebook_root / "solved", 900)
        monkeypatch.delenv("SPROUTLY_CHECKS_LEDGER")
        values = [json.loads(line) for line in ledger.read_text().splitlines()]
    assert values, f"{solution.name}: no check recorded an expected value"
    found = leaks(json.loads(solution.read_text()), _unsolved(solution, notebook_root), values)
    assert found == [], "\n".join(found)


@pytest.mark.slow  # executes notebooks / dbt: ~20 s each on 2 busy cores
@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.stem)
def test_checks_fail_unsolved(solution: Path, notebook_root: Path) -> None:
    exercise = REPO / "exercises" / solution.name
    unsolved = _unsolved(solution, notebook_root)
    checks = _tagged(unsolved, "check")
    assert checks, f"{exercise.name} has no cell tagged 'check'"
    raised = errors(unsolved)
    assert [(cell, name) for cell, _, name, _ in raised] == [(c, "AssertionError") for c in checks]
