"""Dropping a day's event lines into the landing zone, with the defects real drops have.

Layout (contracts §1c): ``landing/events/date=YYYY-MM-DD/events-NNN.jsonl``; the folder date is the
day the file was *dropped*. A file is written to a hidden temporary name and renamed into place, so a
reader never sees half a file. Files are never rewritten.

Some defects need a later day: a *late* file, or an event *re-sent* the next day. Those files wait in
``sources/pending/date=YYYY-MM-DD/`` (the day they will be delivered) and are moved into the landing
folder when that day is simulated - so resuming the simulation in another process delivers them too.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np

from microproduct.faults import active
from microproduct.timeutil import day_date

MAX_LINES_PER_FILE = 50_000


def folder(root: Path, day: int) -> Path:
    return root / f"date={day_date(day).isoformat()}"


def write_atomic(path: Path, lines: list[str]) -> None:
    """Write lines (newline-terminated) to ``path`` via a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="\n") as handle:
        handle.writelines(line + "\n" for line in lines)
    os.replace(tmp, path)


def drop_day(
    events_dir: Path,
    pending_dir: Path,
    day: int,
    lines: list[str],
    protected: list[bool],
    faults: dict[str, dict],
    rng: np.random.Generator,
) -> list[Path]:
    """Write ``day``'s lines (and anything pending for the day); return the files written.

    ``protected`` marks lines the malformed-lines fault must leave intact (subscription milestones,
    which must agree with the app DB). ``rng`` is the day's fault stream: it is only drawn from when
    a fault is on, so switching faults never changes the clean data.
    """
    lines, protected = list(lines), list(protected)
    resent: list[str] = []
    if params := active(faults, "duplicate_events", day):
        lines, protected, resent = _duplicate(lines, protected, float(params["rate"]), rng)
    files = [lines[i : i + MAX_LINES_PER_FILE] for i in range(0, len(lines), MAX_LINES_PER_FILE)]
    guards = [
        protected[i : i + MAX_LINES_PER_FILE] for i in range(0, len(lines), MAX_LINES_PER_FILE)
    ]
    if params := active(faults, "malformed_lines", day):
        files = [
            _malform(f, g, float(params["rate"]), rng) for f, g in zip(files, guards, strict=True)
        ]
    if resent:
        _park(pending_dir, day + 1, f"{day:05d}-resent", [resent])
    if files and (params := active(faults, "late_files", day)) and rng.random() < params["rate"]:
        _park(pending_dir, day + int(params["delay_days"]), f"{day:05d}-late", files)
        files = []
    delivery = folder(pending_dir, day)
    parked = sorted(delivery.glob("*.jsonl")) if delivery.exists() else []
    if active(faults, "stale_source", day):
        shutil.rmtree(delivery, ignore_errors=True)  # the feed is stuck: nothing arrives
        return []
    written = []
    target = folder(events_dir, day)
    for number, content in enumerate(files):
        written.append(target / f"events-{number:03d}.jsonl")
        write_atomic(written[-1], content)
    for number, source in enumerate(parked, start=len(files)):
        target.mkdir(parents=True, exist_ok=True)
        written.append(target / f"events-{number:03d}.jsonl")
        os.replace(source, written[-1])
    shutil.rmtree(delivery, ignore_errors=True)
    return written


def _park(pending_dir: Path, deliver_day: int, stem: str, files: list[list[str]]) -> None:
    for number, content in enumerate(files):
        write_atomic(folder(pending_dir, deliver_day) / f"{stem}-{number:03d}.jsonl", content)


def _duplicate(lines, protected, rate, rng) -> tuple[list[str], list[bool], list[str]]:
    """Re-send a share of events: half right after the original, half in tomorrow's folder."""
    n = len(lines)
    picked = (
        set(rng.choice(n, size=int(rng.binomial(n, rate)), replace=False).tolist()) if n else set()
    )
    tomorrow = {i for i in picked if rng.random() < 0.5}
    out, guard, resent = [], [], []
    for i, line in enumerate(lines):
        out.append(line)
        guard.append(protected[i] or i in picked)  # malformed copies would not be duplicates
        if i in picked:
            if i in tomorrow:
                resent.append(line)
            else:
                out.append(line)
                guard.append(True)  # keep the copy identical to its original
    return out, guard, resent


def _malform(lines: list[str], protected: list[bool], rate: float, rng) -> list[str]:
    """Break a few lines per file: cut JSON, ``user_id`` as text, a required key missing."""
    candidates = [i for i, keep in enumerate(protected) if not keep]
    if not candidates:
        return lines
    count = min(len(candidates), max(1, int(rng.binomial(len(lines), rate))))
    chosen = sorted(rng.choice(candidates, size=count, replace=False).tolist())
    lines = list(lines)
    for k, i in enumerate(chosen):
        kind = (k + int(rng.integers(0, 3))) % 3
        if kind == 0:
            lines[i] = lines[i][: len(lines[i]) // 2]  # truncated: not JSON at all
        else:
            record = json.loads(lines[i])
            if kind == 1:
                record["user_id"] = "abc"
            else:
                del record["event_id" if rng.random() < 0.5 else "occurred_at"]
            lines[i] = json.dumps(record, sort_keys=True, separators=(",", ":"))
    return lines
