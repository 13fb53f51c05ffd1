"""Refresh every "time to execute" a reader is told from the last measured runs.

``make nbval`` (part of ``make test``) records each notebook's wall time — kernel start plus every
cell, checkpoint restore included — in ``test-artifacts/notebook-times/``. This script writes
those measurements into README.md's chapter table and into each chapter's "**Time**" line, so both
quote the test run instead of anyone's memory. ``make run`` and ``make test`` record their own
wall time in ``test-artifacts/make-run.json`` / ``make-test.json``, which go into the README's
sentence on how long they take:

    uv run python tools/chapter_times.py [--from <folder with notebook-times>] [--check]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
NOTEBOOK_TIME = re.compile(r"the notebook executes in about .*\Z", re.DOTALL)
ROW = re.compile(
    r"^\| (?P<nn>\d\d) \| \[(?P<title>[^\]]+)\]\((?P<link>notebooks/[^)]+)\) \|(?P<rest>.*)$"
)


def measured(folder: Path) -> dict[str, float]:
    """``notebooks/NN_x.ipynb -> seconds`` for every chapter the test run recorded."""
    times = {}
    for path in sorted(folder.glob("notebooks-*.json")):
        record = json.loads(path.read_text())
        times[record["notebook"]] = record["seconds"]
    return times


def refresh(text: str, times: dict[str, float]) -> str:
    """README text with each chapter row's last column set to its measured time."""
    lines = []
    for line in text.splitlines():
        match = ROW.match(line)
        if match and match["link"] in times:
            cells = line.rstrip("|").split("|")
            cells[-1] = f" {times[match['link']]:.0f} s "
            line = "|".join(cells) + "|"
        lines.append(line)
    return "\n".join(lines) + ("\n" if text.endswith("\n") else "")


#: The README's sentence on how long the two commands take (written by :func:`refresh_commands`).
COMMANDS = re.compile(
    r"first `make run` took (?P<run>[^`]+?) after set-up and `make test` (?P<test>.+?), set-up included"
)


def duration(seconds: float) -> str:
    """``39 s`` or ``27 min 1 s``."""
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def refresh_commands(text: str, folder: Path) -> str:
    """README text with the measured wall times of ``make run`` / ``make test`` (the JSON files
    those targets write in ``folder``'s parent, ``test-artifacts/``), where measured."""
    match = COMMANDS.search(text)
    if match is None:
        raise SystemExit("README.md: no sentence 'first `make run` took ... and `make test` ...'")
    found = {}
    for command in ("run", "test"):
        record = folder.parent / f"make-{command}.json"
        if record.exists():
            found[command] = duration(json.loads(record.read_text())["seconds"])
    run, test = found.get("run", match["run"]), found.get("test", match["test"])
    sentence = f"first `make run` took {run} after set-up and `make test` {test}, set-up included"
    return text[: match.start()] + sentence + text[match.end() :]


def time_sentence(seconds: float) -> str:
    """The generated end of a chapter's "**Time**" line."""
    return (
        f"the notebook executes in about {seconds:.0f} s with its checkpoint cached (measured by"
        " the last test run; the first run builds the checkpoint and takes longer)."
    )


def refresh_notebook(path: Path, seconds: float, *, write: bool) -> bool:
    """Set the chapter's "**Time**" line to the measured time; True if it changed."""
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        source = cell.source
        if cell.cell_type != "markdown" or "**Time**" not in source:
            continue
        if not NOTEBOOK_TIME.search(source):
            raise SystemExit(f"{path}: its **Time** line has no 'the notebook executes in about'")
        new = NOTEBOOK_TIME.sub(time_sentence(seconds), source)
        if new == source:
            return False
        if write:
            cell.source = new
            nbformat.write(notebook, path)
        return True
    raise SystemExit(f"{path}: no **Time** line in a markdown cell")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--from", dest="source", type=Path, default=ROOT / "test-artifacts" / "notebook-times"
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if README would change")
    args = parser.parse_args(argv)
    times = measured(args.source)
    if not times:
        print(f"no measurements in {args.source}: run `make nbval` first", file=sys.stderr)
        return 2
    text = README.read_text()
    new = refresh_commands(refresh(text, times), args.source)
    chapters = [ROOT / notebook for notebook in times if notebook.startswith("notebooks/")]
    changed = [
        p
        for p in chapters
        if refresh_notebook(p, times[str(p.relative_to(ROOT))], write=not args.check)
    ]
    if args.check:
        return int(new != text or bool(changed))
    README.write_text(new)
    for notebook, seconds in sorted(times.items()):
        print(f"{notebook:45} {seconds:6.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
