"""Fixtures for the serving tests: one real published copy per test session, shared.

The world is built by the real pipeline steps (simulate -> ingest -> ``dbt build`` -> audit ->
publish), at a small scale: 30 simulated days so that some users have paid, i.e. the MRR series is
not all zeros. It costs one dbt build (~10-40 s on a shared 2-core machine), so it is built once;
the tests that need it live in one module so pytest-xdist (``--dist loadfile``) builds it once.
The environment is set only while building; each test then points ``SPROUTLY_DATA_DIR`` at the
world with its own ``monkeypatch``, so nothing leaks into other rooms' tests.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

import pytest

#: The simulated "now" of the world: 30 days from 2026-01-01.
WORLD_NOW = "2026-01-31 00:00:00"


@dataclass(frozen=True)
class World:
    data_dir: Path
    warehouse: Path
    serving: Path
    manifest: Path


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """Simulate 30 days (seed 42, scale 0.1), load, build, audit and publish them."""
    import ingestion
    import microproduct
    from orchestration import publish as wap
    from sproutly import paths
    from sproutly.dbt import dbt, target_dir

    root = tmp_path_factory.mktemp("serving_world")
    data_dir = root / "data"
    data_dir.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SPROUTLY_DATA_DIR", str(data_dir))
        mp.setenv("DBT_TARGET_PATH", str(root / "dbt_target"))
        mp.setenv("DBT_LOG_PATH", str(root / "dbt_logs"))
        mp.delenv("SPROUTLY_NOW", raising=False)  # the simulation's clock file decides
        mp.delenv("SPROUTLY_TARGET", raising=False)
        microproduct.Simulation(data_dir, seed=42, scale=0.1).init(days=30)
        with microproduct.running(token=secrets.token_urlsafe(16)) as api:
            config = ingestion.IngestionConfig.from_env(
                billing_api_url=api.url, billing_api_token=api.token, progress=False
            )
            results = ingestion.load("all", config=config)
        assert {r.status for r in results} <= {"success", "noop"}, results
        result = dbt("build")
        assert result.success, result.exception
        wap.audit(target_dir() / "run_results.json")
        manifest = target_dir() / "manifest.json"
        published = wap.publish(wap.mart_relations(manifest))
        return World(
            data_dir=data_dir,
            warehouse=paths.warehouse_path(),
            serving=published.path,
            manifest=manifest,
        )


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data root: nothing simulated, nothing published."""
    root = tmp_path / "data"
    root.mkdir()
    monkeypatch.setenv("SPROUTLY_DATA_DIR", str(root))
    monkeypatch.delenv("SPROUTLY_NOW", raising=False)
    return root


@pytest.fixture
def in_world(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    """Point this test's environment at the shared world (restored afterwards)."""
    monkeypatch.setenv("SPROUTLY_DATA_DIR", str(world.data_dir))
    monkeypatch.delenv("SPROUTLY_NOW", raising=False)
    monkeypatch.delenv("SPROUTLY_TARGET", raising=False)
    return world
