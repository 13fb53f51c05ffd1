"""The Dagster UI, in a real (headless) Chromium: the pages chapter 05's UI tour opens are shown.

Chromium and ChromeDriver come from Debian packages, installed by `make browser` (part of
`make test`). Every page is screenshotted into test-artifacts/ on every run, after a script masks
what changes with the wall clock (times, dates, durations, run ids, counts of partitions up to
today). Chapter 05 embeds committed copies of these screenshots (notebooks/images/ui/); refresh
them from the real UI with

    UPDATE_SCREENSHOTS=1 uv run --locked --no-sync pytest tests/orchestration/test_ui_browser.py
"""

import os
import re
import socket
from pathlib import Path

import pytest
from chromium_helpers import ARTIFACTS, needs_chromium, wait_for_text

from orchestration.ui import webserver

# The Dagster webserver's first page can take a while on a loaded 2-core machine.
UI_TIMEOUT = 90

#: Where chapter 05 finds the committed screenshots (markdown links relative to the notebook).
SCREENSHOTS = Path(__file__).resolve().parents[2] / "notebooks" / "images" / "ui"
#: The screenshots the tour embeds, each taken by ``test_ui_tour_pages``.
TOUR = (
    "dagster-asset-graph.png",
    "dagster-runs.png",
    "dagster-run-events.png",
    "dagster-asset-checks.png",
    "dagster-automation.png",
    "dagster-partitions.png",
)

#: What changes from run to run in Dagster's pages (the wall clock, run ids, the process).
#: ``MASK_SCRIPT`` replaces each match in the page's text (and inputs) with "··"; ``shoot`` then
#: asserts none is left before and after the screenshot.
WALL_CLOCK = [
    r"\b[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}\b",  # run ids
    r"\b[0-9a-f]{8}\b",  # short run ids
    r"\b\d{4}-\d{2}-\d{2}\b",  # dates (partition keys end at today's date)
    r"\b\d{1,2}/\d{1,2}/\d{2,4}\b",
    r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* \d{1,2}\b(?:, \d{4})?",
    r"(?<!Scheduled At )\b\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?(?: ?[AP]M)?",  # times, durations
    r"\b\d+(?:\.\d+)?\s?(?:ms|s|sec|secs|seconds?|min|mins|minutes?|hours?|days?)\b(?: ago)?",
    r"\b(?:a few seconds|an? (?:minute|hour|day)) ago\b",
    r"\b\d+(?= Partitions?\b)",  # how many daily partitions exist so far
    r"(?<=Missing \()\d+(?=\))",
    r"(?<![\w.])(?:/[\w.@+-]+){2,}/?",  # absolute paths (in a stack trace)
]
MASK_SCRIPT = """
const patterns = arguments[0].map((p) => new RegExp(p, "g"));
const mask = (text) => patterns.reduce((t, p) => t.replace(p, "··"), text);
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let node = walker.nextNode(); node; node = walker.nextNode()) {
  const text = mask(node.nodeValue);
  if (text !== node.nodeValue) node.nodeValue = text;
}
// a value split over several text nodes ("Missing (" + "339" + ")"): mask the smallest element
// that holds all of it
for (const el of Array.from(document.body.querySelectorAll("*")).reverse()) {
  const text = el.innerText;
  if (!text || text.length > 200 || mask(text) === text) continue;
  if (Array.from(el.children).some((c) => c.innerText && mask(c.innerText) !== c.innerText)) continue;
  el.textContent = mask(text);
}
for (const input of document.querySelectorAll("input")) {
  const value = mask(input.value);
  if (value !== input.value) input.value = value;
}
"""
#: The page's visible text and its inputs' values, as the mask sees them.
SHOWN_SCRIPT = """
return document.body.innerText + "\\n" +
  Array.from(document.querySelectorAll("input")).map((i) => i.value).join("\\n");
"""

pytestmark = [pytest.mark.slow, needs_chromium]


def dismiss_welcome(driver):
    """Dagster's first-visit "Join the community" dialog covers the graph: skip it."""
    from selenium.webdriver.common.by import By

    for button in driver.find_elements(By.XPATH, "//button[normalize-space()='Skip']"):
        button.click()


def masked() -> list[str]:
    """:data:`WALL_CLOCK`, plus the host and process id the test's run was tagged with."""
    this_process = (socket.gethostname(), str(os.getpid()))
    return [*WALL_CLOCK, *(rf"(?<![\w-]){re.escape(value)}(?![\w-])" for value in this_process)]


def wall_clock_values(text: str) -> list[str]:
    return [m.group(0) for p in masked() for m in re.finditer(p, text, re.MULTILINE)]


