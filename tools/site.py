"""Build the course website (``make site``): static HTML in ``site/``, offline, from what is committed.

Chapters (``notebooks/``), exercises (``exercises/``) and solutions (``solutions/``) are rendered
from their committed outputs with nbconvert (already installed; no re-execution), the glossary and
the trainer's kit from ``docs/``, the read API's reference from its OpenAPI schema. One small
template and one stylesheet (``tools/site_assets/``): no web font, no script, nothing fetched when
the site is built or read. Solutions are not in the learner's navigation: the trainer's guide
links them. Every page links the first appearance of each glossary term to its entry.

    uv run python -m tools.site [--out site]
"""

from __future__ import annotations

import argparse
import functools
import html
import json
import os
import posixpath
import re
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tools.glossary_links import (
    UNLINKED_NAMES,
    Term,
    anchor,
    glossary_terms,
    term_pattern,
)

ROOT = Path(__file__).resolve().parent.parent
ASSETS = Path(__file__).resolve().parent / "site_assets"
DOCS = ROOT / "docs"
NOTEBOOK = re.compile(r"^(\d\d)_[a-z0-9_]+\.ipynb$")
#: ``(≈ 15 min)`` in an exercise heading: the time a learner is expected to spend on it.
EXERCISE_MINUTES = re.compile(r"\(\s*(?:≈|~)\s*(\d+)\s*min\s*\)")
EXERCISE_HEADING = re.compile(r"^##\s+((?:Exercise|Step)\s+\d+.*)$", re.MULTILINE)
#: Elements whose text is never glossary-linked.
NO_LINK = {"a", "code", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "script", "style", "th"}


@dataclass
class Page:
    path: str  # posix path inside the site, e.g. "chapters/02_staging.html"
    title: str
    body: str
    source: str = ""  # repo path it was built from ("" for generated pages)
    section: str = ""


# --------------------------------------------------------------------------- glossary


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class GlossaryLinker:
    """Links the first appearance of each term on a page (text outside code, links, headings)."""

    def __init__(self, terms: list[Term], href: str) -> None:
        self.href = href
        self.patterns = [
            (t, [term_pattern(n) for n in t.names if n not in UNLINKED_NAMES]) for t in terms
        ]
        self.seen: set[str] = set()

    def link(self, fragment: str) -> str:
        out, skip = [], []
        for token in re.split(r"(<[^>]+>)", fragment):
            if token.startswith("<"):
                linked = re.search(r'href="[^"]*glossary\.(?:html|md)#([^"]+)"', token)
                if linked:  # the chapter links this term itself (tools/glossary_links.py)
                    self.seen.add(linked.group(1))
                tag = re.match(r"</?\s*([a-zA-Z0-9]+)", token)
                name = tag.group(1).lower() if tag else ""
                if name in NO_LINK and not token.endswith("/>"):
                    if token.startswith("</"):
                        if name in skip:
                            skip.remove(name)
                    else:
                        skip.append(name)
                out.append(token)
            elif skip or not token.strip():
                out.append(token)
            else:
                out.append(self._text(token))
        return "".join(out)

    def _text(self, text: str) -> str:
        for term, patterns in self.patterns:
            if term.anchor in self.seen:
                continue
            for pattern in patterns:
                match = pattern.search(text)
                if match:
                    self.seen.add(term.anchor)
                    a = (
                        f'<a class="term" href="{self.href}#{term.anchor}" '
                        f'title="glossary: {html.escape(term.names[0])}">{match.group(1)}</a>'
                    )
                    # the rest of the text may hold other terms
                    return text[: match.start()] + a + self._text(text[match.end() :])
        return text


# --------------------------------------------------------------------------- rendering


def markdown(text: str) -> str:
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    return markdown2html_mistune(text)


@functools.cache
def _exporter():
    """One nbconvert exporter (its templates load once); ``.linker`` is set per page."""
    from jinja2 import pass_context
    from nbconvert import HTMLExporter

    class Exporter(HTMLExporter):
        linker: GlossaryLinker | None = None

        @pass_context
        def markdown2html(self, context, source):
            rendered = super().markdown2html(context, source)
            return self.linker.link(rendered) if self.linker else rendered

    exporter = Exporter(template_name="basic")
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.anchor_link_text = "#"
    return exporter


