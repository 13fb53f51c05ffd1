import os
import tempfile

import pytest

# Building the Dagster definitions parses dbt when no manifest exists, and every Dagster run writes
# dbt's artefacts (run_results.json, which publish audits) there: give every test process its own
# dbt target folder before anything imports them. An xdist worker inherits the environment of the
# controller, where this file already ran: a worker always takes a folder of its own.
_worker = os.environ.get("PYTEST_XDIST_WORKER")
if _worker or "DBT_TARGET_PATH" not in os.environ:
    os.environ["DBT_TARGET_PATH"] = tempfile.mkdtemp(prefix=f"dbt-target-{_worker or 'main'}-")


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
