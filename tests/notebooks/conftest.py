"""Fixtures for the workbook's tests: every test gets its own data folder and checkpoint cache."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private ``SPROUTLY_DATA_DIR`` (and dbt target/log folders) for one test."""
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("SPROUTLY_DATA_DIR", str(data))
    monkeypatch.setenv("SPROUTLY_CHECKPOINT_DIR", str(tmp_path / "checkpoints"))
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "dbt_target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "dbt_logs"))
    monkeypatch.delenv("SPROUTLY_NOW", raising=False)
    return data


@pytest.fixture(scope="session")
def notebook_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Root for notebook runs in this session: one data folder per notebook below it, and one
    checkpoint cache shared by all of them (so each state is generated once per session)."""
    return tmp_path_factory.mktemp("notebook-runs")