def notebook_html(path: Path, linker: GlossaryLinker | None) -> tuple[str, str]:
    """(title, body) of a committed notebook, outputs as committed."""
    import nbformat

    exporter = _exporter()
    exporter.linker = linker
    notebook = nbformat.read(path, as_version=4)
    body, _ = exporter.from_notebook_node(notebook)
    return notebook_title(notebook, path), body


def notebook_title(notebook, path: Path) -> str:
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#\s+(.+)$", cell.source, re.MULTILINE)
            if match:
                return match.group(1).strip()
    return path.stem


def exercises_of(path: Path) -> list[tuple[str, int | None]]:
    """``(heading, minutes or None)`` of every ``## Exercise N`` in a notebook."""
    import nbformat

    found = []
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "markdown":
            for heading in EXERCISE_HEADING.findall(cell.source):
                minutes = EXERCISE_MINUTES.search(heading)
                found.append((heading.strip(), int(minutes.group(1)) if minutes else None))
    return found


def learning_goals(path: Path) -> str:
    """The chapter's "Learning goals" list (markdown), or ""."""
    import nbformat

    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "markdown" and "Learning goals" in cell.source:
            match = re.search(
                r"Learning goals\**:?\s*\n+((?:\s*[-*] .*\n?(?:\s{2,}.*\n?)*)+)", cell.source
            )
            if match:
                return match.group(1)
    return ""


def reading_minutes(path: Path) -> int | None:
    """The "about N minutes to read" of a chapter's **Time** line."""
    match = re.search(r"about (\d+) minutes to read", path.read_text())
    return int(match.group(1)) if match else None


def chapter_times() -> dict[str, str]:
    """``notebooks/NN_x.ipynb -> "33 s"`` from README's chapter table (measured by the test run)."""
    from tools.chapter_times import ROW

    readme = ROOT / "README.md"
    times = {}
    for line in readme.read_text().splitlines() if readme.exists() else []:
        match = ROW.match(line)
        if match:
            times[match["link"]] = line.rstrip().rstrip("|").split("|")[-1].strip()
    return times


# --------------------------------------------------------------------------- links


def relative(from_page: str, to_page: str) -> str:
    return posixpath.relpath(to_page, posixpath.dirname(from_page) or ".")


def rewrite_links(page: Page, sources: dict[str, str]) -> str:
    """Point relative links at the page built from their target (repo path -> site path);
    a link to a repository file the site does not carry becomes its path in code."""

    def fix(match: re.Match[str]) -> str:
        href, attributes, text = match.groups()
        if re.match(r"^[a-z]+:|^#|^/", href) or not page.source or 'class="term"' in attributes:
            return match.group(0)
        target, _, anchor = href.partition("#")
        repo = posixpath.normpath(posixpath.join(posixpath.dirname(page.source), target))
        if repo in sources:
            new = relative(page.path, sources[repo]) + (f"#{anchor}" if anchor else "")
            return f'<a href="{new}"{attributes}>{text}</a>'
        return f'<code title="in the repository: {html.escape(repo)}">{text}</code>'

    return re.sub(r'<a href="([^"]+)"([^>]*)>(.*?)</a>', fix, page.body, flags=re.DOTALL)


# --------------------------------------------------------------------------- the site


NAV_SECTIONS = ("Chapters", "Exercises", "Capstone")


def nav_html(pages: list[Page], current: Page) -> str:
    def item(page: Page) -> str:
        cls = ' class="current"' if page.path == current.path else ""
        return f'<li><a{cls} href="{relative(current.path, page.path)}">{html.escape(page.title)}</a></li>'

    by_path = {p.path: p for p in pages}
    parts = ['<ul class="top">', item(by_path["index.html"])]
    for section in NAV_SECTIONS:
        listed = [p for p in pages if p.section == section]
        parts.append(f"<li><span>{section}</span><ul>{''.join(item(p) for p in listed)}</ul></li>")
    for path in ("glossary.html", "trainer/index.html", "api/index.html", "dbt-docs.html"):
        parts.append(item(by_path[path]))
    parts.append("</ul>")
    return "".join(parts)


