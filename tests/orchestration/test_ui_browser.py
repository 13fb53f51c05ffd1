"""The Dagster UI, in a real (headless) Chromium: the asset graph and the checks are shown.

Chromium and ChromeDriver come from Debian packages, installed by `make browser` (part of
`make test`). The screenshots are kept under test-artifacts/ for a human to look at.
"""

import os
import shutil
from pathlib import Path

import pytest

from orchestration.ui import webserver
from sproutly import paths

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
ARTIFACTS = paths.REPO_ROOT / "test-artifacts"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (CHROMIUM and CHROMEDRIVER) and not os.environ.get("CI"),
        reason="chromium/chromedriver not installed: run `make browser`",
    ),
]


@pytest.fixture
def browser(tmp_path: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never try to download a driver
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


def wait_for_text(driver, *texts: str, timeout: float = 90):
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, timeout).until(lambda d: all(t in d.page_source for t in texts))


def dismiss_welcome(driver):
    """Dagster's first-visit "Join the community" dialog covers the graph: skip it."""
    from selenium.webdriver.common.by import By

    for button in driver.find_elements(By.XPATH, "//button[normalize-space()='Skip']"):
        button.click()


def test_asset_graph_and_checks_are_shown(data_dir, dbt_parsed, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    with webserver(log=data_dir / "webserver.log") as url:
        browser.get(f"{url}/asset-groups")
        wait_for_text(browser, "Global asset lineage", "raw", "staging", "intermediate", "marts",
                      "serving", "snapshots")  # fmt: skip
        dismiss_welcome(browser)
        browser.save_screenshot(str(ARTIFACTS / "dagster-asset-graph.png"))

        browser.get(f"{url}/assets/published_marts?view=lineage")  # publish sits after the marts
        wait_for_text(browser, "published_marts", "fct_mrr_daily", "metrics_daily")
        browser.save_screenshot(str(ARTIFACTS / "dagster-publish-lineage.png"))

        browser.get(f"{url}/assets/marts/fct_mrr_daily?view=checks")  # dbt tests as asset checks
        wait_for_text(browser, "unique_fct_mrr_daily_date_day", "not_null_fct_mrr_daily_date_day")
        browser.save_screenshot(str(ARTIFACTS / "dagster-asset-checks.png"))

        browser.get(f"{url}/assets/raw/events?view=checks")  # and source freshness
        wait_for_text(browser, "source_freshness")
