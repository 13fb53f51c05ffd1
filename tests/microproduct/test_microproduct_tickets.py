"""The support-ticket export (``microproduct.tickets``): the capstone's source.

It has its own random stream, so switching it off leaves every other file the simulator writes
byte-identical; it is deterministic and resumable like the rest; it carries the defects the
capstone's loader must handle (re-sent rows, day-first timestamps, unknown users, late updates).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

import pytest

from microproduct import Simulation, tickets


def _digest(root: Path, *, support: bool) -> str:
    """One hash over the files under ``root``: the support feed only, or everything else."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if ("support" in path.relative_to(root).parts) == support:
            digest.update(path.relative_to(root).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()


def _world(folder: Path, days: int = 30) -> Simulation:
    sim = Simulation(folder, seed=11, scale=0.3, progress=False)
    sim.init(days=days)
    return sim


@pytest.fixture(scope="module")
def feed(tmp_path_factory) -> tuple[Simulation, list[dict], list[str]]:
    sim = _world(tmp_path_factory.mktemp("tickets"), days=60)
    lines = [
        line
        for path in sorted(sim.paths.support.glob("date=*/tickets-*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    return sim, [json.loads(line) for line in lines], lines


def test_the_other_sources_are_byte_identical_without_the_feed(tmp_path, monkeypatch):
    with_feed = _world(tmp_path / "with")
    monkeypatch.setattr(tickets, "drop_day", lambda *args, **kwargs: None)
    without = _world(tmp_path / "without")
    assert not list(without.paths.support.rglob("*.jsonl"))
    assert list(with_feed.paths.support.rglob("*.jsonl"))
    assert _digest(with_feed.paths.data_dir, support=False) == _digest(
        without.paths.data_dir, support=False
    )


def test_deterministic_and_resumable(tmp_path):
    whole = _world(tmp_path / "whole", days=12)
    resumed = Simulation(tmp_path / "resumed", seed=11, scale=0.3, progress=False)
    resumed.init(days=9)
    resumed.advance(days=3)
    assert _digest(whole.paths.data_dir, support=True) == _digest(
        resumed.paths.data_dir, support=True
    )


def test_one_file_per_day_with_a_fixed_schema(feed):
    sim, records, _ = feed
    assert len(list(sim.paths.support.glob("date=*/tickets-000.jsonl"))) == sim.day
    keys = {
        "channel",
        "closed_at",
        "first_response_at",
        "opened_at",
        "priority",
        "status",
        "ticket_id",
        "updated_at",
        "user_id",
    }
    assert all(set(record) == keys for record in records)
    assert {r["status"] for r in records} == {"open", "pending", "closed"}
    assert {r["priority"] for r in records} <= set(tickets.PRIORITIES)
    assert {r["channel"] for r in records} <= set(tickets.CHANNELS)


def test_the_export_has_the_defects_of_real_ones(feed):
    sim, records, lines = feed
    assert len(lines) - len(set(lines)) >= 1  # a row re-sent in the same file
    day_first = [r for r in records if "/" in r["opened_at"]]
    assert day_first  # opened_at written 05/01/2026 09:12
    for record in day_first:
        with pytest.raises(ValueError):
            datetime.fromisoformat(record["opened_at"])
    unknown = {r["user_id"] for r in records if r["user_id"] >= tickets.UNKNOWN_USER_BASE}
    assert unknown  # tickets of users the app never had
    versions: dict[str, set[str]] = {}
    for path in sorted(sim.paths.support.glob("date=*/tickets-*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            versions.setdefault(json.loads(line)["ticket_id"], set()).add(path.parent.name)
    assert any(len(days) > 1 for days in versions.values())  # late updates of older tickets


def test_a_later_version_is_a_later_state_of_the_same_ticket(feed):
    _, records, _ = feed
    clean = [r for r in records if "/" not in r["opened_at"]]
    by_ticket: dict[str, list[dict]] = {}
    for record in clean:
        by_ticket.setdefault(record["ticket_id"], []).append(record)
    rank = {"open": 0, "pending": 1, "closed": 2}
    for versions in by_ticket.values():
        versions.sort(key=lambda r: r["updated_at"])
        assert [rank[v["status"]] for v in versions] == sorted(rank[v["status"]] for v in versions)
        assert len({(v["user_id"], v["opened_at"]) for v in versions}) == 1
        last = versions[-1]
        assert last["opened_at"] <= (last["first_response_at"] or last["updated_at"])
        if last["status"] == "closed":
            assert last["closed_at"] == last["updated_at"] >= last["first_response_at"]
