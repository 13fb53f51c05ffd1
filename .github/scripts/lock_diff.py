"""Print, as Markdown, the packages whose version differs between two uv.lock files.

Used by the weekly CI job: ``python lock_diff.py OLD_LOCK NEW_LOCK``. Standard library only.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path


def versions(lock: Path) -> dict[str, str]:
    """package name -> version, from a uv.lock file."""
    data = tomllib.loads(lock.read_text())
    return {p["name"]: p.get("version", "?") for p in data.get("package", [])}


def diff(old: dict[str, str], new: dict[str, str]) -> list[str]:
    rows = []
    for name in sorted(old.keys() | new.keys()):
        before, after = old.get(name, "-"), new.get(name, "-")
        if before != after:
            rows.append(f"| {name} | {before} | {after} |")
    return rows


def main(argv: list[str]) -> int:
    old, new = versions(Path(argv[1])), versions(Path(argv[2]))
    rows = diff(old, new)
    print(f"### Newest allowed versions: {len(rows)} package(s) changed\n")
    if rows:
        print("| package | locked | newest |\n|---|---|---|")
        print("\n".join(rows))
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
