"""The Dagster UI, in a real (headless) Chromium: the asset graph and the checks are shown.

Chromium and ChromeDriver come from Debian packages, installed by `make browser` (part of
`make test`). The screenshots are kept under test-artifacts/ for a human to look at.
"""

import pytest
from chromium_helpers import ARTIFACTS, needs_chromium, wait_for_text

from orchestration.ui import webserver

pytestmark = [pytest.mark.slow, needs_chromium]

# The Dagster webserver's first page can take a while on a loaded 2-core machine.
UI_TIMEOUT = 90


def dismiss_welcome(driver):
    """Dagster's first-visit "Join the community" dialog covers the graph: skip it."""
    from selenium.webdriver.common.by import By

    for button in driver.find_elements(By.XPATH, "//button[normalize-space()='Skip']"):
        button.click()


def test_asset_graph_and_checks_are_shown(data_dir, dbt_parsed, chromium):
    ARTIFACTS.mkdir(exist_ok=True)
    with webserver(log=data_dir / "webserver.log") as url:
        chromium.get(f"{url}/asset-groups")
        wait_for_text(chromium, "Global asset lineage", "raw", "staging", "intermediate", "marts",
                      "serving", "snapshots", timeout=UI_TIMEOUT)  # fmt: skip
        dismiss_welcome(chromium)
        chromium.save_screenshot(str(ARTIFACTS / "dagster-asset-graph.png"))

        chromium.get(f"{url}/assets/published_marts?view=lineage")  # publish sits after the marts
        wait_for_text(
            chromium, "published_marts", "fct_mrr_daily", "metrics_daily", timeout=UI_TIMEOUT
        )
        chromium.save_screenshot(str(ARTIFACTS / "dagster-publish-lineage.png"))

        chromium.get(f"{url}/assets/marts/fct_mrr_daily?view=checks")  # dbt tests as asset checks
        wait_for_text(
            chromium,
            "unique_fct_mrr_daily_date_day",
            "not_null_fct_mrr_daily_date_day",
            timeout=UI_TIMEOUT,
        )
        chromium.save_screenshot(str(ARTIFACTS / "dagster-asset-checks.png"))

        chromium.get(f"{url}/assets/raw/events?view=checks")  # and source freshness
        wait_for_text(chromium, "source_freshness", timeout=UI_TIMEOUT)
