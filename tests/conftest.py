"""A headless Chromium for the browser tests (Debian's chromium + chromedriver: `make browser`),
and how ``make unit`` shares the suite between its two workers (``--dist loadfile``).

Offline flags only: no background networking, no component updates, no sync. Screenshots go to
test-artifacts/ for a human to look at.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from chromium_helpers import CHROMEDRIVER, CHROMIUM

#: Test modules that execute one notebook per test: each notebook is its own unit of work for the
#: workers (a whole module on one worker was the long pole of the suite), and they start first.
NOTEBOOK_MODULES = ("test_chapters_parameters.py", "test_exercises.py")


def _notebook(nodeid: str) -> str | None:
    """``06_observability`` for a notebook module's parametrized test, else None."""
    module, _, test = nodeid.partition("::")
    if Path(module).name not in NOTEBOOK_MODULES or not test.endswith("]"):
        return None
    return test[test.rindex("[") + 1 : -1]


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadfile``, except that a notebook module's tests go out one notebook at a time (a
    solution's two tests share its unsolved run, so they stay together). pytest-xdist's own
    ``loadgroup`` cannot do it here: it renames ``item._nodeid``, which pytest 9 no longer reads."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class NotebookScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            notebook = _notebook(nodeid)
            module = nodeid.partition("::")[0]
            return f"{module}[{notebook}]" if notebook else module

    return NotebookScheduling(config, log)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The notebook tests first (they are the longest), the later, heavier chapters first."""
    items.sort(
        key=lambda item: (
            _notebook(item.nodeid) is None,
            [-ord(c) for c in _notebook(item.nodeid) or ""],
        )
    )


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
