"""/docs in a real (headless) Chromium: Swagger UI renders offline and lists every endpoint."""

from __future__ import annotations

import pytest
from chromium_helpers import ARTIFACTS, needs_chromium, wait_for_text
from test_serving_hardening import write_copy

from serving import running

pytestmark = [pytest.mark.slow, needs_chromium]


def test_docs_list_the_endpoints(chromium, tmp_path, monkeypatch):
    monkeypatch.setenv("SPROUTLY_DATA_DIR", str(tmp_path / "data"))
    copy = tmp_path / "copy.duckdb"
    write_copy(copy, 0)
    ARTIFACTS.mkdir(exist_ok=True)
    with running(path=copy) as url:
        chromium.get(f"{url}/docs")
        wait_for_text(
            chromium,
            "Sproutly read API",
            "/health",
            "/v1/metrics/mrr",
            "/v1/metrics/daily",
            "/v1/users/{user_id}/summary",
        )
        chromium.save_screenshot(str(ARTIFACTS / "serving-docs.png"))
