"""The simulated billing API: ``GET /v1/invoices`` and ``GET /v1/payments`` over HTTP on 127.0.0.1.

It behaves like the external APIs a data team really pulls from (Stripe-like):

* bearer-token auth (``Authorization: Bearer <token>``; 401 JSON error otherwise);
* incremental extraction with ``updated_since`` (inclusive, ISO-8601);
* cursor pagination: ``limit`` (default 100, max 500) and an opaque ``cursor``; rows ordered by
  ``(updated_at, id)``; the answer is ``{"object": "list", "data": [...], "has_more": bool,
  "next_cursor": str | None}``;
* misbehaviour on demand, to practise retries: a *script* of canned answers for the first requests
  (500, 503, 429 + ``Retry-After``, 401, 404, ``"timeout"``, ``"repeat_cursor"``), or the simulation's
  fault windows (``api_429``, ``api_500``, ``api_timeouts``, ``api_outage``) keyed on the simulated day.

Start it in-process (tests, notebooks)::

    from microproduct.billing_api import running
    with running(token="secret", script=[500, 429, 200]) as api:
        httpx.get(f"{api.url}/v1/invoices", headers={"Authorization": "Bearer secret"})
        api.requests  # what was served, in order

or standalone: ``python -m microproduct serve-api --port 0 --port-file api.port``.

The server opens the SQLite store read-only for every request, so the simulator may advance (write
new rows) between two extractions without restarting the server.
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from microproduct.billing_store import ENTITIES, iso_z
from microproduct.faults import active
from microproduct.world import START_DATE
from sproutly import clock, paths
from sproutly.settings import settings

TOKEN_ENV = "BILLING_API_TOKEN"
DEFAULT_LIMIT = 100
MAX_LIMIT = 500
#: how long a "timeout" answer stalls beyond ``latency`` (clients should time out well before)
TIMEOUT_SECONDS = 5.0
#: default share of requests hit by a rate-based API fault when the config gives no ``rate``
DEFAULT_FAULT_RATES = {"api_429": 0.3, "api_500": 0.2, "api_timeouts": 0.1}

Script = list[int | str] | Callable[[int, str], int | str | None]


class MissingTokenError(RuntimeError):
    """No token was given and ``$BILLING_API_TOKEN`` is not set."""


@dataclass(frozen=True)
class RequestRecord:
    """One request the server answered: its 0-based index, path, query and the status sent."""

    index: int
    path: str
    query: dict[str, str]
    status: int


@dataclass
class BillingAPI:
    """A running server. ``url`` has no trailing slash; ``requests`` grows as requests arrive."""

    url: str
    token: str
    db_path: Path
    _requests: list[RequestRecord] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def requests(self) -> list[RequestRecord]:
        """A snapshot (copy) of the requests served so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])


class BadRequest(ValueError):
    """A query parameter the API refuses (answered with 400)."""


