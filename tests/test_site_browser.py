"""`make site` in a real (headless) Chromium: the site is built, served on a free loopback port
and crawled from its home page. Every page loads with no console error, every internal link (and
#anchor) resolves, every request the browser makes stays on 127.0.0.1 (the Resource Timing API
lists every request, failed ones included), and screenshots of the home page and a chapter land
in test-artifacts/."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urldefrag, urlparse

import httpx
import pytest
from chromium_helpers import ARTIFACTS, needs_chromium

from tools import site

pytestmark = [pytest.mark.slow, needs_chromium]
#: dbt's own documentation app, copied as-is when generated: its links are checked, its pages
#: not crawled (it is not built by tools/site.py).
NOT_CRAWLED = ("dbt-docs/",)
SCREENSHOTS = {"index.html": "site-home.png", "chapters/03_marts.html": "site-chapter.png"}


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@contextmanager
def serving(folder: Path) -> Iterator[str]:
    handler = functools.partial(Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)  # a free loopback port
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


def crawl(driver, base: str, screenshots: dict[str, str] | None = None) -> tuple[set, list]:
    """Open every page reachable from ``base``; return (pages opened, problems found)."""
    opened: set[str] = set()
    problems: list[str] = []
    anchors: dict[str, set[str]] = {}  # page -> #ids other pages link to
    queue = [base + "index.html"]
    checked: set[str] = set()
    while queue:
        url = queue.pop(0)
        if url in opened:
            continue
        opened.add(url)
        page = url[len(base) :]
        driver.get(url)
        for entry in driver.get_log("browser"):
            problems.append(f"{page}: console {entry['level']}: {entry['message']}")
        requests = driver.execute_script(
            "return performance.getEntriesByType('navigation').concat("
            "performance.getEntriesByType('resource')).map(e => e.name)"
        )
        for request in requests:
            if not request.startswith(base) and not request.startswith("data:"):
                problems.append(f"{page}: a request left 127.0.0.1: {request}")
        ids = set(
            driver.execute_script("return [...document.querySelectorAll('[id]')].map(e => e.id)")
        )
        anchors.setdefault(url, set())
        for wanted in anchors.pop(url, set()) - ids:
            problems.append(f"{page}: no element #{wanted} (a link points to it)")
        if screenshots and page in screenshots:
            ARTIFACTS.mkdir(exist_ok=True)
            driver.save_screenshot(str(ARTIFACTS / screenshots[page]))
        hrefs = driver.execute_script(
            "return [...document.querySelectorAll('a[href]')].map(a => a.href)"
        )
        for href in hrefs:
            target, fragment = urldefrag(href)
            if not target.startswith(base):
                if urlparse(target).hostname in ("127.0.0.1", "localhost"):
                    problems.append(f"{page}: a link to another server: {href}")
                continue  # a link out (not loaded by the page) is allowed
            if target not in checked:
                checked.add(target)
                status = httpx.get(target).status_code
                if status != 200:
                    problems.append(f"{page}: broken link {href} ({status})")
                    continue
            inner = target[len(base) :]
            if inner.startswith(NOT_CRAWLED) or not (
                inner.endswith(".html") or inner.endswith("/")
            ):
                continue
            if fragment:
                if target in opened:
                    pass  # checked below against that page's ids when it was opened
                anchors.setdefault(target, set()).add(fragment)
            if target not in opened:
                queue.append(target)
    # fragments pointing at pages opened before the link was seen
    for url, wanted in anchors.items():
        if wanted and url in opened:
            driver.get(url)
            ids = set(
                driver.execute_script(
                    "return [...document.querySelectorAll('[id]')].map(e => e.id)"
                )
            )
            problems += [
                f"{url[len(base) :]}: no element #{w} (a link points to it)" for w in wanted - ids
            ]
    return opened, problems


def test_the_site_builds_offline_and_every_page_works(chromium, tmp_path: Path) -> None:
    out = tmp_path / "site"
    pages = site.build(out)
    assert {"index.html", "glossary.html", "trainer/index.html", "api/index.html"} <= {
        p.path for p in pages
    }
    assert any(p.path.startswith("chapters/") for p in pages)
    with serving(out) as base:
        opened, problems = crawl(chromium, base, SCREENSHOTS)
    assert problems == []
    built = {base + p.path for p in pages}
    solutions = {u for u in built if "/solutions/" in u}
    assert built - solutions <= opened, "pages not reachable from the home page"
    home = (out / "index.html").read_text()
    assert "solutions/" not in home  # solutions stay out of the learner's navigation
    for name in SCREENSHOTS.values():
        assert (ARTIFACTS / name).stat().st_size > 10_000


def test_the_crawl_catches_external_requests_broken_links_and_console_errors(
    chromium, tmp_path: Path
) -> None:
    (tmp_path / "index.html").write_text(
        '<!DOCTYPE html><html><head><link rel="icon" href="data:,">'
        '<link rel="stylesheet" href="https://fonts.example.invalid/font.css"></head><body>'
        '<a href="missing.html">gone</a> <a href="b.html#nowhere">b</a>'
        "<script>console.error('boom')</script></body></html>"
    )
    (tmp_path / "b.html").write_text(
        '<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head><body>b</body></html>'
    )
    with serving(tmp_path) as base:
        opened, problems = crawl(chromium, base)
    text = "\n".join(problems)
    assert "a request left 127.0.0.1: https://fonts.example.invalid/font.css" in text
    assert "broken link" in text and "missing.html (404)" in text
    assert "boom" in text
    assert "no element #nowhere" in text
    assert base + "b.html" in opened
