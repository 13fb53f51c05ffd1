"""Environment variables set for one block of code, then restored.

Every package reads its configuration from the environment (paths, the simulated now, dbt's
target folder, secrets), so "run this with another setting" is one context manager, used by
``sproutly.dbt`` (each dbt call), the exercise sandboxes and the chapters' probes::

    from sproutly.env import temporarily
    with temporarily({"SPROUTLY_NOW": "2026-05-04 00:00:00", "SERVING_MAX_LAG_DAYS": None}):
        ...  # SPROUTLY_NOW is set, SERVING_MAX_LAG_DAYS is unset; both restored afterwards
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager


@contextmanager
def temporarily(values: Mapping[str, str | None]) -> Iterator[None]:
    """Set each variable of ``values`` (``None`` unsets it) for the block; on exit, even on an
    error, every one of them is back to what it was (set to its old value, or unset)."""
    saved = {name: os.environ.get(name) for name in values}
    try:
        _apply(values)
        yield
    finally:
        _apply(saved)


def _apply(values: Mapping[str, str | None]) -> None:
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
