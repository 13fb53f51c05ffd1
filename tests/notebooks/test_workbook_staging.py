"""Chapter 02's freshness what-ifs (``workbook.ch02_staging.freshness``)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from sproutly import clock
from workbook.ch02_staging import freshness


def test_a_moved_clock_parses_in_a_folder_of_its_own(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New ``--vars`` make dbt re-parse the whole project and keep that parse in its target
    folder: a what-if clock must not leave it in the folder the chapter's next ``dbt build``
    uses (that build would re-parse everything again), and "now" itself needs no var."""
    clock.write_clock_file(datetime(2026, 5, 3), data_dir / "clock.json")
    calls: list[tuple[tuple[str, ...], dict | None, Path | None]] = []
    monkeypatch.setattr(
        "sproutly.dbt.dbt",
        lambda *args, vars=None, target_path=None: calls.append((args, vars, target_path)),
    )
    monkeypatch.setattr(freshness, "freshness_table", lambda target_path=None: target_path)
    assert freshness.freshness_at(0) is None
    assert freshness.freshness_at(12) == data_dir / "dbt_target_what_if"
    assert [(vars, path) for _, vars, path in calls] == [
        (None, None),
        ({"sproutly_now": "2026-05-03 12:00:00"}, data_dir / "dbt_target_what_if"),
    ]
    assert {args[:2] for args, _, _ in calls} == {("source", "freshness")}
