"""Event files (JSONL drops): a content-hash manifest, set-based validation, partition reloads.

- **Manifest**: every file loaded is recorded in ``meta.file_manifest`` with its sha256. A file
  already loaded with the same hash is skipped, so re-running a load is a no-op (faults.md row 8)
  and a late file in an old date folder is simply "a file not in the manifest yet": it loads once
  (row 7). A file whose content changed under a known path is not reloaded silently: the load warns
  and names it (files are immutable by contract; use a backfill of that date to replace it).
- **Lines**: a file's bytes are split on ``\n`` only (:func:`read_lines`), so nothing in one
  line can fail the load or shift the numbering: invalid UTF-8, a bare carriage return, a control
  or NUL byte, a very long line, CRLF/LF mixed. Each line is numbered in file order, so
  ``_source`` is ``path:line``, and a line that does not fit is quarantined with its exact
  ``file:line`` and a reason (rows 1 and 2). A UTF-8 byte-order mark at the start of a file is
  dropped; a last line without a newline is a line.
- **Listing**: a partition folder is ``date=YYYY-MM-DD`` (a real date) and holds regular
  ``*.jsonl`` files. Anything else under ``events/`` (another name, a folder or link named like a
  file, a name that is not UTF-8, a folder whose date is not a date) is *not loaded and reported*
  (:func:`scan`): in the load's message and status, and in :mod:`ingestion.reconcile`. Hidden
  names (``.events-000.jsonl.tmp``) are files still being written (writers rename them into
  place) and are not part of a delivery.
- **Partitions**: the drop-date folder ``date=YYYY-MM-DD`` is the partition. A backfill deletes a
  partition's rows (raw, quarantine, manifest) and reloads its files in one transaction, so it can
  run any number of times (row 25).
- Duplicate events stay in raw: raw is a log; staging deduplicates (row 4).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa

from ingestion.destination import Destination
from ingestion.schemas import EVENTS, META_SCHEMA, RAW_SCHEMA
from ingestion.staging import Written, write_lines

# Lines are split in Python/Arrow (:func:`read_lines`) and handed to DuckDB as an Arrow table;
# each file's ``_prefix`` (``events/date=.../name.jsonl:``) turns the line number into ``_source``.
LINES_SQL = (
    "SELECT l._n, l._line, l._bad, f._prefix || l._n AS _src "
    "FROM _ingestion_lines l JOIN _ingestion_files f ON l._fid = f._fid"
)
BOM = b"\xef\xbb\xbf"
PARTITION_FOLDER = re.compile(r"date=\d{4}-\d{2}-\d{2}")
BATCH_BYTES = 256 << 20  # files per statement: up to ~256 MB of JSONL


@dataclass(frozen=True)
class EventFile:
    path: Path  # absolute
    relative: str  # relative to the landing dir, e.g. events/date=2026-01-05/events-000.jsonl
    partition: date


def events_root(landing_dir: Path) -> Path:
    return landing_dir / "events"


def partition_prefix(day: date) -> str:
    """Prefix shared by ``_source``, quarantine location and manifest path of one partition."""
    return f"events/date={day.isoformat()}/"


@dataclass(frozen=True)
class Unrecognised:
    """Something under ``events/`` the loader does not load, and why (never skipped silently)."""

    relative: str  # relative to the landing dir, non-UTF-8 bytes shown as \xNN
    reason: str
    path: Path


@dataclass
class Listing:
    files: list[EventFile] = field(default_factory=list)
    unrecognised: list[Unrecognised] = field(default_factory=list)


def _shown(path: Path, landing_dir: Path) -> str:
    """A relative path that can always be printed and stored (non-UTF-8 bytes as \\xNN)."""
    raw = os.fsencode(path.relative_to(landing_dir).as_posix())
    return raw.decode("utf-8", "backslashreplace")


def _utf8_name(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # surrogate-escaped bytes of a name that is not UTF-8
        return False
    return True


def scan(landing_dir: Path, partitions: Iterable[date] | None = None) -> Listing:
    """Event files in (partition, name) order, and what is there but not loadable.

    With ``partitions``, only those partition folders are looked at (plus anything at the top
    of ``events/`` that is not a partition folder: it could hold any day).
    """
    root = events_root(landing_dir)
    wanted = {d.isoformat() for d in partitions} if partitions is not None else None
    out = Listing()
    if not root.is_dir():
        return out

    def odd(path: Path, reason: str) -> None:
        out.unrecognised.append(Unrecognised(_shown(path, landing_dir), reason, path))

    for folder in sorted(root.iterdir()):
        if folder.name.startswith("."):
            continue  # a folder being written (renamed into place when complete)
        day = None
        if PARTITION_FOLDER.fullmatch(folder.name):
            try:
                day = date.fromisoformat(folder.name.removeprefix("date="))
            except ValueError:
                odd(folder, "not a partition folder: its date is not a date")
                continue
        if day is None or folder.is_symlink() or not folder.is_dir():
            odd(folder, "not a partition folder (a folder named date=YYYY-MM-DD)")
            continue
        if wanted is not None and day.isoformat() not in wanted:
            continue
        for path in sorted(folder.iterdir()):
            name = path.name
            if name.startswith("."):
                continue  # a file being written (renamed into place when complete)
            if not _utf8_name(name):
                odd(path, "file name is not valid UTF-8")
            elif not name.endswith(".jsonl"):
                odd(path, "not a *.jsonl file")
            elif path.is_symlink() or not path.is_file():
                odd(path, "not a regular file")
            else:
                out.files.append(EventFile(path, path.relative_to(landing_dir).as_posix(), day))
    return out


def list_files(landing_dir: Path, partitions: Iterable[date] | None = None) -> list[EventFile]:
    """Event files in (partition, name) order; only the given partitions if any."""
    return scan(landing_dir, partitions).files


def unrecognised_lines(entry: Unrecognised) -> int:
    """Lines delivered in something the loader does not load (all files under a folder)."""
    path = entry.path
    if path.is_symlink() or path.is_file():
        return sha256_and_lines(path)[1] if path.is_file() else 0
    return sum(
        sha256_and_lines(p)[1]
        for p in sorted(path.rglob("*"))
        if p.is_file() and not p.is_symlink()
    )


def read_lines(path: Path) -> tuple[pa.Array, pa.Array]:
    """A file's lines (split on ``\\n`` only, without it) as text, and a reason per line (NULL
    when fine).

    Never fails on the bytes of a line. The split is vectorised (numpy finds the newlines, Arrow
    checks UTF-8 over the whole file at once); only a file with invalid UTF-8 is decoded line by
    line in Python, where each bad line gets ``invalid UTF-8 at byte N`` and its text with the bad
    bytes shown as ``\\xNN``.
    """
    data = path.read_bytes()
    buf = np.frombuffer(data, np.uint8)
    newlines = np.flatnonzero(buf == 10)
    ends = newlines
    if len(buf) and buf[-1] != 10:
        ends = np.append(newlines, len(buf))  # a last line without a newline is a line
    starts = np.concatenate(([0], newlines + 1))[: len(ends)]
    keep = np.ones(len(buf), bool)
    keep[newlines] = False
    if data.startswith(BOM):  # a byte-order mark is not part of line 1
        starts[0] = len(BOM)
        keep[: len(BOM)] = False
    offsets = np.concatenate(([0], np.cumsum(ends - starts))).astype(np.int64)
    lines = pa.Array.from_buffers(
        pa.large_string(), len(ends), [None, pa.py_buffer(offsets), pa.py_buffer(buf[keep])]
    )
    try:
        lines.validate(full=True)  # UTF-8 of every line
        return lines, pa.nulls(len(lines), pa.string())
    except pa.ArrowInvalid:
        pass
    texts, reasons = [], []
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        raw = buf[start:end].tobytes()
        try:
            texts.append(raw.decode("utf-8"))
            reasons.append(None)
        except UnicodeDecodeError as exc:
            texts.append(raw.decode("utf-8", "backslashreplace"))
            reasons.append(f"invalid UTF-8 at byte {exc.start + 1} of the line")
    return pa.array(texts, pa.large_string()), pa.array(reasons, pa.string())


def sha256_and_lines(path: Path) -> tuple[str, int]:
    """Content hash and number of lines (a last line without newline counts) in one pass."""
    digest = hashlib.sha256()
    lines = 0
    last = b""
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    if last and last != b"\n":
        lines += 1
    return digest.hexdigest(), lines


def manifest(dest: Destination) -> dict[str, str]:
    return dict(dest.query(f"SELECT path, sha256 FROM {META_SCHEMA}.file_manifest"))  # noqa: S608 - identifiers validated, values bound


def loaded_partitions(dest: Destination) -> set[date]:
    """Partitions with at least one file in the manifest (loaded, with rows or quarantine)."""
    rows = dest.query(
        f"SELECT DISTINCT regexp_extract(path, '^events/date=([0-9-]{{10}})/', 1) "  # noqa: S608 - identifiers validated, values bound
        f"FROM {META_SCHEMA}.file_manifest"
    )
    return {date.fromisoformat(d) for (d,) in rows if d}


def delete_partitions(dest: Destination, days: Iterable[date]) -> int:
    """Remove every trace of these partitions (raw rows, quarantine, manifest); rows deleted."""
    deleted = 0
    for day in days:
        prefix = partition_prefix(day)
        if dest.columns(RAW_SCHEMA, EVENTS.table):
            deleted += dest.delete_where(RAW_SCHEMA, EVENTS.table, "_source", starts_with=prefix)
        dest.delete_where(META_SCHEMA, "quarantine", "location", starts_with=prefix)
        dest.delete_where(META_SCHEMA, "file_manifest", "path", starts_with=prefix)
    return deleted


@dataclass
class FilesLoaded:
    written: Written
    files_loaded: int = 0
    files_skipped: int = 0
    changed: tuple[str, ...] = ()
    last_partition: date | None = None


@dataclass(frozen=True)
class _Todo:
    file: EventFile
    sha256: str
    size: int
    lines: int


def _batches(todo: list[_Todo]) -> list[list[_Todo]]:
    batches: list[list[_Todo]] = [[]]
    size = 0
    for item in todo:
        if batches[-1] and size + item.size > BATCH_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(item)
        size += item.size
    return [b for b in batches if b]


def load_files(
    dest: Destination,
    files: list[EventFile],
    *,
    load_id: str,
    now,
    progress: bool = False,
) -> FilesLoaded:
    """Load every file not yet in the manifest (in order), inside the caller's transaction."""
    known = manifest(dest)
    out = FilesLoaded(Written())
    changed = []
    todo = []
    for f in files:
        digest, lines = sha256_and_lines(f.path)
        if f.relative in known:
            if known[f.relative] != digest:
                changed.append(f.relative)
            out.files_skipped += 1
            continue
        todo.append(_Todo(f, digest, f.path.stat().st_size, lines))
    batches = _batches(todo)
    bar = None
    if progress and todo:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), desc="event files", unit="file")
    try:
        for batch in batches:
            out.written += _load_batch(dest, batch, load_id=load_id, now=now)
            if bar is not None:
                bar.update(len(batch))
    finally:
        if bar is not None:
            bar.close()
    for item in todo:
        out.files_loaded += 1
        if out.last_partition is None or item.file.partition > out.last_partition:
            out.last_partition = item.file.partition
    out.changed = tuple(changed)
    return out


