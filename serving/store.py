"""Read-only access to the published copy of the marts, safe across publish swaps.

The publish step (``orchestration.publish``) writes a complete new DuckDB file beside the old one
and swaps it in with ``os.replace``. On Linux a swap gives the path a *new inode*; any connection
still open on the old file keeps reading the old, consistent snapshot until it is closed. So the
server can follow publishes without a restart:

1. Before each request, ``os.stat`` the published path (a few microseconds). Its identity
   (device, inode, mtime, size) names one *generation* of the published data.
2. When the identity changes, open a new :class:`Generation` and retire the old one. Requests
   already running on the old generation finish on it; it is closed when the last one returns
   its cursor. No request ever sees half of one copy and half of another.

Two DuckDB details shape the code:

- ``duckdb.connect(path)`` keeps an in-process cache of open databases keyed by *path*: after a
  swap it would hand back the old, still-open file. So each generation is a private in-memory
  database that ``ATTACH``es the file ``READ_ONLY``; attaching opens the path afresh.
- One connection must not run two queries at once, so each generation keeps a small pool of
  cursors (``con.cursor()``: cheap, thread-safe siblings). A request borrows one and gives it
  back. ``read_only`` means this process can never write the published copy, and many readers
  (the API, notebooks, dashboards) can hold it at the same time.

A generation's data never changes, so query results are cached per generation (bounded LRU).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from sproutly import paths

#: The name the published file is attached under, inside each generation's private database.
CATALOG = "published"
#: Idle cursors kept per generation (more are opened under load and closed when returned).
MAX_IDLE_CURSORS = 8
#: Query results kept per generation (the published data is immutable until the next swap).
CACHE_ENTRIES = 512

Row = dict[str, Any]


class NoPublishedCopy(RuntimeError):
    """No published copy of the marts exists yet (the pipeline has not published)."""


class NeedsIO(Exception):  # noqa: N818 - a signal, not an error
    """A read with ``io=False`` would query DuckDB or open a new copy (see :class:`PinnedStore`)."""


def file_identity(path: Path) -> tuple[int, int, int, int]:
    """(device, inode, mtime in ns, size): changes whenever ``os.replace`` swaps in a new copy."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise NoPublishedCopy(
            "no published copy of the marts yet: run the pipeline first (`make run`)"
        ) from None
    return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)


