"""A headless Chromium for the browser tests (Debian's chromium + chromedriver: `make browser`).

Offline flags only: no background networking, no component updates, no sync. Screenshots go to
test-artifacts/ for a human to look at.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from chromium_helpers import CHROMEDRIVER, CHROMIUM


@pytest.fixture
def chromium(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager must never download a driver
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
        "--window-size=1600,1000", f"--user-data-dir={tmp_path / 'chromium'}",
    ):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    yield driver
    driver.quit()
