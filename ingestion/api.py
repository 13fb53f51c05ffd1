"""The Python API that Dagster, notebooks and the CLI call: :func:`load`, :func:`backfill_events`,
:func:`status`.

Each entity is one *load*: one transaction that writes the raw rows, the quarantined rows, the
manifest rows, the schema changes and the ``meta.loads`` row together. Before COMMIT the loader
checks the invariant ``rows_offered = rows_loaded + rows_quarantined`` against the tables
themselves. If anything fails, the transaction rolls back (raw and meta exactly as before) and a
``failed`` row is written to ``meta.loads`` in a separate, small transaction, so the failure is
visible in ``status()``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

import httpx

from ingestion import bookkeeping
from ingestion.config import IngestionConfig
from ingestion.destination import Destination, DuckDBDestination, WarehouseLocked
from ingestion.results import InvariantViolation, LoadFailed, LoadResult, RejectRatioExceeded
from ingestion.schemas import (
    APP_ENTITIES,
    BILLING_ENTITIES,
    EVENTS,
    META_SCHEMA,
    RAW_SCHEMA,
    EntitySchema,
)
from ingestion.sources import app_db, billing_api, events
from ingestion.staging import Written, write_lines

if TYPE_CHECKING:
    import pandas as pd

Source = Literal["app", "billing", "events", "all"]
CURSOR_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclass
class Outcome:
    """What a load body reports; the runner turns it into a LoadResult and a meta.loads row."""

    written: Written
    cursor_after: str | None
    message: str = ""
    status: str | None = None  # None: derived from the counts


@dataclass
class Attempt:
    """Facts known before a load can fail (so a failed row can still report them)."""

    load_id: str = ""
    cursor_before: str | None = None


Body = Callable[[Destination, Attempt], Outcome]
_FAILURE_CAUSES: dict[str, Exception] = {}


def _run(
    dest: Destination,
    schema: EntitySchema,
    strategy: str,
    config: IngestionConfig,
    now: datetime,
    body: Body,
) -> LoadResult:
    attempt = Attempt()
    try:
        with dest.transaction():
            bookkeeping.ensure_meta(dest)
            attempt.load_id = bookkeeping.next_load_id(dest, schema, now)
            attempt.cursor_before = bookkeeping.last_cursor(dest, schema)
            outcome = body(dest, attempt)
            result = _result(schema, strategy, attempt, outcome)
            _check_before_commit(dest, schema, config, result)
            bookkeeping.record_load(dest, result, now)
        return result
    except WarehouseLocked:
        raise  # nothing can be recorded: the file belongs to another process
    except Exception as exc:  # noqa: BLE001 - every failure becomes a recorded, failed load
        return _record_failure(dest, schema, strategy, now, attempt, exc)


def _result(schema: EntitySchema, strategy: str, attempt: Attempt, out: Outcome) -> LoadResult:
    w = out.written
    status = out.status
    if status is None:
        status = "noop" if w.offered == 0 else ("warn" if w.quarantined else "success")
    message = out.message
    if w.already_loaded:
        message = f"{message}; " if message else ""
        message += f"{w.already_loaded} row(s) re-read in the lookback window were already loaded"
    if w.added_columns:
        message = f"{message}; " if message else ""
        message += "new column(s): " + ", ".join(w.added_columns)
    return LoadResult(
        load_id=attempt.load_id,
        source=schema.source,
        entity=schema.entity,
        strategy=strategy,
        status=status,
        rows_offered=w.offered,
        rows_loaded=w.loaded,
        rows_quarantined=w.quarantined,
        cursor_before=attempt.cursor_before,
        cursor_after=out.cursor_after,
        message=message,
    )


def _check_before_commit(
    dest: Destination, schema: EntitySchema, config: IngestionConfig, result: LoadResult
) -> None:
    """The invariant, checked against the tables, and the reject-ratio threshold."""
    loaded = quarantined = 0
    if dest.columns(RAW_SCHEMA, schema.table):
        loaded = dest.query(
            f"SELECT count(*) FROM {RAW_SCHEMA}.{schema.table} WHERE _load_id = ?",  # noqa: S608 - identifiers validated, values bound
            [result.load_id],
        )[0][0]
    quarantined = dest.query(
        "SELECT count(*) FROM meta.quarantine WHERE load_id = ?", [result.load_id]
    )[0][0]
    if (loaded, quarantined) != (result.rows_loaded, result.rows_quarantined) or (
        result.rows_offered != loaded + quarantined
    ):
        raise InvariantViolation(
            f"{result.load_id}: offered {result.rows_offered} != loaded {loaded} + "
            f"quarantined {quarantined} (reported {result.rows_loaded} + "
            f"{result.rows_quarantined}); rolling back"
        )
    if result.rows_offered and quarantined / result.rows_offered > config.reject_ratio:
        reasons = dest.query(
            f"SELECT location || ': ' || reason FROM {META_SCHEMA}.quarantine "  # noqa: S608 - identifiers validated, values bound
            "WHERE load_id = ? ORDER BY location LIMIT 3",
            [result.load_id],
        )
        raise RejectRatioExceeded(
            f"{quarantined} of {result.rows_offered} rows rejected "
            f"({quarantined / result.rows_offered:.1%} > reject_ratio {config.reject_ratio:.1%}); "
            "nothing loaded. First: " + " | ".join(r[0] for r in reasons)
        )


def _record_failure(
    dest: Destination,
    schema: EntitySchema,
    strategy: str,
    now: datetime,
    attempt: Attempt,
    exc: Exception,
) -> LoadResult:
    message = f"{type(exc).__name__}: {exc}"
    result = LoadResult(
        load_id=attempt.load_id or f"{bookkeeping.load_prefix(schema, now)}????",
        source=schema.source,
        entity=schema.entity,
        strategy=strategy,
        status="failed",
        rows_offered=0,
        rows_loaded=0,
        rows_quarantined=0,
        cursor_before=attempt.cursor_before,
        cursor_after=attempt.cursor_before,
        message=message,
    )
    try:
        with dest.transaction():
            bookkeeping.ensure_meta(dest)
            load_id = bookkeeping.next_load_id(dest, schema, now)
            result = _replace(result, load_id=load_id)
            bookkeeping.record_load(dest, result, now)
    except Exception as secondary:  # noqa: BLE001 - e.g. the disk is still full
        result = _replace(
            result, message=f"{message} (and recording the failure failed: {secondary})"
        )
    _FAILURE_CAUSES[result.load_id] = exc  # for LoadFailed's __cause__ (not part of the result)
    return result


def _replace(result: LoadResult, **changes) -> LoadResult:
    import dataclasses

    return dataclasses.replace(result, **changes)


# -- bodies ------------------------------------------------------------------------------------
def _show_progress(config: IngestionConfig) -> bool:
    return config.progress if config.progress is not None else sys.stderr.isatty()


@contextmanager
def _progress_bar(config: IngestionConfig, desc: str, unit: str) -> Iterator[Any]:
    """A tqdm bar on a terminal (never in tests' captured output or notebooks' saved cells)."""
    if not _show_progress(config):
        yield None
        return
    from tqdm import tqdm

    with tqdm(desc=desc, unit=unit) as bar:
        yield bar


def _since(cursor: str | None, lookback: timedelta) -> datetime | None:
    return datetime.strptime(cursor, CURSOR_FORMAT) - lookback if cursor else None


def _cursor_after(before: str | None, written: Written) -> str | None:
    after = written.max_cursor.strftime(CURSOR_FORMAT) if written.max_cursor else None
    return max(filter(None, [before, after]), default=None)


def _write_extract(dest, schema, attempt, now, lines, dedupe_since) -> Written:
    con = dest.parsing_connection()
    con.register("_ingestion_extract", lines)
    written = write_lines(
        dest,
        schema,
        load_id=attempt.load_id,
        now=now,
        lines_sql="SELECT _n, _line, _src, _loc FROM _ingestion_extract",
        params={},
        src_expr="_src",
        loc_expr="_loc",
        passthrough=("_src", "_loc"),
        dedupe_since=dedupe_since,
        cursor_cap=now,
    )
    con.unregister("_ingestion_extract")  # on success; a failed transaction closes it anyway
    return written


def _replace_contents(dest, schema, attempt, now, lines) -> Outcome:
    """Full refresh: replace the raw table's rows, but never with an empty extract (fault 3)."""
    from ingestion.staging import ensure_raw_table

    ensure_raw_table(dest, schema)
    (existing,) = dest.query(f"SELECT count(*) FROM {RAW_SCHEMA}.{schema.table}")[0]  # noqa: S608 - identifiers validated, values bound
    if lines.num_rows == 0:
        if existing:
            return Outcome(
                Written(),
                attempt.cursor_before,
                f"refused: the extract is empty and would replace {existing} existing row(s); "
                "old rows kept",
                status="warn",
            )
        return Outcome(Written(), attempt.cursor_before, "source is empty")
    dest.delete_where(RAW_SCHEMA, schema.table, None)
    dest.delete_where(META_SCHEMA, "quarantine", "entity", equals=schema.entity)
    written = _write_extract(dest, schema, attempt, now, lines, dedupe_since=False)
    after = written.max_cursor.strftime(CURSOR_FORMAT) if written.max_cursor else None
    return Outcome(written, after, f"replaced {existing} row(s)")


