"""The capstone's loader check has teeth: the reference loader (read from the solution notebook,
not copied) passes it, and three plausible wrong loaders fail it with the message that names their
mistake. No dbt, no kernel: a small simulated export in a temporary sandbox folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from microproduct import Simulation
from sproutly import paths
from workbook.ch09_capstone import capstone
from workbook.sandbox import Sandbox

SOLUTION = paths.REPO_ROOT / "solutions" / "09_capstone.ipynb"


def _reference_loader() -> str:
    for cell in nbformat.read(SOLUTION, as_version=4).cells:
        first, _, body = cell.source.partition("\n")
        if first.startswith("%%writefile") and capstone.LOADER_PATH in first:
            return body
    raise AssertionError("the solution has no %%writefile cell for the loader")


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("capstone") / "data"
    Simulation(data, seed=3, scale=0.3, progress=False).init(days=40)
    return data


def _sandbox(tmp_path: Path, export: Path, loader: str, monkeypatch) -> Sandbox:
    """A sandbox folder holding ``loader``, already run once on its own landing folder (the
    learner's command)."""
    root = tmp_path / "capstone"
    sb = Sandbox("capstone", root, tmp_path)
    sb.copied = ("loaders", "serving")  # as capstone_sandbox() sets them
    shutil.copytree(export / capstone.LANDING, sb.data_dir / capstone.LANDING)
    shutil.copy2(export / "clock.json", sb.data_dir / "clock.json")
    (sb.data_dir / "warehouse").mkdir(parents=True)
    (root / "loaders").mkdir()
    (root / capstone.LOADER_PATH).write_text(loader, encoding="utf-8")
    monkeypatch.setenv("SPROUTLY_DATA_DIR", str(sb.data_dir))
    subprocess.run(
        [sys.executable, "-m", "loaders.support_tickets"],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        check=True,
        capture_output=True,
    )
    return sb


def test_the_reference_loader_passes(tmp_path, export, monkeypatch) -> None:
    capstone.loader(_sandbox(tmp_path, export, _reference_loader(), monkeypatch))


MUTANTS = {
    "drops re-sent lines": (
        'lines = path.read_text(encoding="utf-8").splitlines()',
        'lines = list(dict.fromkeys(path.read_text(encoding="utf-8").splitlines()))',
        "not one row per line of the files",
    ),
    "forgets what it loaded": (
        "if name in done:",
        "if False:",
        "a re-run must add nothing",
    ),
    "lets a day-first timestamp through": (
        'return None, f"{key} is not an ISO UTC timestamp: {record[key]!r}"',
        "record[key] = None",
        "lines quarantined from the first",
    ),
}


@pytest.mark.parametrize("mutant", MUTANTS, ids=list(MUTANTS))
def test_a_wrong_loader_fails_with_its_reason(tmp_path, export, monkeypatch, mutant) -> None:
    before, after, message = MUTANTS[mutant]
    source = _reference_loader()
    assert before in source
    sb = _sandbox(tmp_path, export, source.replace(before, after), monkeypatch)
    with pytest.raises(AssertionError, match=message):
        capstone.loader(sb)
