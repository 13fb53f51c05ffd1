"""Every chapter also runs with a second parameter set (another seed and scale) under papermill,
and its cell tagged ``invariants`` (assertions that must hold for any seed and scale) passes."""

from __future__ import annotations

import json
from pathlib import Path

import papermill
import pytest

from sproutly import paths
from tools.notebooks import DROPPED, SECOND_PARAMETERS, notebook_environment

CHAPTERS = sorted((paths.REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.mark.slow  # executes notebooks / dbt: ~20 s each on 2 busy cores
@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_with_other_parameters(
    chapter: Path, notebook_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = json.loads(chapter.read_text())
    tags = [set(c.get("metadata", {}).get("tags", [])) for c in source["cells"]]
    assert sum("parameters" in t for t in tags) == 1, "exactly one cell tagged 'parameters'"
    assert sum("invariants" in t for t in tags) == 1, "exactly one cell tagged 'invariants'"
    environment = notebook_environment(notebook_root / "papermill", chapter)
    for key in DROPPED:  # papermill's kernel inherits this process: a DAGSTER_HOME an earlier
        monkeypatch.delenv(key, raising=False)  # in-process test set would win in the chapter
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    output = tmp_path / chapter.name
    papermill.execute_notebook(  # raises PapermillExecutionError on any failing cell
        str(chapter),
        str(output),
        parameters=SECOND_PARAMETERS,
        kernel_name="python3",
        cwd=str(chapter.parent),
        progress_bar=False,
        log_output=False,
    )
    executed = json.loads(output.read_text())
    injected = [
        c for c in executed["cells"] if "injected-parameters" in c["metadata"].get("tags", [])
    ]
    assert injected and f"SEED = {SECOND_PARAMETERS['SEED']}" in "".join(injected[0]["source"])
    invariants = next(c for c in executed["cells"] if "invariants" in c["metadata"].get("tags", []))
    assert invariants["execution_count"] is not None
    assert not [o for o in invariants["outputs"] if o["output_type"] == "error"]