def render(page: Page, pages: list[Page], template) -> str:
    return template.render(
        title=page.title,
        body=page.body,
        nav=nav_html(pages, page),
        css=relative(page.path, "assets/style.css"),
        home=relative(page.path, "index.html"),
        section=page.section,
    )


def home_page(chapters: list[tuple[Path, Page]], times: dict[str, str]) -> str:
    rows = []
    for path, page in chapters:
        exercise = f"exercises/{path.name}"
        rows.append(
            f"| {path.name[:2]} | [{page.title}](notebooks/{path.name}) | "
            f"[exercises]({exercise}) | "
            f"{times.get(f'notebooks/{path.name}', '')} |"
        )
    table = "| NN | chapter | exercises | time to execute* |\n|---|---|---|---|\n" + "\n".join(rows)
    text = (ASSETS / "home.md").read_text().replace("{{ chapters }}", table)
    return markdown(text)


def dbt_docs_page(out: Path) -> str:
    target = ROOT / "dbt_project" / "target"
    files = ("index.html", "manifest.json", "catalog.json")
    if all((target / name).exists() for name in files):
        (out / "dbt-docs").mkdir(exist_ok=True)
        for name in files:
            shutil.copy2(target / name, out / "dbt-docs" / name)
        return markdown(
            "# dbt docs\n\nThe dbt documentation of the project (models, columns, tests and the "
            "lineage graph), as generated in `dbt_project/target` when the site was built: "
            '<a href="dbt-docs/index.html">open the dbt docs</a>.\n'
        )
    return markdown(
        "# dbt docs\n\nNot generated when this site was built. dbt writes its documentation site "
        "(models, columns, tests, the lineage graph) from the project itself:\n\n"
        "```bash\nmake run                      # the warehouse the catalog describes\n"
        "cd dbt_project && uv run dbt docs generate && uv run dbt docs serve --host 127.0.0.1\n"
        "```\n\nThen `make site` again copies `dbt_project/target/index.html`, `manifest.json` "
        "and `catalog.json` here.\n"
    )


def api_page(out: Path) -> str:
    """A static reference of the read API from its OpenAPI schema (no Swagger UI, no script)."""
    from serving.server import create_app
    from serving.store import PublishedStore

    schema = create_app(PublishedStore(out / "no-such-file.duckdb")).openapi()
    (out / "api").mkdir(exist_ok=True)
    (out / "api" / "openapi.json").write_text(json.dumps(schema, indent=2, sort_keys=True))
    return api_reference(schema)


def _type(schema: dict) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f'<a href="#schema-{slug(name)}">{html.escape(name)}</a>'
    if "anyOf" in schema:
        return " | ".join(_type(s) for s in schema["anyOf"])
    if schema.get("type") == "array":
        return f"array of {_type(schema.get('items', {}))}"
    kind = schema.get("type", "any")
    return html.escape(f"{kind} ({schema['format']})" if "format" in schema else kind)


