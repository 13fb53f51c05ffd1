"""The notebook-run environment: one data folder per notebook, a shared cache, nothing inherited
that would pin time or a Dagster home, and the nbval hook that applies it and restores it."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import nbval_plugin
import pytest

from tools import notebooks as testing


def test_each_notebook_gets_its_own_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPROUTLY_NOW", "2020-01-01 00:00:00")
    monkeypatch.setenv("DAGSTER_HOME", "/somewhere")
    chapter = testing.notebook_environment(tmp_path, Path("notebooks/00_welcome.ipynb"))
    solution = testing.notebook_environment(tmp_path, Path("solutions/00_welcome.ipynb"))
    assert chapter["SPROUTLY_DATA_DIR"] == str(tmp_path / "notebooks-00_welcome")
    assert solution["SPROUTLY_DATA_DIR"] == str(tmp_path / "solutions-00_welcome")
    assert chapter["SPROUTLY_CHECKPOINT_DIR"] == solution["SPROUTLY_CHECKPOINT_DIR"]
    assert chapter["DBT_TARGET_PATH"] == str(tmp_path / "notebooks-00_welcome" / "dbt_target")
    assert chapter["PYTHONHASHSEED"] == "0" and chapter["TQDM_DISABLE"] == "1"
    assert "SPROUTLY_NOW" not in chapter and "DAGSTER_HOME" not in chapter


def test_hook_sets_and_restores_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPROUTLY_NOTEBOOK_ROOT", str(tmp_path))
    monkeypatch.setenv("SPROUTLY_DATA_DIR", "/original")
    # not the real test-artifacts/notebook-times: make nbval has just measured 00_welcome there
    monkeypatch.setattr(testing, "TIMES_DIR", tmp_path / "times")
    first = SimpleNamespace(fspath="notebooks/00_welcome.ipynb", config=None)
    second = SimpleNamespace(fspath="notebooks/00_welcome.ipynb", config=None)
    nbval_plugin.pytest_runtest_setup(first)
    assert os.environ["SPROUTLY_DATA_DIR"] == str(tmp_path / "notebooks-00_welcome")
    nbval_plugin.pytest_runtest_teardown(first, second)  # same notebook next: keep it
    assert os.environ["SPROUTLY_DATA_DIR"] == str(tmp_path / "notebooks-00_welcome")
    nbval_plugin.pytest_runtest_teardown(second, None)
    assert os.environ["SPROUTLY_DATA_DIR"] == "/original"
    assert (tmp_path / "times" / "notebooks-00_welcome.json").exists()
    python_item = SimpleNamespace(fspath="tests/test_x.py", config=None)
    nbval_plugin.pytest_runtest_setup(python_item)
    assert os.environ["SPROUTLY_DATA_DIR"] == "/original"


def test_chapter_times_land_in_the_readme_table(tmp_path, monkeypatch):
    """A notebook run's measured time replaces the README row's time column, and only that row."""
    import importlib.util

    monkeypatch.setattr(testing, "TIMES_DIR", tmp_path / "times")
    written = testing.record_time(Path("notebooks/05_orchestration.ipynb"), 41.26)
    assert written.name == "notebooks-05_orchestration.json"
    spec = importlib.util.spec_from_file_location("chapter_times", "tools/chapter_times.py")
    chapter_times = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(chapter_times)
    times = chapter_times.measured(tmp_path / "times")
    assert times == {"notebooks/05_orchestration.ipynb": 41.3}
    readme = (
        "| NN | chapter | starts from | time |\n"
        "| 04 | [Tests](notebooks/04_tests_and_contracts.ipynb) | marts built | ~25 s |\n"
        "| 05 | [Dagster](notebooks/05_orchestration.ipynb) | full dbt build | ~45 s |\n"
    )
    refreshed = chapter_times.refresh(readme, times)
    assert (
        "| 05 | [Dagster](notebooks/05_orchestration.ipynb) | full dbt build | 41 s |" in refreshed
    )
    assert "| marts built | ~25 s |" in refreshed, "rows without a measurement are left alone"


def test_make_run_and_make_test_times_land_in_the_readme(tmp_path):
    """The wall times `make run` / `make test` record replace the README's figures; a command
    without a measurement keeps its figure; the README itself carries the sentence."""
    import importlib.util
    import json

    spec = importlib.util.spec_from_file_location("chapter_times", "tools/chapter_times.py")
    chapter_times = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(chapter_times)
    text = (
        "the first `make run` took 39 s after set-up and `make test` 27 min 1 s, set-up included."
    )
    times = tmp_path / "notebook-times"
    times.mkdir()
    assert chapter_times.refresh_commands(text, times) == text  # nothing measured yet
    (tmp_path / "make-test.json").write_text(json.dumps({"command": "make test", "seconds": 598}))
    assert chapter_times.refresh_commands(text, times) == text.replace("27 min 1 s", "9 min 58 s")
    (tmp_path / "make-run.json").write_text(json.dumps({"command": "make run", "seconds": 41}))
    assert "`make run` took 41 s" in chapter_times.refresh_commands(text, times)
    assert chapter_times.COMMANDS.search(Path("README.md").read_text())
