"""The support desk's daily ticket export: one JSONL file per day, the capstone's source.

Layout: ``landing/support/date=YYYY-MM-DD/tickets-000.jsonl``. A day's file holds every ticket that
*changed* that day (UTC), in the state it had at the end of the day: a ticket opened on Monday and
closed on Thursday is in Monday's file (``open`` or ``pending``) and again in Thursday's
(``closed``, a later ``updated_at``). Keys, sorted: ``channel``, ``closed_at``,
``first_response_at``, ``opened_at``, ``priority``, ``status``, ``ticket_id``, ``updated_at``,
``user_id``; timestamps ``YYYY-MM-DDTHH:MM:SSZ`` (UTC), ``null`` when it has not happened yet.

The export has the defects real ones have (always on, drawn from the day's ticket stream):

- ``resent``: a row sent twice in the same file (identical lines);
- ``bad_timestamp``: a row whose ``opened_at`` is written day-first (``05/01/2026 09:12``);
- ``unknown_user``: a ticket of a ``user_id`` the app has never had (a support agent's test);
- late updates: an older ticket's new state arrives in the file of the day it changed.

Determinism: day ``d`` draws only from ``SeedSequence(seed, spawn_key=(d, STREAM_TICKETS))`` (the
stream no other part of the simulator uses), so the app DB, billing store and event files are
byte-identical with and without this feed. Future versions of a ticket wait in
``sources/pending/support/date=YYYY-MM-DD/`` until their day is simulated.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from microproduct.drops import folder, write_atomic
from microproduct.timeutil import api_ts, day_date, day_start

#: numpy SeedSequence spawn key of the ticket stream (0 lifecycle, 1 events, 2 faults).
STREAM_TICKETS = 3
#: tickets per user per day (users with a live subscription write three times as often)
TICKET_RATE = 0.003
SUBSCRIBER_WEIGHT = 3.0
PRIORITIES = ("low", "normal", "high", "urgent")
PRIORITY_P = (0.30, 0.50, 0.15, 0.05)
CHANNELS = ("email", "in_app", "chat")
CHANNEL_P = (0.45, 0.35, 0.20)
#: median hours to the first response, per priority; the close follows a day or so later
FIRST_RESPONSE_HOURS = {"low": 10.0, "normal": 5.0, "high": 2.0, "urgent": 0.5}
RESOLUTION_HOURS = 18.0
#: chance per day of each defect in the file
DEFECT_P = {"resent": 0.20, "bad_timestamp": 0.10, "unknown_user": 0.06}
#: unknown users get ids far above any real one
UNKNOWN_USER_BASE = 900_000
DAY = 86_400


def day_file(support_dir: Path, day: int) -> Path:
    return folder(support_dir, day) / "tickets-000.jsonl"


def _line(record: dict) -> str:
    return json.dumps(record, sort_keys=True, separators=(",", ":"))


def _versions(ticket: dict, opened: int, responded: int, closed: int) -> list[tuple[int, dict]]:
    """The ticket's states, each with the second it took effect."""
    states = [
        (opened, {"status": "open", "first_response_at": None, "closed_at": None}),
        (responded, {"status": "pending", "first_response_at": api_ts(responded)}),
        (closed, {"status": "closed", "closed_at": api_ts(closed)}),
    ]
    out, current = [], dict(ticket)
    for second, change in states:
        current = {**current, **change, "updated_at": api_ts(second)}
        out.append((second, current))
    return out


