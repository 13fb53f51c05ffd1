"""Fixtures for the cutover tests: ONE small warehouse, ONE emulator, ONE cutover per session.

Starting the emulator costs seconds and each dbt build a dozen, so the session shares them:

- ``warehouse``: ``Simulation(seed=42, scale=0.2).init(days=60)`` loaded by ingestion into a
  private data dir (never /work/main/data);
- ``emulator``: the Snowflake emulator, started once (``cutover.emulator.running``);
- ``cutover_result``: the whole emulated cutover over both (raw copy, two builds, freshness,
  parity).

Tests that change data in the emulator put it back before they finish.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from cutover.emulator import Emulator, running
from cutover.run import CutoverResult, cutover

SEED, SCALE, DAYS = 42, 0.2, 60


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The session's data dir with a loaded raw layer (dev warehouse); env points at it."""
    from ingestion.api import load
    from ingestion.config import IngestionConfig
    from microproduct.billing_api import running as billing_api
    from microproduct.simulation import Simulation

    data_dir = tmp_path_factory.mktemp("cutover_data")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SPROUTLY_DATA_DIR", str(data_dir))
        mp.setenv("SPROUTLY_TARGET", "dev")
        for name in [n for n in os.environ if n.startswith("SNOWFLAKE_")]:
            mp.delenv(name)
        Simulation(data_dir, seed=SEED, scale=SCALE, progress=False).init(days=DAYS)
        token = secrets.token_urlsafe(16)  # a throw-away token for the simulated local API
        with billing_api(token=token) as api:
            config = IngestionConfig.from_env(
                billing_api_url=api.url, billing_api_token=token, progress=False
            )
            load("all", config=config)
        yield data_dir / "warehouse" / "dev.duckdb"


@pytest.fixture(scope="session")
def emulator(warehouse: Path) -> Iterator[Emulator]:
    with running() as started:
        yield started


@pytest.fixture(scope="session")
def cutover_result(warehouse: Path, emulator: Emulator) -> CutoverResult:
    return cutover("snowflake_emulated", emulator=emulator, timeout=600)