def _app_body(schema: EntitySchema, config: IngestionConfig, now: datetime, full: bool) -> Body:
    def body(dest: Destination, attempt: Attempt) -> Outcome:
        if full:
            lines = app_db.extract(config.app_db_path, schema, None)
            return _replace_contents(dest, schema, attempt, now, lines)
        since = _since(attempt.cursor_before, config.lookback)
        lines = app_db.extract(config.app_db_path, schema, since)
        written = _write_extract(dest, schema, attempt, now, lines, dedupe_since=since)
        return Outcome(written, _cursor_after(attempt.cursor_before, written))

    return body


def _billing_body(schema: EntitySchema, config: IngestionConfig, now: datetime, full: bool) -> Body:
    url, token = config.require_billing()
    settings = billing_api.RetrySettings(
        max_attempts=config.max_attempts,
        backoff_initial=config.backoff_initial,
        backoff_max=config.backoff_max,
        retry_after_cap=config.retry_after_cap,
        sleep=config.sleep,
        max_pages=config.max_pages,
        load_deadline=config.load_deadline,
        body_deadline=config.body_deadline,
    )

    def body(dest: Destination, attempt: Attempt) -> Outcome:
        since = None if full else _since(attempt.cursor_before, config.lookback)
        timeout = httpx.Timeout(config.read_timeout, connect=config.connect_timeout)
        headers = {"Authorization": f"Bearer {token}"}
        path = f"/v1/{schema.entity}"
        with httpx.Client(base_url=url, headers=headers, timeout=timeout) as client:
            with _progress_bar(config, f"GET {path}", "page") as bar:
                lines = billing_api.fetch_all(
                    client,
                    path,
                    updated_since=since.strftime("%Y-%m-%dT%H:%M:%SZ") if since else None,
                    page_size=config.page_size,
                    settings=settings,
                    on_page=(lambda page, rows: bar.update(1)) if bar else None,
                )
        if full:
            return _replace_contents(dest, schema, attempt, now, lines)
        written = _write_extract(dest, schema, attempt, now, lines, dedupe_since=since)
        return Outcome(written, _cursor_after(attempt.cursor_before, written))

    return body


