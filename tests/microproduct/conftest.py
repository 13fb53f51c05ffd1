"""Shared fixtures: small simulated worlds in temporary folders (never the repo's data/)."""

from __future__ import annotations

import pytest

from microproduct import Simulation


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path, monkeypatch):
    """Every test gets its own SPROUTLY_DATA_DIR, so nothing touches /work/main/data."""
    monkeypatch.setenv("SPROUTLY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SPROUTLY_NOW", raising=False)


@pytest.fixture(scope="session")
def world(tmp_path_factory) -> Simulation:
    """A 100-day world at scale 1 (~3,000 users): enough for every lifecycle path to occur (the
    rare ones - refunds, voided and uncollectible invoices - are a few in a thousand invoices)."""
    sim = Simulation(tmp_path_factory.mktemp("world"), seed=7, scale=1.0, progress=False)
    sim.init(days=100)
    return sim