def api_reference(schema: dict) -> str:
    info = schema.get("info", {})
    parts = [
        f"<h1>{html.escape(info.get('title', 'API'))} {html.escape(str(info.get('version', '')))}</h1>",
        f"<p>{html.escape(info.get('summary', ''))}</p>",
        "<p>Served by <code>make serve</code> on http://127.0.0.1:8000 (interactive docs at "
        "<code>/docs</code>, bundled offline). This page is rendered from the same OpenAPI "
        'schema: <a href="openapi.json">openapi.json</a>.</p>',
    ]
    for path, methods in sorted(schema.get("paths", {}).items()):
        for method, operation in methods.items():
            parts.append(
                f'<h2 id="{slug(method + " " + path)}"><code>{method.upper()} {html.escape(path)}</code></h2>'
            )
            for key in ("summary", "description"):
                if operation.get(key):
                    parts.append(markdown(operation[key]))
            params = operation.get("parameters", [])
            if params:
                parts.append(
                    "<table><tr><th>parameter</th><th>in</th><th>type</th><th>required</th></tr>"
                )
                for p in params:
                    parts.append(
                        f"<tr><td><code>{html.escape(p['name'])}</code></td><td>{p.get('in', '')}</td>"
                        f"<td>{_type(p.get('schema', {}))}</td><td>{'yes' if p.get('required') else 'no'}</td></tr>"
                    )
                parts.append("</table>")
            responses = operation.get("responses", {})
            if responses:
                parts.append("<table><tr><th>status</th><th>meaning</th><th>body</th></tr>")
                for status, response in responses.items():
                    body = response.get("content", {}).get("application/json", {}).get("schema", {})
                    parts.append(
                        f"<tr><td>{status}</td><td>{html.escape(response.get('description', ''))}</td>"
                        f"<td>{_type(body) if body else ''}</td></tr>"
                    )
                parts.append("</table>")
    schemas = schema.get("components", {}).get("schemas", {})
    if schemas:
        parts.append("<h2>Schemas</h2>")
    for name, definition in sorted(schemas.items()):
        parts.append(f'<h3 id="schema-{slug(name)}">{html.escape(name)}</h3>')
        if definition.get("description"):
            parts.append(markdown(definition["description"]))
        properties = definition.get("properties", {})
        if properties:
            required = set(definition.get("required", []))
            parts.append("<table><tr><th>field</th><th>type</th><th>required</th></tr>")
            for field, spec in properties.items():
                parts.append(
                    f"<tr><td><code>{html.escape(field)}</code></td><td>{_type(spec)}</td>"
                    f"<td>{'yes' if field in required else 'no'}</td></tr>"
                )
            parts.append("</table>")
    return "\n".join(parts)


def trainer_chapter(path: Path, title: str, times: dict[str, str], notes: Path | None) -> str:
    exercise = ROOT / "exercises" / path.name
    rows = exercises_of(exercise) if exercise.exists() else []
    minutes = [m for _, m in rows if m]
    lines = [
        f"# Facilitator notes: {title}",
        "",
        f"Chapter: [{path.name}](../../../notebooks/{path.name}) · exercises: "
        f"[exercises/{path.name}](../../../exercises/{path.name}) · solutions: "
        f"[solutions/{path.name}](../../../solutions/{path.name}) (trainers only)",
        "",
        "## Timing",
        "",
        f"- Reading: **{reading_minutes(path) or '?'} min** (the chapter's own estimate).",
        f"- The notebook executes in **{times.get(f'notebooks/{path.name}', 'n/a')}** with its "
        "checkpoint cached (measured by the last test run: README's chapter table).",
    ]
    for heading, minute in rows:
        lines.append(f"- {heading}: " + (f"**{minute} min**" if minute else "time not stated yet"))
    if minutes:
        lines.append(f"- Exercises in total: **{sum(minutes)} min** (stated in their headings).")
    goals = learning_goals(path)
    if goals:
        lines += ["", "## Goals (from the chapter)", "", goals.rstrip()]
    text = "\n".join(lines) + "\n"
    if notes and notes.exists():
        text += "\n" + re.sub(r"^# .*\n", "", notes.read_text(), count=1)
    return text


def trainer_capstone(exercise: Path, notes: Path) -> str:
    """Facilitator notes for the capstone (an exercise notebook with no chapter): its steps'
    stated times, then ``notes``."""
    rows = exercises_of(exercise)
    lines = [
        "# Facilitator notes: the capstone",
        "",
        f"Brief and steps: [exercises/{exercise.name}](../../../exercises/{exercise.name}) · "
        f"reference solution: [solutions/{exercise.name}](../../../solutions/{exercise.name}) "
        "(trainers only)",
        "",
        "## Timing",
        "",
    ]
    for heading, minute in rows:
        lines.append(f"- {heading}: " + (f"**{minute} min**" if minute else "time not stated yet"))
    minutes = [m for _, m in rows if m]
    if minutes:
        lines.append(f"- In total: **{sum(minutes)} min** (stated in the step headings).")
    text = "\n".join(lines) + "\n"
    if notes.exists():
        text += "\n" + re.sub(r"^# .*\n", "", notes.read_text(), count=1)
    return text