def _events_body(
    config: IngestionConfig,
    now: datetime,
    partitions: list[date] | None,
    replace: bool,
    force: bool = False,
) -> Body:
    """Load event files; ``replace``: delete the partitions' rows first (backfill/full refresh).

    A partition that was loaded but whose folder is gone (or empty) is never replaced with
    nothing unless ``force``: its rows are kept and the load warns (fault catalogue row 30).
    Anything under ``events/`` the listing does not load is reported (row 27).
    """

    def body(dest: Destination, attempt: Attempt) -> Outcome:
        listing = events.scan(config.landing_dir, partitions)
        files = listing.files
        deleted = 0
        kept: list[date] = []
        if replace:
            from ingestion.staging import ensure_raw_table

            ensure_raw_table(dest, EVENTS)
            present = {f.partition for f in files}
            loaded = events.loaded_partitions(dest)
            if partitions is None and not files and loaded and not force:
                (existing,) = dest.query(f"SELECT count(*) FROM {RAW_SCHEMA}.{EVENTS.table}")[0]  # noqa: S608 - identifiers validated, values bound
                return Outcome(
                    Written(),
                    attempt.cursor_before,
                    f"refused: no event files; {existing} existing row(s) kept "
                    "(force to replace them with nothing)",
                    status="warn",
                )
            wanted = sorted(loaded | present) if partitions is None else list(partitions)
            gone = [d for d in wanted if d in loaded and d not in present]
            kept = [] if force else gone
            if partitions is None and not kept:
                deleted = dest.delete_where(RAW_SCHEMA, EVENTS.table, None)
                dest.delete_where(META_SCHEMA, "quarantine", "source", equals="events")
                dest.delete_where(META_SCHEMA, "file_manifest", None)
            else:
                deleted = events.delete_partitions(dest, [d for d in wanted if d not in kept])
        loaded = events.load_files(
            dest, files, load_id=attempt.load_id, now=now, progress=_show_progress(config)
        )
        parts = [f"{loaded.files_loaded} file(s) loaded, {loaded.files_skipped} already loaded"]
        if replace:
            parts.append(f"replaced {deleted} row(s)")
        status = None
        if kept:
            status = "warn"
            parts.append(
                "refused to replace partition(s) whose folder is gone or empty with nothing, "
                f"their rows kept: {', '.join(d.isoformat() for d in kept[:5])} "
                "(force to replace them)"
            )
        if loaded.changed:
            status = "warn"
            parts.append(
                "file(s) changed since they were loaded (not reloaded; backfill their date to "
                "replace them): " + ", ".join(loaded.changed[:5])
            )
        if listing.unrecognised:
            status = "warn"
            odd = listing.unrecognised
            parts.append(
                f"{len(odd)} path(s) under events/ not loaded (unrecognised): "
                + "; ".join(f"{u.relative} ({u.reason})" for u in odd[:5])
                + (f"; and {len(odd) - 5} more" if len(odd) > 5 else "")
            )
        last = loaded.last_partition.isoformat() if loaded.last_partition else None
        cursor_after = max(filter(None, [attempt.cursor_before, last]), default=None)
        if status is None and loaded.written.offered == 0 and not replace:
            status = "noop"
        return Outcome(loaded.written, cursor_after, "; ".join(parts), status=status)

    return body


