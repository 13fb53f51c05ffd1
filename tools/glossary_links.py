"""Link every glossary term from the chapter where it first appears.

``docs/glossary.md`` defines the course's words (``### name / other name`` headings). This tool
walks the chapters in order (``notebooks/NN_*.ipynb``) and, for each term, turns its first
appearance in a chapter's prose into a link to its entry (``../docs/glossary.md#anchor``, which
GitHub, JupyterLab and the course site all follow). Headings, code and existing links are left
alone; a term already linked anywhere earlier counts as introduced. Running it again changes
nothing; ``--check`` (in ``make lint``) fails when a chapter lacks a link it should have:

    uv run python tools/glossary_links.py [--check]
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "docs" / "glossary.md"
CHAPTERS = ROOT / "notebooks"
HREF = "../docs/glossary.md"


@dataclass(frozen=True)
class Term:
    names: tuple[str, ...]
    anchor: str


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading (the course site uses the same ids)."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def glossary_terms(text: str) -> list[Term]:
    """Every ``### name / other name`` heading of the glossary, in order."""
    return [
        Term(tuple(n.strip() for n in heading.split("/") if n.strip()), anchor(heading))
        for heading in re.findall(r"^###\s+(.+)$", text, re.MULTILINE)
    ]


#: Other names too common in another sense to link on their own ("each target and its source",
#: "find a fact"), and senses a name must not be followed by (an API's cursor pagination is not
#: the loader's cursor).
UNLINKED_NAMES = {"target", "fact", "movements"}
NOT_FOLLOWED_BY = {"cursor": " pagination"}


def term_pattern(name: str) -> re.Pattern[str]:
    """A term as a whole word (plural allowed); acronyms (MRR, SLO, WAP) match case-sensitively."""
    flags = 0 if name.isupper() else re.IGNORECASE
    after = f"(?!{re.escape(NOT_FOLLOWED_BY[name])})" if name in NOT_FOLLOWED_BY else ""
    return re.compile(rf"(?<![\w-])({re.escape(name)}(?:s|es)?)(?![\w-]){after}", flags)


#: Spans never linked inside: code fences, inline code, links and images, raw HTML tags.
_PROTECTED = re.compile(r"```.*?```|`[^`\n]*`|!?\[[^\]]*\]\([^)]*\)|<[^>\n]+>", re.DOTALL)


def _link_line(line: str, pending: list[Term], patterns: dict[str, list[re.Pattern]]) -> str:
    """``line`` with the first appearance of each pending term linked (pending shrinks)."""
    out, last = [], 0
    for protected in [*_PROTECTED.finditer(line), None]:
        end = protected.start() if protected else len(line)
        text = line[last:end]
        for term in list(pending):
            for pattern in patterns[term.anchor]:
                match = pattern.search(text)
                if match:
                    link = f"[{match.group(1)}]({HREF}#{term.anchor})"
                    text = text[: match.start()] + link + text[match.end() :]
                    pending.remove(term)
                    break
        out.append(text)
        if protected:
            out.append(protected.group(0))
            last = protected.end()
    return "".join(out)


def link_source(source: str, pending: list[Term], patterns: dict[str, list[re.Pattern]]) -> str:
    """A markdown cell's source with its first appearances linked; headings and fences skipped."""
    for term in list(pending):  # already linked here by hand or by an earlier run
        if f"({HREF}#{term.anchor})" in source:
            pending.remove(term)
    lines, fenced = [], False
    for line in source.split("\n"):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if fenced or line.lstrip().startswith(("#", "```", "|")) or "**Time**" in line:
            lines.append(line)  # headings, code, tables and the measured-time line stay as written
        else:
            lines.append(_link_line(line, pending, patterns))
    return "\n".join(lines)


def link_chapters(chapters: list[Path], terms: list[Term]) -> dict[Path, nbformat.NotebookNode]:
    """Every chapter whose markdown gains a link, with its new content."""
    pending = list(terms)
    patterns = {
        t.anchor: [term_pattern(n) for n in t.names if n not in UNLINKED_NAMES] for t in terms
    }
    changed = {}
    for path in chapters:
        notebook = nbformat.read(path, as_version=4)
        touched = False
        for cell in notebook.cells:
            if cell.cell_type != "markdown" or not pending:
                continue
            new = link_source(cell.source, pending, patterns)
            if new != cell.source:
                cell.source, touched = new, True
        if touched:
            changed[path] = notebook
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a chapter would change")
    args = parser.parse_args(argv)
    terms = glossary_terms(GLOSSARY.read_text())
    changed = link_chapters(sorted(CHAPTERS.glob("[0-9][0-9]_*.ipynb")), terms)
    for path, notebook in changed.items():
        name = path.relative_to(ROOT)
        if args.check:
            print(f"{name}: glossary terms not linked: run `python tools/glossary_links.py`")
        else:
            nbformat.write(notebook, path)
            print(f"{name}: glossary links added")
    return int(args.check and bool(changed))


if __name__ == "__main__":
    sys.exit(main())