def build(out: Path) -> list[Page]:
    from jinja2 import Template

    started = time.perf_counter()
    if out.exists():
        shutil.rmtree(out)
    (out / "assets").mkdir(parents=True)
    shutil.copy2(ASSETS / "style.css", out / "assets" / "style.css")
    # images a chapter's markdown embeds by a relative path (chapter 05's Dagster UI tour)
    if (ROOT / "notebooks" / "images").is_dir():
        shutil.copytree(ROOT / "notebooks" / "images", out / "chapters" / "images")
    template = Template((ASSETS / "page.html.j2").read_text())
    glossary_text = (DOCS / "glossary.md").read_text()
    terms = glossary_terms(glossary_text)
    times = chapter_times()

    pages: list[Page] = []
    sources: dict[str, str] = {}

    def add(page: Page) -> Page:
        pages.append(page)
        if page.source:
            sources[page.source] = page.path
        return page

    rendered_chapters = []
    for folder, section in (
        ("notebooks", "Chapters"),
        ("exercises", "Exercises"),
        ("solutions", ""),
    ):
        for path in sorted(p for p in (ROOT / folder).glob("*.ipynb") if NOTEBOOK.match(p.name)):
            linker = GlossaryLinker(terms, relative(f"{folder}/x.html", "glossary.html"))
            title, body = notebook_html(path, linker if folder != "solutions" else None)
            site_folder = {"notebooks": "chapters"}.get(folder, folder)
            page_section = section
            if section == "Exercises" and not (ROOT / "notebooks" / path.name).exists():
                title, page_section = "Capstone", "Capstone"  # exercises with no chapter
            if folder == "solutions":
                title = f"Solutions {title}"
                body = (
                    '<p class="solutions-banner">Solutions: for trainers and for checking your own '
                    "answer after trying. Not in the learner's navigation.</p>" + body
                )
            page = add(
                Page(
                    f"{site_folder}/{path.stem}.html",
                    title,
                    body,
                    f"{folder}/{path.name}",
                    page_section,
                )
            )
            if folder == "notebooks":
                rendered_chapters.append((path, page))

    add(Page("index.html", "Home", home_page(rendered_chapters, times), "README.md"))
    glossary_body = markdown(
        re.sub(
            r"^###\s+(.+)$",
            lambda m: f'<h3 id="{anchor(m.group(1))}">{html.escape(m.group(1))}</h3>\n',
            glossary_text,
            flags=re.MULTILINE,
        )
    )
    add(Page("glossary.html", "Glossary", glossary_body, "docs/glossary.md"))
    trainer = DOCS / "trainer"
    add(
        Page(
            "trainer/index.html",
            "Trainer's guide",
            markdown((trainer / "guide.md").read_text()),
            "docs/trainer/guide.md",
        )
    )
    add(
        Page(
            "trainer/sessions.html",
            "Session plans",
            markdown((trainer / "sessions.md").read_text()),
            "docs/trainer/sessions.md",
        )
    )
    for path, chapter in rendered_chapters:
        notes = trainer / "chapters" / f"{path.stem}.md"
        text = trainer_chapter(path, chapter.title, times, notes)
        add(
            Page(
                f"trainer/{path.stem}.html",
                f"Notes {path.name[:2]}",
                markdown(text),
                f"docs/trainer/chapters/{path.stem}.md",
            )
        )
    for path in sorted((ROOT / "exercises").glob("*.ipynb")):
        if NOTEBOOK.match(path.name) and not (ROOT / "notebooks" / path.name).exists():
            add(  # the capstone: notes for an exercise notebook without a chapter
                Page(
                    f"trainer/{path.stem}.html",
                    f"Notes {path.name[:2]}",
                    markdown(trainer_capstone(path, trainer / "chapters" / f"{path.stem}.md")),
                    f"docs/trainer/chapters/{path.stem}.md",
                )
            )
    add(Page("api/index.html", "Read API", api_page(out)))
    add(Page("dbt-docs.html", "dbt docs", dbt_docs_page(out), ""))

    for page in pages:
        page.body = rewrite_links(page, sources)
        target = out / page.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(page, pages, template))
    seconds = time.perf_counter() - started
    print(f"site: {len(pages)} pages in {out} ({seconds:.1f} s)")
    return pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "site")
    args = parser.parse_args(argv)
    os.environ.setdefault("PYTHONHASHSEED", "0")
    build(args.out.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
