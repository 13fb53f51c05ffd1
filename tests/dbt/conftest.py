"""Fixtures for the dbt project's tests.

dbt runs in-process through :mod:`sproutly.dbt`. dbt re-parses the whole project (~3-4 s) whenever
the profile changes -- and the warehouse path in the profile comes from ``SPROUTLY_DATA_DIR`` -- so
the tests share ONE data dir per session (per xdist worker), parsed once, and every test starts
from a fresh copy of the warehouse file in it:

- ``project``: the raw layer of ``dbt_raw_fixture.py`` after a full ``dbt build`` (made once, copied);
- ``raw_project``: the raw layer only, nothing built.

The data dir and dbt's target/log folders live under pytest's tmp_path_factory, never in
/work/main/data or dbt_project/target.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from dbt_helpers import Project, use_data_dir
from dbt_raw_fixture import create_raw_layer

from sproutly import paths
from sproutly.dbt import dbt, node_statuses, run_results, unsuccessful_nodes


@dataclass(frozen=True)
class Pristine:
    data_dir: Path
    raw_only: Path
    built: Path


@pytest.fixture(scope="session")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Pristine:
    """The session's data dir, a raw-only warehouse and the same after one full `dbt build`."""
    data_dir = tmp_path_factory.mktemp("dbt_session")
    saved = tmp_path_factory.mktemp("dbt_pristine")
    with pytest.MonkeyPatch.context() as mp:
        use_data_dir(mp, data_dir)
        warehouse = paths.warehouse_path("dev")
        create_raw_layer(warehouse)
        shutil.copy(warehouse, saved / "raw_only.duckdb")
        result = dbt("build")
        failed = unsuccessful_nodes(node_statuses(run_results()))
        assert result.success, f"fixture build failed: {failed}"
        shutil.copy(warehouse, saved / "built.duckdb")
    return Pristine(data_dir, saved / "raw_only.duckdb", saved / "built.duckdb")


def _fresh(pristine: Pristine, source: Path, mp: pytest.MonkeyPatch) -> Project:
    use_data_dir(mp, pristine.data_dir)
    project = Project(pristine.data_dir)
    project.warehouse.unlink(missing_ok=True)
    shutil.copy(source, project.warehouse)
    return project


@pytest.fixture
def project(pristine: Pristine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    """A fresh copy of the fully built fixture warehouse."""
    yield _fresh(pristine, pristine.built, monkeypatch)


@pytest.fixture
def raw_project(pristine: Pristine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    """A fresh copy of the fixture's raw layer (nothing built)."""
    yield _fresh(pristine, pristine.raw_only, monkeypatch)
