"""tools/glossary_links.py: each glossary term linked once, in the chapter where it first appears."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from tools import glossary_links

GLOSSARY = """# Glossary
### MRR / monthly recurring revenue
text
### grain
text
### dev and prod / target
text
### cursor / high-water mark
text
"""


def _chapter(path: Path, *markdown: str) -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell(m) for m in markdown]
    notebook.cells.append(nbformat.v4.new_code_cell("grain = 'MRR'"))
    nbformat.write(notebook, path)
    return path


def test_first_appearance_linked_once_outside_code_headings_and_links(tmp_path: Path) -> None:
    terms = glossary_links.glossary_terms(GLOSSARY)
    assert [t.anchor for t in terms] == [
        "mrr--monthly-recurring-revenue",
        "grain",
        "dev-and-prod--target",
        "cursor--high-water-mark",
    ]
    first = _chapter(
        tmp_path / "00_a.ipynb",
        "## What MRR means\n**Time** about MRR",
        "Use `grain` and [MRR](x.md); the API's cursor pagination; each target of the bench.\n"
        "```\nMRR\n```\nMRR grows; MRR again; mrr is not the acronym.",
    )
    second = _chapter(
        tmp_path / "01_b.ipynb", "The grain of a table, its MRR and the dev and prod targets."
    )
    changed = glossary_links.link_chapters([first, second], terms)
    a = changed[first].cells[1].source
    assert a.count("](../docs/glossary.md#mrr--monthly-recurring-revenue)") == 1
    assert "\nMRR\n" in a and "[MRR](x.md)" in a and "`grain`" in a  # code and links untouched
    assert "[MRR](../docs/glossary.md#mrr--monthly-recurring-revenue) grows; MRR again" in a
    assert "cursor pagination" in a and "each target of" in a  # other senses stay plain
    assert changed[first].cells[0].source == "## What MRR means\n**Time** about MRR"
    b = changed[second].cells[0].source
    assert b == (
        "The [grain](../docs/glossary.md#grain) of a table, its MRR and the "
        "[dev and prod](../docs/glossary.md#dev-and-prod--target) targets."
    ), "MRR was introduced in the earlier chapter"
    for path, notebook in changed.items():
        nbformat.write(notebook, path)
    assert glossary_links.link_chapters([first, second], terms) == {}  # idempotent


def test_check_fails_when_a_chapter_lacks_its_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "glossary.md").write_text(GLOSSARY)
    chapters = tmp_path / "notebooks"
    chapters.mkdir()
    _chapter(chapters / "00_a.ipynb", "Every row has a grain.")
    monkeypatch.setattr(glossary_links, "GLOSSARY", tmp_path / "glossary.md")
    monkeypatch.setattr(glossary_links, "CHAPTERS", chapters)
    monkeypatch.setattr(glossary_links, "ROOT", tmp_path)
    assert glossary_links.main(["--check"]) == 1
    assert glossary_links.main([]) == 0
    assert glossary_links.main(["--check"]) == 0


def test_the_chapters_link_their_terms() -> None:
    assert glossary_links.main(["--check"]) == 0
