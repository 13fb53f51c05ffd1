"""Combine the results of several bench invocations into one table.

    python -m bench.merge bench/results.json /tmp/nb/results.json --out bench

Sections can run as separate invocations (``python -m bench --only notebooks --out /tmp/nb``),
for instance side by side when the whole run would take too long. The merged table keeps every
figure of the first file, replaces or adds the figures of the later files (same section, label
and scale: the later file wins), and lists each file's command in the context, so the reader
sees that the figures come from different invocations.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bench import report
from bench.figures import Figure


def _identity(figure: Figure) -> tuple[str, str, float | None]:
    return figure.section, figure.label, figure.scale


def merge(groups: list[list[Figure]]) -> list[Figure]:
    """Figures of every group, in first-seen order; a later group's figure replaces an earlier one."""
    merged: dict[tuple[str, str, float | None], Figure] = {}
    for figures in groups:
        for figure in figures:
            merged[_identity(figure)] = figure
    return list(merged.values())


def merged_context(contexts: list[dict[str, Any]]) -> dict[str, Any]:
    """The first file's context, plus one line per later invocation (its command and date)."""
    context = dict(contexts[0]) if contexts else {}
    for number, other in enumerate(contexts[1:], start=2):
        context[f"invocation {number}"] = (
            f"{other.get('command', '?')} ({other.get('date (UTC)', '?')}, "
            f"{other.get('duration', '?')})"
        )
    return context


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.merge", description=__doc__)
    parser.add_argument("results", nargs="+", type=Path, help="results.json files, in order")
    parser.add_argument("--out", type=Path, required=True, help="folder for the merged files")
    args = parser.parse_args(argv)
    documents = [json.loads(path.read_text(encoding="utf-8")) for path in args.results]
    figures = merge([report.load(path) for path in args.results])
    report.write(figures, args.out, merged_context([d.get("context", {}) for d in documents]))
    print(report.text_table(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
