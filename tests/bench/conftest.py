"""Bench tests: writers, verdicts, parsers and one small section end to end (no timings asserted)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_data(tmp_path, monkeypatch):
    """Nothing a bench test runs may touch ``<repo>/data``."""
    monkeypatch.setenv("SPROUTLY_DATA_DIR", str(tmp_path / "data"))
