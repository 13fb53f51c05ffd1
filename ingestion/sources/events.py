"""Event files (JSONL drops): a content-hash manifest, set-based validation, partition reloads.

- **Manifest**: every file loaded is recorded in ``meta.file_manifest`` with its sha256. A file
  already loaded with the same hash is skipped, so re-running a load is a no-op (faults.md row 8)
  and a late file in an old date folder is simply "a file not in the manifest yet": it loads once
  (row 7). A file whose content changed under a known path is not reloaded silently: the load warns
  and names it (files are immutable by contract; use a backfill of that date to replace it).
- **Line numbers**: each line is read as one text value (``read_csv`` with a delimiter and quote
  that never occur in JSONL) numbered in file order, so ``_source`` is ``path:line`` and a rejected
  line is quarantined with its exact ``file:line`` (rows 1 and 2).
- **Partitions**: the drop-date folder ``date=YYYY-MM-DD`` is the partition. A backfill deletes a
  partition's rows (raw, quarantine, manifest) and reloads its files in one transaction, so it can
  run any number of times (row 25).
- Duplicate events stay in raw: raw is a log; staging deduplicates (row 4).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa

from ingestion.destination import Destination
from ingestion.schemas import EVENTS, META_SCHEMA, RAW_SCHEMA
from ingestion.staging import Written, write_lines

# Read each line as a single VARCHAR: \x01 never occurs unescaped in JSON, quoting is off.
# Several files are read in one statement (planning a statement costs more than typing a small
# file); ``row_number() OVER ()`` numbers lines in read order, and each file's offset (known
# from counting its newlines while hashing it) turns that into the line number inside the file.
READ_SQL = (
    "CREATE OR REPLACE TEMP TABLE _ingestion_lines AS "
    "SELECT row_number() OVER () AS _g, line AS _line, filename AS _file FROM read_csv($paths, "
    "columns = {'line': 'VARCHAR'}, delim = '\x01', quote = '', escape = '', header = false, "
    "auto_detect = false, filename = true)"
)
LINES_SQL = (
    "SELECT l._g - f._offset AS _n, l._line, f._prefix || (l._g - f._offset) AS _src "
    "FROM _ingestion_lines l JOIN _ingestion_files f ON l._file = f._file"
)
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


def list_files(landing_dir: Path, partitions: Iterable[date] | None = None) -> list[EventFile]:
    """Event files in (partition, name) order; only the given partitions if any."""
    root = events_root(landing_dir)
    wanted = {d.isoformat() for d in partitions} if partitions is not None else None
    files = []
    for folder in sorted(root.glob("date=*")):
        day_text = folder.name.removeprefix("date=")
        if wanted is not None and day_text not in wanted:
            continue
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            continue  # not a partition folder
        for path in sorted(folder.glob("*.jsonl")):
            files.append(EventFile(path, path.relative_to(landing_dir).as_posix(), day))
    return files


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
        offsets, total = [], 0
        for item in readable:
            offsets.append(total)
            total += item.lines
        files = pa.table(
            {
                "_fid": pa.array(range(len(readable)), pa.int64()),
                "_file": [str(t.file.path) for t in readable],
                "_prefix": [f"{t.file.relative}:" for t in readable],
                "_offset": pa.array(offsets, pa.int64()),
                "_lines": pa.array([t.lines for t in readable], pa.int64()),
            }
        )
        con.execute(READ_SQL, {"paths": [str(t.file.path) for t in readable]})
        con.register("_ingestion_files", files)
        _check_numbering(con)
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
        )
        # Tidy up on success only: after an error the transaction is aborted and rolls back
        # (and the connection closes), which discards these anyway.
        con.unregister("_ingestion_files")
        con.execute("DROP TABLE IF EXISTS _ingestion_lines")
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


def _check_numbering(con) -> None:
    """Every file's rows must be exactly lines 1..N, in one contiguous run of the read order.

    This is what makes ``file:line`` in quarantine trustworthy; if a reader ever splits a line
    differently from our newline count (e.g. a lone carriage return), fail loudly instead.
    """
    bad = con.execute(
        "SELECT f._file, f._lines, count(l._g), min(l._g) - f._offset, max(l._g) - f._offset "
        "FROM _ingestion_files f LEFT JOIN _ingestion_lines l ON l._file = f._file "
        "GROUP BY f._file, f._lines, f._offset HAVING count(l._g) <> f._lines OR min(l._g) - f._offset <> 1 "
        "OR max(l._g) - f._offset <> f._lines"
    ).fetchall()
    if bad:
        path, expected, got, first, last = bad[0]
        raise RuntimeError(
            f"Line numbering mismatch in {path}: {expected} newline-separated lines, but the "
            f"reader returned {got} rows (lines {first}..{last}). Refusing to load it."
        )
