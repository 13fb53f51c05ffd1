"""What has landed in the event drop zone (read by the file sensor and the events asset).

The loader's own listing (:func:`ingestion.sources.events.scan`) decides what an event file is, so
the sensor never requests a partition the loader would not load (a folder ``date=2026-13-45`` is
reported by the loader as unrecognised, not turned into a partition key).
"""

from __future__ import annotations

from ingestion.sources.events import scan
from sproutly import paths


def landed_files() -> dict[str, list[str]]:
    """Event files per drop-date partition: ``{"2026-03-01": ["events-000.jsonl", ...]}``."""
    landed: dict[str, list[str]] = {}
    for file in scan(paths.landing_dir()).files:
        landed.setdefault(file.partition.isoformat(), []).append(file.path.name)
    return landed
