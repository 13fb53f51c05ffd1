"""What has landed in the event drop zone (read by the file sensor and the events asset)."""

from __future__ import annotations

from sproutly import paths


def landed_files() -> dict[str, list[str]]:
    """Event files per drop-date partition: ``{"2026-03-01": ["events-000.jsonl", ...]}``."""
    root = paths.landing_dir() / "events"
    if not root.exists():
        return {}
    return {
        folder.name.removeprefix("date="): sorted(f.name for f in folder.glob("*.jsonl"))
        for folder in sorted(root.glob("date=*"))
    }
