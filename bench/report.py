"""The results table: console text, ``results.md`` and ``results.json``.

One row per :class:`bench.figures.Figure`, its target beside it and a pass/miss column. The
markdown file is what the issue's closing note quotes; the JSON file keeps every sample too.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.figures import Figure

COLUMNS = ("section", "figure", "scale", "value", "target", "result", "runs", "note")


def format_value(value: float | None, unit: str) -> str:
    """A value with its unit, rounded for reading (``12.3 s``, ``1.42x``, ``950,000 rows/s``)."""
    if value is None:
        return "—"
    if unit == "x":
        return f"{value:.2f}x"
    if unit == "ms":
        return f"{value:.2f} ms"
    if unit in ("rows/s", "rows", "events"):
        return f"{value:,.0f} {unit}"
    if unit == "MB":
        return f"{value:,.0f} MB"
    if unit in ("s", "%"):
        return f"{value:.1f} {unit}"
    return f"{value:g} {unit}".strip()


def format_scale(scale: float | None) -> str:
    return "—" if scale is None else f"{scale:g}"


def rows(figures: Sequence[Figure]) -> list[tuple[str, ...]]:
    """The table's cells, one tuple per figure, in :data:`COLUMNS` order."""
    return [
        (
            f.section,
            f.label,
            format_scale(f.scale),
            format_value(f.value, f.unit),
            f.target.text() if f.target else "—",
            f.verdict,
            str(f.runs),
            f.note,
        )
        for f in figures
    ]


def text_table(figures: Sequence[Figure]) -> str:
    """A fixed-width table for the terminal."""
    cells = [COLUMNS, *rows(figures)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(COLUMNS) - 1)]
    lines = []
    for index, row in enumerate(cells):
        left = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
        lines.append(f"{left}  {row[-1]}".rstrip())
        if index == 0:
            lines.append("-" * len(lines[0]))
    return "\n".join(lines)


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(figures: Sequence[Figure], context: dict[str, Any] | None = None) -> str:
    """``results.md``: a heading, the run's context as a list, then the table and a tally."""
    out = ["# `make bench` results", ""]
    for key, value in (context or {}).items():
        out.append(f"- {key}: {value}")
    if context:
        out.append("")
    out.append("| " + " | ".join(COLUMNS) + " |")
    out.append("|" + "---|" * len(COLUMNS))
    for row in rows(figures):
        out.append("| " + " | ".join(_md_cell(cell) for cell in row) + " |")
    tally = summary(figures)
    out += ["", "Result: " + ", ".join(f"{n} {k}" for k, n in tally.items() if n), ""]
    return "\n".join(out)


def summary(figures: Sequence[Figure]) -> dict[str, int]:
    """How many figures passed, missed, were informative only, or failed to measure."""
    tally = {"pass": 0, "miss": 0, "info": 0, "error": 0}
    for figure in figures:
        tally[figure.verdict] += 1
    return tally


def as_json(figures: Sequence[Figure], context: dict[str, Any] | None = None) -> str:
    """``results.json``: the context, the tally and every figure with its samples."""
    document = {
        "context": context or {},
        "summary": summary(figures),
        "figures": [figure.as_dict() for figure in figures],
    }
    return json.dumps(document, indent=2, sort_keys=False) + "\n"


def write(figures: Sequence[Figure], folder: Path, context: dict[str, Any] | None = None) -> None:
    """Write ``results.md`` and ``results.json`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.md").write_text(markdown(figures, context), encoding="utf-8")
    (folder / "results.json").write_text(as_json(figures, context), encoding="utf-8")


def load(path: Path) -> list[Figure]:
    """Read the figures back from a ``results.json`` (the inverse of :func:`as_json`)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    figures = []
    for row in document["figures"]:
        fields = {k: v for k, v in row.items() if k not in ("target", "verdict")}
        figures.append(Figure(**fields))
    return figures
