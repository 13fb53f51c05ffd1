"""The injected clock. The pipeline never reads the wall clock.

"Now" is, in order of precedence:
1. ``$SPROUTLY_NOW`` (ISO-8601, UTC), for tests and drills;
2. the simulated product's clock file (``<data>/clock.json``), written by ``microproduct``
   every time it advances a day;
3. otherwise an error: a run without a clock is a set-up mistake, not a reason to use real time.

All values are naive ``datetime`` objects meaning UTC.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sproutly import paths
from sproutly.settings import settings


class ClockNotSet(RuntimeError):
    pass


def parse_utc(value: str) -> datetime:
    """Parse ISO-8601; aware values are converted to UTC, naive ones are taken as UTC."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def read_clock_file(path: Path | None = None) -> dict:
    path = path or paths.clock_path()
    return json.loads(path.read_text())


def write_clock_file(now: datetime, path: Path | None = None, **extra) -> None:
    """Atomically record the simulated "now" (and any extra facts, e.g. seed/scale/day)."""
    path = path or paths.clock_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"now": now.isoformat(sep=" "), **extra}, sort_keys=True, indent=2))
    tmp.replace(path)


def now() -> datetime:
    """The simulated current time (naive UTC)."""
    if value := settings().sproutly_now:
        return parse_utc(value)
    path = paths.clock_path()
    if not path.exists():
        raise ClockNotSet(
            f"No simulated clock at {path}. Generate the sources first "
            "(`uv run python -m microproduct init`) or set SPROUTLY_NOW."
        )
    return parse_utc(read_clock_file(path)["now"])