def tickets_of_day(
    day: int,
    created: np.ndarray,
    deleted: np.ndarray,
    subscribed: np.ndarray,
    rng: np.random.Generator,
) -> tuple[list[str], dict[int, list[str]]]:
    """The day's new tickets: the lines for today's file and the later versions by day."""
    start = day_start(day)
    eligible = np.flatnonzero((created < start) & ((deleted < 0) | (deleted >= start + DAY)))
    today: list[str] = []
    later: dict[int, list[str]] = {}
    if eligible.size == 0:
        return today, later
    weights = np.where(subscribed[eligible], SUBSCRIBER_WEIGHT, 1.0)
    count = int(rng.poisson(TICKET_RATE * weights.sum()))
    users = rng.choice(eligible, size=count, p=weights / weights.sum()) + 1
    opened = np.sort(start + rng.integers(0, DAY, size=count))
    priorities = rng.choice(len(PRIORITIES), size=count, p=PRIORITY_P)
    channels = rng.choice(len(CHANNELS), size=count, p=CHANNEL_P)
    response_draw = rng.lognormal(0.0, 0.8, size=count)
    resolution_draw = rng.lognormal(0.0, 0.9, size=count)
    stamp = day_date(day).strftime("%Y%m%d")
    for k in range(count):
        priority = PRIORITIES[priorities[k]]
        responded = int(opened[k] + 3600 * FIRST_RESPONSE_HOURS[priority] * response_draw[k])
        closed = int(responded + 3600 * RESOLUTION_HOURS * resolution_draw[k])
        ticket = {
            "ticket_id": f"T-{stamp}-{k + 1:03d}",
            "user_id": int(users[k]),
            "opened_at": api_ts(int(opened[k])),
            "priority": priority,
            "channel": CHANNELS[channels[k]],
        }
        by_day: dict[int, dict] = {}
        for second, version in _versions(ticket, int(opened[k]), responded, closed):
            by_day[(second - day_start(0)) // DAY] = version  # the day's last state wins
        for version_day, version in sorted(by_day.items()):
            if version_day == day:
                today.append(_line(version))
            else:
                later.setdefault(version_day, []).append(_line(version))
    return today, later


def _defects(lines: list[str], day: int, rng: np.random.Generator) -> list[str]:
    """Today's defects (a draw per defect, always in the same order)."""
    lines = list(lines)
    draws = {name: rng.random() for name in DEFECT_P}
    if lines and draws["bad_timestamp"] < DEFECT_P["bad_timestamp"]:
        i = int(rng.integers(0, len(lines)))
        record = json.loads(lines[i])
        opened = record["opened_at"]  # 2026-01-05T09:12:44Z -> 05/01/2026 09:12
        record["opened_at"] = f"{opened[8:10]}/{opened[5:7]}/{opened[0:4]} {opened[11:16]}"
        lines[i] = _line(record)
    if lines and draws["unknown_user"] < DEFECT_P["unknown_user"]:
        stamp = day_date(day).strftime("%Y%m%d")
        opened = day_start(day) + int(rng.integers(0, DAY))
        ticket = {
            "ticket_id": f"T-{stamp}-900",
            "user_id": UNKNOWN_USER_BASE + day,
            "opened_at": api_ts(opened),
            "priority": "normal",
            "channel": "email",
        }
        lines.append(_line(_versions(ticket, opened, opened, opened)[-1][1]))
    if lines and draws["resent"] < DEFECT_P["resent"]:
        i = int(rng.integers(0, len(lines)))
        lines.insert(i + 1, lines[i])
    return lines


def drop_day(
    support_dir: Path,
    pending_dir: Path,
    day: int,
    created: np.ndarray,
    deleted: np.ndarray,
    subscribed: np.ndarray,
    rng: np.random.Generator,
) -> Path:
    """Write ``day``'s export: older tickets' versions due today first, then today's tickets."""
    today, later = tickets_of_day(day, created, deleted, subscribed, rng)
    for version_day, lines in later.items():
        pending = day_file(pending_dir, version_day)
        earlier = pending.read_text(encoding="utf-8").splitlines() if pending.exists() else []
        write_atomic(pending, earlier + lines)
    due = day_file(pending_dir, day)
    updates = due.read_text(encoding="utf-8").splitlines() if due.exists() else []
    path = day_file(support_dir, day)
    write_atomic(path, _defects(updates + today, day, rng))
    shutil.rmtree(due.parent, ignore_errors=True)
    return path