# --------------------------------------------------------------------------------------- cursors
def encode_cursor(updated_at: str, row_id: str) -> str:
    """Cursors are opaque to clients; here simply base64 of ``updated_at|id`` (the sort key)."""
    return base64.urlsafe_b64encode(f"{updated_at}|{row_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        updated_at, row_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise BadRequest(f"invalid cursor {cursor!r}") from error
    return updated_at, row_id


# --------------------------------------------------------------------------------------- queries
def _parse_params(query: dict[str, str]) -> tuple[str | None, int, tuple[str, str] | None]:
    since = None
    if "updated_since" in query:
        try:
            parsed = clock.parse_utc(query["updated_since"])
        except ValueError as error:
            raise BadRequest(
                f"updated_since is not ISO-8601: {query['updated_since']!r}"
            ) from error
        # Stored stamps are whole seconds: "inclusive" for a fractional bound means the next second.
        if parsed.microsecond:
            parsed = parsed.replace(microsecond=0) + timedelta(seconds=1)
        since = iso_z(parsed)
    raw_limit = query.get("limit", str(DEFAULT_LIMIT))
    try:
        limit = int(raw_limit)
    except ValueError as error:
        raise BadRequest(f"limit must be an integer, got {raw_limit!r}") from error
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
    after = decode_cursor(query["cursor"]) if query.get("cursor") else None
    return since, limit, after


def list_page(db_path: Path, entity: str, query: dict[str, str]) -> dict[str, Any]:
    """Answer one list request from the store (read-only). Raises :class:`BadRequest`."""
    table, key, columns = ENTITIES[entity]
    since, limit, after = _parse_params(query)
    where, args = [], []
    if since is not None:
        where.append("updated_at >= ?")
        args.append(since)
    if after is not None:
        where.append(f"(updated_at > ? or (updated_at = ? and {key} > ?))")
        args += [after[0], after[0], after[1]]
    sql = (
        f"select {', '.join(columns)} from {table}"  # noqa: S608 - names come from ENTITIES
        + (f" where {' and '.join(where)}" if where else "")
        + f" order by updated_at, {key} limit ?"
    )
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        rows = con.execute(sql, [*args, limit + 1]).fetchall()
    finally:
        con.close()
    has_more = len(rows) > limit
    data = [dict(zip(columns, row, strict=True)) for row in rows[:limit]]
    next_cursor = encode_cursor(data[-1]["updated_at"], data[-1][key]) if has_more else None
    return {"object": "list", "data": data, "has_more": has_more, "next_cursor": next_cursor}


# --------------------------------------------------------------------------------------- faults
def simulated_day(db_path: Path) -> int | None:
    """The simulated day (days since 2026-01-01 of "now"), or None when no clock is set.

    ``$SPROUTLY_NOW`` wins (as in :mod:`sproutly.clock`); then the clock file of the data folder
    that holds ``db_path`` (``<data>/sources/billing.db`` -> ``<data>/clock.json``); then the
    default clock.
    """
    candidate = db_path.resolve().parent.parent / "clock.json"
    try:
        if not settings().sproutly_now and candidate.exists():
            now = clock.parse_utc(clock.read_clock_file(candidate)["now"])
        else:
            now = clock.now()
    except clock.ClockNotSet:
        return None
    return (now.date() - START_DATE).days


def fault_answer(faults: dict | None, day: int | None, index: int) -> int | str | None:
    """What the simulation's fault config makes request ``index`` answer on ``day`` (None = normal).

    Rate-based faults pick requests with a hash of (fault, index), so a rerun misbehaves the same way.
    """
    if not faults or day is None:
        return None
    outage = faults.get("api_outage")
    if outage is not None and active(faults, "api_outage", day):
        return 503
    for name, answer in (("api_429", 429), ("api_500", 500), ("api_timeouts", "timeout")):
        params = faults.get(name)
        if params is None or not active(faults, name, day):
            continue
        rate = float(params.get("rate", DEFAULT_FAULT_RATES[name]))
        if random.Random(f"{name}:{index}").random() < rate:
            return answer
    return None


# --------------------------------------------------------------------------------------- server
class _Server(ThreadingHTTPServer):
    daemon_threads = True

    api: BillingAPI
    script: Script | None
    faults: dict | None
    retry_after: float
    latency: float
    timeout_seconds: float
    stopping: threading.Event
    counter: int


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "SproutlyBilling/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Silence the default stderr access log (tests and notebooks capture stderr)."""

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        server = self.server
        split = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        with server.api._lock:
            index = server.counter
            server.counter += 1
        self._record_as = (index, split.path, query)
        self._answer(index, split.path, query)

    def _record(self, status: int) -> None:
        """Log the request once, *before* its bytes go out, so a client never sees an answer
        whose record is missing from ``api.requests``."""
        if self._record_as is not None:
            with self.server.api._lock:
                self.server.api._requests.append(RequestRecord(*self._record_as, status))
            self._record_as = None

    def _answer(self, index: int, path: str, query: dict[str, str]) -> int:
        server = self.server
        if server.latency:
            server.stopping.wait(server.latency)
        canned = self._canned(index, path)
        if canned == "timeout":
            # Stall past any sensible client timeout, then answer normally (if anyone still listens).
            self._record(200)
            server.stopping.wait(server.timeout_seconds)
            canned = None
        if isinstance(canned, int) and canned != 200:
            return self._error(
                canned, "scripted" if index < _script_len(server.script) else "fault"
            )
        auth = self.headers.get("Authorization", "")
        if auth != f"Bearer {server.api.token}":
            return self._error(401, "missing or invalid bearer token")
        entity = path.removeprefix("/v1/")
        if not path.startswith("/v1/") or entity not in ENTITIES:
            return self._error(404, f"no such endpoint: {path}")
        try:
            page = list_page(server.api.db_path, entity, query)
        except BadRequest as error:
            return self._error(400, str(error))
        except sqlite3.OperationalError as error:
            return self._error(503, f"billing store unavailable: {error}")
        if canned == "repeat_cursor":
            page["next_cursor"] = query.get("cursor") or encode_cursor("", "")
            page["has_more"] = True
        return self._send(200, page)

    def _canned(self, index: int, path: str) -> int | str | None:
        server = self.server
        script = server.script
        if callable(script):
            answer = script(index, path)
            if answer is not None:
                return answer
        elif script is not None and index < len(script):
            return script[index]
        return fault_answer(server.faults, simulated_day(server.api.db_path), index)

    def _error(self, status: int, message: str) -> int:
        kinds = {400: "invalid_request", 401: "unauthorized", 404: "not_found", 429: "rate_limited"}
        body = {"error": {"type": kinds.get(status, "api_error"), "message": message}}
        headers = {}
        if status == 429:
            headers["Retry-After"] = _format_seconds(self.server.retry_after)
        return self._send(status, body, headers)

    def _send(self, status: int, body: dict, headers: dict[str, str] | None = None) -> int:
        payload = json.dumps(body).encode()
        self._record(status)
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (e.g. its timeout fired during a "timeout" answer)
        return status


def _script_len(script: Script | None) -> int:
    return len(script) if isinstance(script, list) else 0


def _format_seconds(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:g}"


def resolve_token(token: str | None) -> str:
    """The explicit token, else ``$BILLING_API_TOKEN``, else an error naming the variable."""
    token = token or settings().plain(TOKEN_ENV)
    if not token:
        raise MissingTokenError(
            f"The billing API needs a bearer token: pass token=... or set {TOKEN_ENV}."
        )
    return token


@contextmanager
def running(
    db_path: Path | None = None,
    token: str | None = None,
    *,
    script: Script | None = None,
    retry_after: float = 0.0,
    latency: float = 0.0,
    faults: dict | None = None,
    port: int = 0,
    timeout_seconds: float = TIMEOUT_SECONDS,
) -> Iterator[BillingAPI]:
    """Serve the billing store on ``127.0.0.1`` in a daemon thread for the ``with`` block.

    ``db_path`` defaults to ``sproutly.paths.billing_db_path()``; ``port=0`` picks a free port.
    ``script``: canned answers for the first ``len(script)`` requests, or a callable
    ``(request_index, path) -> status | "timeout" | "repeat_cursor" | None`` (None = normal).
    ``retry_after``: seconds sent in the ``Retry-After`` header of every 429.
    ``latency``: seconds added to every answer. ``faults``: the simulation's fault config; the
    ``api_*`` entries apply by the simulated day of the clock.
    """
    token = resolve_token(token)  # fail before opening a socket
    server = _Server(("127.0.0.1", port), _Handler)
    host, bound_port = server.server_address[:2]
    server.api = BillingAPI(
        url=f"http://{host}:{bound_port}",
        token=token,
        db_path=Path(db_path) if db_path is not None else paths.billing_db_path(),
    )
    server.script = script
    server.faults = faults
    server.retry_after = retry_after
    server.latency = latency
    server.timeout_seconds = timeout_seconds
    server.stopping = threading.Event()
    server.counter = 0
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="billing-api", daemon=True
    )
    thread.start()
    try:
        yield server.api
    finally:
        server.stopping.set()  # wakes handlers sleeping in "timeout"/latency
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
