import os
import tempfile

import pytest

# Importing the Dagster definitions parses dbt when no manifest exists: give every test process
# (each xdist worker) its own dbt target folder before anything imports them.
os.environ.setdefault("DBT_TARGET_PATH", tempfile.mkdtemp(prefix="dbt-target-"))


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """A private data root (and Dagster home) for one test."""
    root = tmp_path / "data"
    root.mkdir()
    monkeypatch.setenv("SPROUTLY_DATA_DIR", str(root))
    monkeypatch.setenv("DAGSTER_HOME", str(root / "dagster_home"))
    return root


@pytest.fixture(scope="session")
def dbt_parsed():
    """Dagster's definitions need dbt's manifest: parse the project once per session."""
    from sproutly.dbt import dbt

    result = dbt("parse")
    assert result.success, result.exception
    return result