def _load_batch(dest: Destination, batch: list[_Todo], *, load_id: str, now) -> Written:
    con = dest.parsing_connection()
    readable = [t for t in batch if t.size]
    written = Written()
    if readable:
        fids, numbers, texts, reasons = [], [], [], []
        for fid, item in enumerate(readable):
            text, reason = read_lines(item.file.path)
            if len(text) != item.lines:
                raise RuntimeError(
                    f"{item.file.relative} changed while it was being loaded ({item.lines} lines "
                    f"when hashed, {len(text)} when read); nothing loaded, run the load again."
                )
            fids.append(pa.array(np.full(len(text), fid, np.int32)))
            numbers.append(pa.array(np.arange(1, len(text) + 1, dtype=np.int64)))
            texts.append(text)
            reasons.append(reason)
        lines = pa.table(
            {
                "_fid": pa.concat_arrays(fids),
                "_n": pa.concat_arrays(numbers),
                "_line": pa.concat_arrays(texts),
                "_bad": pa.concat_arrays(reasons),
            }
        )
        files = pa.table(
            {
                "_fid": pa.array(range(len(readable)), pa.int32()),
                "_prefix": [f"{t.file.relative}:" for t in readable],
            }
        )
        con.register("_ingestion_lines", lines)
        con.register("_ingestion_files", files)
        written = write_lines(
            dest,
            EVENTS,
            load_id=load_id,
            now=now,
            lines_sql=LINES_SQL,
            params={},
            src_expr="t._src",
            loc_expr="t._src",
            passthrough=("_src",),
            reason_column="_bad",
        )
        # Tidy up on success only: after an error the transaction is aborted and rolls back
        # (and the connection closes), which discards these anyway.
        con.unregister("_ingestion_files")
        con.unregister("_ingestion_lines")
    dest.append(
        META_SCHEMA,
        "file_manifest",
        pa.table(
            {
                "path": [t.file.relative for t in batch],
                "sha256": [t.sha256 for t in batch],
                "size": pa.array([t.size for t in batch], pa.int64()),
                "load_id": [load_id] * len(batch),
            }
        ),
    )
    return written