# -- public API --------------------------------------------------------------------------------
def _destination(config: IngestionConfig) -> DuckDBDestination:
    return DuckDBDestination(config.warehouse_path, settings=config.duckdb_settings)


def _raise_on_failure(results: list[LoadResult], raise_on_failure: bool) -> list[LoadResult]:
    failed = [r for r in results if r.status == "failed"]
    if failed and raise_on_failure:
        raise LoadFailed(results) from _FAILURE_CAUSES.pop(failed[0].load_id, None)
    return results


def load(
    source: Source,
    *,
    config: IngestionConfig | None = None,
    full_refresh: bool = False,
    partition_date: date | None = None,
    raise_on_failure: bool = True,
    force: bool = False,
) -> list[LoadResult]:
    """Load one source (or ``"all"``); one :class:`LoadResult` per entity.

    ``full_refresh`` replaces each table's contents (refusing an empty extract);
    ``partition_date`` restricts an events load to one drop-date folder. An events full refresh
    keeps the rows of a partition whose folder is gone unless ``force``. Failed loads are recorded
    in ``meta.loads``; then :class:`LoadFailed` is raised (unless ``raise_on_failure=False``)
    after every requested entity was attempted.
    """
    config = config or IngestionConfig.from_env()
    if source not in ("app", "billing", "events", "all"):
        raise ValueError(f"unknown source {source!r}: use app, billing, events or all")
    if partition_date is not None and source not in ("events", "all"):
        raise ValueError("partition_date applies to events only")
    if source in ("billing", "all"):
        config.require_billing()  # fail before any write, naming the missing variable
    now = config.resolved_now()
    dest = _destination(config)
    strategy = "full_refresh" if full_refresh else "incremental"
    results: list[LoadResult] = []
    if source in ("app", "all"):
        for schema in APP_ENTITIES:
            body = _app_body(schema, config, now, full_refresh)
            results.append(_run(dest, schema, strategy, config, now, body))
    if source in ("billing", "all"):
        for schema in BILLING_ENTITIES:
            body = _billing_body(schema, config, now, full_refresh)
            results.append(_run(dest, schema, strategy, config, now, body))
    if source in ("events", "all"):
        partitions = [partition_date] if partition_date else None
        body = _events_body(config, now, partitions, replace=full_refresh, force=force)
        results.append(_run(dest, EVENTS, strategy, config, now, body))
    return _raise_on_failure(results, raise_on_failure)


