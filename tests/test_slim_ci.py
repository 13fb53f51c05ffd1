"""Slim CI (tools/slim_ci.py, ``make ci-pr``): a pull request builds the models it changed and
their children, nothing else, and never writes production.

One module-scoped setup: a copy of the dbt project, "production" built from it on the tiny raw
layer of tests/dbt (``--target prod``), main's manifest kept as the state; then one model of the
copy changes, as a pull request would change it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import sproutly.dbt as sproutly_dbt
from sproutly import paths
from sproutly.dbt import DbtStartError, dbt, manifest, node_statuses, run_results
from sproutly.env import temporarily
from tools import slim_ci

sys.path.insert(0, str(Path(__file__).parent / "dbt"))  # the dbt room's hand-made raw layer
from dbt_raw_fixture import NOW, create_raw_layer  # noqa: E402

CHANGED = "model.sproutly.int_revenue_daily"
CHANGED_FILE = Path("models/intermediate/finance/int_revenue_daily.sql")


@dataclass(frozen=True)
class Setup:
    root: Path
    project: Path
    prod_data: Path
    state: Path

    def env(self, target: str) -> dict[str, str]:
        return {
            "SPROUTLY_DATA_DIR": str(self.prod_data),
            "SPROUTLY_NOW": NOW,
            "DBT_TARGET_PATH": str(self.root / target),
        }


def _descendants(state_manifest: dict, unique_id: str) -> set[str]:
    """The node and everything downstream of it in main's manifest, with the unit tests of the
    models among them: what ``state:modified+`` must select when only that node changed."""
    found, todo = {unique_id}, [unique_id]
    while todo:
        for child in state_manifest["child_map"].get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    units = {
        uid
        for uid, unit in state_manifest["unit_tests"].items()
        if set(unit["depends_on"]["nodes"]) & found
    }
    return found | units


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    root = tmp_path_factory.mktemp("slim_ci")
    project = root / "project"
    shutil.copytree(
        paths.DBT_PROJECT_DIR,
        project,
        ignore=shutil.ignore_patterns("target", "logs", "dbt_packages", ".user.yml"),
    )
    found = Setup(root, project, root / "prod", root / "state")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sproutly_dbt, "PROJECT_DIR", project)
        with temporarily(found.env("target_prod")):
            # production: main's code built on the prod target, and main's manifest as the state
            create_raw_layer(paths.warehouse_path("prod"))
            assert dbt("build", target="prod").success, node_statuses(run_results())
            slim_ci.prod_manifest(found.state)
        # the pull request: one model changes
        changed = project / CHANGED_FILE
        changed.write_text(changed.read_text() + "\n-- changed in this pull request\n")
        yield found


@pytest.fixture
def in_copy(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> Setup:
    monkeypatch.setattr(sproutly_dbt, "PROJECT_DIR", setup.project)
    for name, value in setup.env("target_pr").items():
        monkeypatch.setenv(name, value)
    return setup


def _selected(state: Path) -> set[str]:
    result = dbt(
        "ls",
        "--select",
        slim_ci.SELECTOR,
        "--state",
        str(state),
        "--output",
        "json",
        "--output-keys",
        "unique_id",
        target="prod",
    )
    assert result.success, result.exception
    return {json.loads(line)["unique_id"] for line in result.result or []}


def test_selects_the_changed_model_and_its_children_only(in_copy: Setup) -> None:
    state_manifest = manifest(in_copy.state / "manifest.json")
    expected = _descendants(state_manifest, CHANGED)
    selected = _selected(in_copy.state)
    assert selected == expected
    assert "model.sproutly.metrics_daily" in selected  # a child
    assert "model.sproutly.stg_billing__invoices" not in selected  # a parent: deferred
    assert len(selected) < len(state_manifest["nodes"]) / 3


def test_without_a_state_dir_dbt_refuses(in_copy: Setup) -> None:
    with pytest.raises(DbtStartError, match="no comparison manifest"):
        _selected(in_copy.root / "no-such-state")


def test_the_branch_own_manifest_as_state_selects_nothing(in_copy: Setup) -> None:
    """The wrong state (the pull request's own manifest, not main's) silently selects nothing:
    why CI must download main's manifest, not parse the branch."""
    branch_state = in_copy.root / "branch-state"
    slim_ci.prod_manifest(branch_state)
    assert _selected(branch_state) == set()


def test_pr_builds_only_those_nodes_in_a_copy_of_production(in_copy: Setup) -> None:
    prod_warehouse = in_copy.prod_data / "warehouse" / "prod.duckdb"
    before = _sha256(prod_warehouse)
    ci_data = in_copy.root / "ci"

    assert slim_ci.pr(in_copy.state, in_copy.prod_data, ci_data) == 0

    built = node_statuses(run_results(ci_data / "target"))
    # dbt ls selects metrics, semantic models and exposures too; a build runs none of them
    runnable = {
        uid
        for uid in _descendants(manifest(in_copy.state / "manifest.json"), CHANGED)
        if uid.split(".")[0] not in {"metric", "semantic_model", "saved_query", "exposure"}
    }
    assert set(built) == runnable
    assert set(built.values()) <= {"success", "pass"}, built
    assert _sha256(prod_warehouse) == before, "the pull request wrote production"


def test_pr_without_production_state_falls_back_to_a_full_build(
    in_copy: Setup, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    full_builds: list[Path] = []
    monkeypatch.setattr(slim_ci, "_full_build", lambda ci_data: full_builds.append(ci_data) or 0)
    ci_data = in_copy.root / "ci-fallback"

    assert slim_ci.pr(in_copy.root / "no-such-state", in_copy.prod_data, ci_data) == 0

    assert full_builds == [ci_data]
    assert "no production state" in capsys.readouterr().out