def shoot(driver, name: str) -> Path:
    """Let the page settle, mask what changes from run to run, check nothing of it is left
    (before and after), and screenshot into test-artifacts/ (and, with ``UPDATE_SCREENSHOTS=1``,
    a small palette PNG into notebooks/images/ui/)."""
    import time

    dismiss_welcome(driver)
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    for _ in range(5):  # a page still rendering can bring a value back: mask again
        time.sleep(2)
        driver.execute_script(MASK_SCRIPT, masked())
        if wall_clock_values(driver.execute_script(SHOWN_SCRIPT)):
            continue
        driver.save_screenshot(str(path))
        if not wall_clock_values(driver.execute_script(SHOWN_SCRIPT)):
            break
    left = wall_clock_values(driver.execute_script(SHOWN_SCRIPT))
    assert not left, f"{name} would show {left}"
    if os.environ.get("UPDATE_SCREENSHOTS") and name in TOUR:
        from PIL import Image

        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        with Image.open(path) as image:
            small = image.convert("RGB").quantize(colors=64)
            small.save(SCREENSHOTS / name, optimize=True)
    return path


def test_the_mask_finds_what_the_wall_clock_changes():
    shown = "Run 51705079 · May 3, 2026, 4:01:22 AM · 0:00:05 · 2026-12-05 · 339 Partitions"
    assert len(wall_clock_values(shown)) >= 5
    assert wall_clock_values('sproutly/pid: 29937\n29937\nFile "/work/x/.venv/lib/a.py"')
    assert not wall_clock_values("daily_pipeline_schedule · Failure · published_marts")


def test_the_tour_screenshots_are_committed_and_embedded():
    chapter = (SCREENSHOTS.parents[1] / "05_orchestration.ipynb").read_text()
    for name in TOUR:
        assert (SCREENSHOTS / name).stat().st_size < 150_000, name
        assert f"images/ui/{name}" in chapter, f"chapter 05 does not embed {name}"


def test_ui_tour_pages(data_dir, dbt_parsed, chromium):
    from selenium.webdriver.common.by import By

    from orchestration import runs

    # One real run on this instance, so the Runs pages have something to show: the freshness
    # job on an empty data folder fails (no warehouse yet), as a first run on a new machine would.
    with runs.project_instance() as instance:
        failed = runs.execute("freshness_checks", instance=instance)
    assert not failed.success

    chromium.set_window_size(1280, 800)
    with webserver(log=data_dir / "webserver.log") as url:
        chromium.get(f"{url}/asset-groups")
        wait_for_text(chromium, "Global asset lineage", "raw", "staging", "intermediate", "marts",
                      "serving", "snapshots", timeout=UI_TIMEOUT)  # fmt: skip
        shoot(chromium, "dagster-asset-graph.png")

        chromium.get(f"{url}/assets/published_marts?view=lineage")  # publish sits after the marts
        wait_for_text(
            chromium, "published_marts", "fct_mrr_daily", "metrics_daily", timeout=UI_TIMEOUT
        )
        shoot(chromium, "dagster-publish-lineage.png")

        chromium.get(f"{url}/runs")  # every run, newest first, with its status
        wait_for_text(chromium, "freshness_checks", "Failure", timeout=UI_TIMEOUT)
        shoot(chromium, "dagster-runs.png")

        chromium.get(f"{url}/runs/{failed.run_id}")  # one run: its steps and event log
        wait_for_text(chromium, "freshness_checks", "STEP_FAILURE", timeout=UI_TIMEOUT)
        shoot(chromium, "dagster-run-events.png")

        chromium.get(f"{url}/assets/marts/fct_mrr_daily?view=checks")  # dbt tests as asset checks
        wait_for_text(
            chromium,
            "unique_fct_mrr_daily_date_day",
            "not_null_fct_mrr_daily_date_day",
            timeout=UI_TIMEOUT,
        )
        shoot(chromium, "dagster-asset-checks.png")

        chromium.get(f"{url}/assets/raw/events?view=checks")  # and source freshness
        wait_for_text(chromium, "source_freshness", timeout=UI_TIMEOUT)

        chromium.get(f"{url}/automation")  # schedules and sensors, each with an on/off toggle
        wait_for_text(chromium, "daily_pipeline_schedule", "hourly_freshness_schedule",
                      "new_event_files", "alert_on_run_failure", timeout=UI_TIMEOUT)  # fmt: skip
        shoot(chromium, "dagster-automation.png")

        chromium.get(f"{url}/assets/raw/events?view=partitions")  # where a backfill starts
        wait_for_text(chromium, "Partitions", "Materialize", timeout=UI_TIMEOUT)
        assert chromium.find_elements(By.XPATH, "//button[contains(., 'Materialize')]")
        shoot(chromium, "dagster-partitions.png")