def backfill_events(
    start: date,
    end: date,
    *,
    config: IngestionConfig | None = None,
    raise_on_failure: bool = True,
    force: bool = False,
) -> list[LoadResult]:
    """Reload the drop-date partitions ``start..end`` (inclusive), one load per partition.

    Each partition is delete+insert in its own transaction: a bad partition fails alone, and
    running the same backfill again leaves the same rows (no duplicates). A loaded partition
    whose folder is gone keeps its rows (the load warns) unless ``force``.
    """
    if end < start:
        raise ValueError(f"backfill end {end} is before start {start}")
    config = config or IngestionConfig.from_env()
    now = config.resolved_now()
    dest = _destination(config)
    results = []
    day = start
    while day <= end:
        body = _events_body(config, now, [day], replace=True, force=force)
        results.append(_run(dest, EVENTS, "backfill", config, now, body))
        day += timedelta(days=1)
    return _raise_on_failure(results, raise_on_failure)


STATUS_COLUMNS = [
    "source",
    "entity",
    "load_id",
    "strategy",
    "status",
    "rows_offered",
    "rows_loaded",
    "rows_quarantined",
    "cursor_after",
    "message",
]


def status(config: IngestionConfig | None = None) -> pd.DataFrame:
    """The latest load of every entity (read-only; opens and closes the warehouse)."""
    import pandas as pd  # imported here: loading data does not need pandas

    config = config or IngestionConfig.from_env()
    dest = _destination(config)
    if not config.warehouse_path.exists():
        return pd.DataFrame(columns=STATUS_COLUMNS)
    with dest.session(read_only=True):
        if not dest.columns(META_SCHEMA, "loads"):
            return pd.DataFrame(columns=STATUS_COLUMNS)
        table = dest.query_arrow(
            f"SELECT {', '.join(STATUS_COLUMNS)} FROM {META_SCHEMA}.loads "  # noqa: S608 - identifiers validated, values bound
            "QUALIFY row_number() OVER (PARTITION BY source, entity "
            "ORDER BY started_at DESC, load_id DESC) = 1 ORDER BY source, entity"
        )
    return table.to_pandas()