class Generation:
    """One published copy, opened read-only, with a pool of cursors and a result cache."""

    def __init__(self, path: Path, identity: tuple[int, int, int, int]) -> None:
        self.identity = identity
        # threads=1: answers are tiny; 20 concurrent requests must not each fan out to all cores.
        self._root = duckdb.connect(":memory:", config={"threads": 1})
        try:
            self._root.execute(f"attach ? as {CATALOG} (read_only)", [str(path)])
        except duckdb.IOException:
            self._root.close()
            if not path.exists():  # removed between stat and attach (e.g. `make clean`)
                file_identity(path)  # raises NoPublishedCopy
            raise
        self._lock = threading.Lock()
        self._idle: list[duckdb.DuckDBPyConnection] = []
        self._borrowed = 0
        self._retired = False
        self._closed = False
        self._cache: OrderedDict[tuple, Any] = OrderedDict()
        self._computing: dict[tuple, threading.Lock] = {}

    @property
    def closed(self) -> bool:
        return self._closed

    def borrow(self) -> duckdb.DuckDBPyConnection:
        """A cursor for one request (the caller must :meth:`give_back` it)."""
        self.enter()
        try:
            return self.take_cursor()
        except BaseException:
            self.give_back(None)
            raise

    def enter(self) -> None:
        """Count a request in: the generation stays open until it :meth:`give_back`."""
        with self._lock:
            if self._closed:
                raise RuntimeError("generation already closed")
            self._borrowed += 1

    def take_cursor(self) -> duckdb.DuckDBPyConnection:
        """An idle cursor, else a new one (for a request already counted in by :meth:`enter`)."""
        with self._lock:
            if self._idle:
                return self._idle.pop()
        cursor = self._root.cursor()
        cursor.execute(f"use {CATALOG}")
        return cursor

    def give_back(self, cursor: duckdb.DuckDBPyConnection | None) -> None:
        """Return a cursor; the last one back after :meth:`retire` closes the generation."""
        with self._lock:
            self._borrowed -= 1
            if cursor is not None and not self._retired and len(self._idle) < MAX_IDLE_CURSORS:
                self._idle.append(cursor)
                cursor = None
            close_now = self._retired and self._borrowed == 0
        if cursor is not None:
            cursor.close()
        if close_now:
            self._close()

    def retire(self) -> None:
        """A newer copy was published: close as soon as no request is using this one."""
        with self._lock:
            self._retired = True
            close_now = self._borrowed == 0
        if close_now:
            self._close()

    def _close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            idle, self._idle = self._idle, []
        for cursor in idle:
            cursor.close()
        self._root.close()

    def peek(self, key: tuple) -> tuple[bool, Any]:
        """``(True, value)`` when ``key`` is cached, else ``(False, None)``: never computes."""
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return True, self._cache[key]
        return False, None

    def cached(self, key: tuple, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per key for this generation (its data cannot change).

        Single flight: when many requests miss the same key at once (right after a publish),
        one computes and the others wait for its value instead of all querying at once.
        """
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            key_lock = self._computing.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._cache:
                    return self._cache[key]
            value = compute()
            with self._lock:
                self._cache[key] = value
                self._computing.pop(key, None)
                while len(self._cache) > CACHE_ENTRIES:
                    self._cache.popitem(last=False)
        return value


class PublishedStore:
    """The published marts as seen by the server: always the newest complete copy.

    ``path`` defaults to :func:`sproutly.paths.serving_path` (read when the store is created).
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else paths.serving_path()
        self._lock = threading.Lock()
        self._current: Generation | None = None

    def enter(self, *, open_new: bool = True) -> Generation:
        """The current generation, counted in (the caller must ``give_back`` to it).

        ``open_new=False``: raise :class:`NeedsIO` instead of opening a newly published copy.
        Raises :class:`NoPublishedCopy` when the file does not exist.
        """
        identity = file_identity(self.path)
        with self._lock:
            current = self._current
            if current is None or current.identity != identity:
                if not open_new:
                    raise NeedsIO("a new copy was published: opening it is I/O")
                # If the file is swapped again between stat and attach, the next request sees
                # a different identity and reopens: readers converge on the newest copy.
                fresh = Generation(self.path, identity)
                self._current = fresh
                if current is not None:
                    current.retire()
                current = fresh
            current.enter()
        return current

    @contextmanager
    def generation(self) -> Iterator[tuple[Generation, duckdb.DuckDBPyConnection]]:
        """The current generation and a borrowed cursor, for the span of one request."""
        with self.pinned() as store:
            yield store.generation(), store.cursor()

    @contextmanager
    def pinned(self, *, io: bool = True) -> Iterator[PinnedStore]:
        """The newest copy, pinned for one request: every query and cached value of the block
        comes from the same generation, even if a publish swaps the file meanwhile. The copy is
        opened at the first read (a request rejected before reading needs no published copy).
        ``io=False``: only cached answers (see :class:`PinnedStore`)."""
        store = PinnedStore(self, io=io)
        try:
            yield store
        finally:
            store.release()

    def query(
        self,
        sql: str,
        params: list | None = None,
        *,
        cache_key: tuple | None = None,
        shape: Callable[[Row], Row] | None = None,
    ) -> list[Row]:
        """One query on the newest copy (see :meth:`PinnedStore.query`)."""
        with self.pinned() as store:
            return store.query(sql, params, cache_key=cache_key, shape=shape)

    def cached(self, key: tuple, compute: Callable[[duckdb.DuckDBPyConnection], Any]) -> Any:
        """One cached value of the newest copy (see :meth:`PinnedStore.cached`)."""
        with self.pinned() as store:
            return store.cached(key, compute)

    def close(self) -> None:
        """Close the current generation (when the server stops)."""
        with self._lock:
            current, self._current = self._current, None
        if current is not None:
            current.retire()


class PinnedStore:
    """What one request reads, start to end: one generation (taken at the first read) and, for
    queries, one borrowed cursor.

    With ``io=False`` it answers only from the generation's cache and raises :class:`NeedsIO`
    for anything that would touch DuckDB or open a newly published copy: the server first tries
    a request that way on its event loop (most answers are cached), and on :class:`NeedsIO` sets
    ``io = True`` and runs it again in a worker thread, on the same generation.
    """

    def __init__(self, store: PublishedStore, *, io: bool = True) -> None:
        self.path = store.path
        self.io = io
        self._store = store
        self._generation: Generation | None = None
        self._cursor: duckdb.DuckDBPyConnection | None = None

    def generation(self) -> Generation:
        if self._generation is None:
            self._generation = self._store.enter(open_new=self.io)
        return self._generation

    def cursor(self) -> duckdb.DuckDBPyConnection:
        if not self.io:
            raise NeedsIO("a query is I/O")
        if self._cursor is None:
            self._cursor = self.generation().take_cursor()
        return self._cursor

    def release(self) -> None:
        """Give the cursor back and count this request out of its generation."""
        generation, self._generation = self._generation, None
        cursor, self._cursor = self._cursor, None
        if generation is not None:
            generation.give_back(cursor)

    def query(
        self,
        sql: str,
        params: list | None = None,
        *,
        cache_key: tuple | None = None,
        shape: Callable[[Row], Row] | None = None,
    ) -> list[Row]:
        """Rows of ``sql`` (bound ``params``) as dicts.

        ``shape`` converts each row (e.g. to JSON-ready values). With ``cache_key``, the shaped
        rows are reused by later requests on the same generation: treat them as read-only.
        """
        generation = self.generation()
        if cache_key is not None:
            hit, value = generation.peek(cache_key)
            if hit:
                return value
        cursor = self.cursor()

        def run() -> list[Row]:
            cursor.execute(sql, params or [])
            names = [column[0] for column in cursor.description]
            rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
            return [shape(row) for row in rows] if shape else rows

        if cache_key is None:
            return run()
        return generation.cached(cache_key, run)

    def cached(self, key: tuple, compute: Callable[[duckdb.DuckDBPyConnection], Any]) -> Any:
        """``compute(cursor)`` once per published copy (e.g. an in-memory index of a small mart);
        later calls on the same copy reuse the value. Treat it as read-only."""
        generation = self.generation()
        hit, value = generation.peek(key)
        if hit:
            return value
        cursor = self.cursor()
        return generation.cached(key, lambda: compute(cursor))


#: What the endpoints read: the published copy, pinned for one request or (outside a request)
#: the newest copy for each call.
Store = PinnedStore | PublishedStore
