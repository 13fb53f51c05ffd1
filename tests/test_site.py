"""tools/site.py without a browser: glossary terms linked once per page and never inside code or
links, repository links pointed at the pages built from them, the API reference from the schema."""

from __future__ import annotations

import re

from sproutly import paths
from tools import site


def test_glossary_terms_are_read_from_the_headings() -> None:
    terms = site.glossary_terms((paths.REPO_ROOT / "docs" / "glossary.md").read_text())
    names = {name for term in terms for name in term.names}
    for wanted in ("MRR", "ARR", "grain", "idempotency", "WAP", "SLO", "error budget", "contract"):
        assert wanted in names
    for wanted in ("snapshot", "backfill", "cursor", "quarantine", "partition", "freshness"):
        assert wanted in names
    assert {"lineage", "semantic layer"} <= names
    assert len({t.anchor for t in terms}) == len(terms)


def test_a_term_is_linked_on_its_first_appearance_only_and_never_in_code() -> None:
    terms = [site.Term(("MRR", "monthly recurring revenue"), "mrr"), site.Term(("grain",), "grain")]
    linker = site.GlossaryLinker(terms, "../glossary.html")
    first = linker.link(
        "<h2>MRR</h2><p>Read <code>MRR</code> in <a href='x'>MRR</a>, then MRR and more MRR; "
        "the GRAIN differs from MRRs</p>"
    )
    assert first.count('class="term"') == 2
    assert (
        "<h2>MRR</h2><p>Read <code>MRR</code> in <a href='x'>MRR</a>, then <a class=\"term\""
        in first
    )
    assert 'href="../glossary.html#grain"' in first and ">GRAIN</a>" in first
    assert "more MRR;" in first  # the second appearance is plain text
    later = linker.link("<p>MRR again, and the grain</p>")  # same page: nothing new
    assert "class=" not in later
    assert "SLOs" not in site.GlossaryLinker([site.Term(("SLO",), "slo")], "g").link("<p>slo</p>")


def test_links_point_at_the_pages_built_from_their_targets() -> None:
    page = site.Page(
        "trainer/index.html",
        "Guide",
        '<a href="chapters/02_staging.md">notes</a> <a href="../../solutions/02_staging.ipynb#x">s</a> '
        '<a href="../contracts.md">contracts</a> <a href="https://example.org">out</a>',
        "docs/trainer/guide.md",
    )
    sources = {
        "docs/trainer/chapters/02_staging.md": "trainer/02_staging.html",
        "solutions/02_staging.ipynb": "solutions/02_staging.html",
    }
    body = site.rewrite_links(page, sources)
    assert '<a href="02_staging.html">notes</a>' in body
    assert '<a href="../solutions/02_staging.html#x">s</a>' in body
    assert '<code title="in the repository: docs/contracts.md">contracts</code>' in body
    assert '<a href="https://example.org">out</a>' in body


def test_the_api_reference_lists_every_endpoint_of_the_schema(tmp_path) -> None:
    body = site.api_page(tmp_path)
    for path in ("/health", "/v1/metrics/mrr", "/v1/metrics/daily", "/v1/users/{user_id}/summary"):
        assert f"GET {path}</code>" in body
    assert (tmp_path / "api" / "openapi.json").exists()
    assert not re.search(r"<(script|link|img)\b", body)  # nothing to fetch


def test_the_capstone_has_its_own_section_and_trainer_notes() -> None:
    """The capstone (an exercise notebook without a chapter) is listed as "Capstone", and its
    trainer page adds up the steps' stated times before the facilitator notes."""
    exercise = paths.REPO_ROOT / "exercises" / "09_capstone.ipynb"
    steps = site.exercises_of(exercise)
    assert [heading.split(":")[0] for heading, _ in steps] == [f"Step {n}" for n in range(1, 7)]
    assert all(minutes for _, minutes in steps)
    notes = paths.REPO_ROOT / "docs" / "trainer" / "chapters" / "09_capstone.md"
    text = site.trainer_capstone(exercise, notes)
    assert f"In total: **{sum(m for _, m in steps)} min**" in text
    assert "## Common mistakes" in text and "## Discussion questions" in text
    assert "solutions/09_capstone.ipynb" in text
    pages = [
        site.Page("index.html", "Home", ""),
        site.Page("exercises/09_capstone.html", "Capstone", "", section="Capstone"),
        *(site.Page(p, p, "") for p in ("glossary.html", "trainer/index.html")),
        *(site.Page(p, p, "") for p in ("api/index.html", "dbt-docs.html")),
    ]
    nav = site.nav_html(pages, pages[0])
    assert '<span>Capstone</span><ul><li><a href="exercises/09_capstone.html">Capstone</a>' in nav
