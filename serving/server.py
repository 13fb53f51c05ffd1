"""The HTTP layer: standard library only (``http.server.ThreadingHTTPServer``).

- Binds to the IPv4 loopback range only (``127.0.0.0/8``); anything else is refused before a
  socket is opened. Putting an API on a network is a deployment decision (a reverse proxy with
  TLS and auth), not a default.
- One thread per connection; HTTP/1.1 keep-alive lets a client reuse its connection (and thread).
- Every answer is JSON. Errors say what is wrong: 400 (bad parameter), 404 (unknown route, day or
  user), 405 (not GET), 503 (nothing published yet), 500 (a bug: details go to the log only).
- One access-log line per request: method, path, the *names* of the query parameters (values
  can carry anything a client typed), status and duration. No headers, no bodies, no secrets.
- Extra endpoints can be registered without editing this module: pass ``routes={path: handler}``
  to :func:`make_server` or :func:`running`. A handler has the built-in endpoints' signature,
  ``handler(store, query) -> (status, payload)``, and the same error handling (raise
  :class:`serving.api.BadRequest` for a 400). Built-in paths cannot be replaced.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from serving import api
from serving.store import NoPublishedCopy, PublishedStore

log = logging.getLogger("serving")
access_log = logging.getLogger("serving.access")

#: The interpreter's thread switch interval for a server process (Python's default is 5 ms).
#: Handler threads release the GIL for every socket call and then queue to take it back; with
#: 20 busy connections, waiting up to 5 ms each time dominated latency (measured: p95 30 ms at
#: the default vs 15 ms at 1 ms on a shared 2-core machine).
SWITCH_INTERVAL_SECONDS = 0.001

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
PORT_ENV = "SERVING_PORT"

#: An endpoint: ``(store, query parameters) -> (HTTP status, JSON payload)``.
Endpoint = Callable[[PublishedStore, dict[str, list[str]]], api.Response]
#: The built-in endpoints' paths (``/v1/users/{user_id}/summary`` is matched by shape).
BUILT_IN_PATHS = ("/health", "/v1/metrics/mrr", "/v1/metrics/daily")
_SEGMENT = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")


class NotLoopback(ValueError):
    """The server refuses to listen on anything but the loopback range."""


def loopback_host(host: str) -> str:
    """``host`` if it is an IPv4 loopback address (``localhost`` means 127.0.0.1), else raise."""
    if host == "localhost":
        return DEFAULT_HOST
    try:
        address = ipaddress.IPv4Address(host)
    except ValueError:
        raise NotLoopback(
            f"serving binds to 127.0.0.0/8 only; {host!r} is not an IPv4 address"
        ) from None
    if not address.is_loopback:
        raise NotLoopback(f"serving binds to 127.0.0.0/8 only; refusing {host}")
    return host


def is_user_summary(segments: list[str]) -> bool:
    """``/v1/users/{user_id}/summary``: the built-in route matched by shape, not by path."""
    return len(segments) == 4 and segments[:2] == ["v1", "users"] and segments[3] == "summary"


def route_path(path: str) -> str:
    """An extra endpoint's path, checked: lower-case segments of letters, digits, ``-`` and
    ``_`` (``/v1/metrics/active-users``), and not a built-in endpoint."""
    segments = path.split("/")
    if not path.startswith("/") or not all(_SEGMENT.fullmatch(s) for s in segments[1:]):
        raise ValueError(
            f"an endpoint path looks like /v1/metrics/active-users (lower-case segments of "
            f"letters, digits, - and _), got {path!r}"
        )
    if path in BUILT_IN_PATHS or is_user_summary(segments[1:]):
        raise ValueError(f"{path} is a built-in endpoint: choose another path")
    return path


def check_routes(routes: Mapping[str, Endpoint] | None) -> dict[str, Endpoint]:
    """Extra endpoints by checked path; each handler must be callable."""
    checked: dict[str, Endpoint] = {}
    for path, handler in (routes or {}).items():
        if not callable(handler):
            raise TypeError(f"the handler for {path} is a {type(handler).__name__}, not a function")
        checked[route_path(path)] = handler
    return checked


def check_port(port: int) -> int:
    if not 0 <= port <= 65535:
        raise ValueError(f"port must be 0..65535 (0 = a free port), got {port}")
    return port


class ServingServer(ThreadingHTTPServer):
    """A threading HTTP server that carries the :class:`PublishedStore` its handlers read."""

    daemon_threads = True  # an idle keep-alive connection never blocks shutdown
    request_queue_size = 64  # room for bursts of concurrent connects

    def __init__(
        self,
        host: str,
        port: int,
        store: PublishedStore,
        routes: Mapping[str, Endpoint] | None = None,
    ) -> None:
        self.store = store
        self.routes = check_routes(routes)
        super().__init__((loopback_host(host), check_port(port)), Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


class Handler(BaseHTTPRequestHandler):
    """Routes GET requests to :mod:`serving.api` and writes JSON answers."""

    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse connections
    server_version = "sproutly-serving"
    sys_version = ""  # do not advertise the Python version
    timeout = 30  # seconds an idle keep-alive connection may hold its thread
    # TCP_NODELAY: headers and body leave as two small writes; with Nagle's algorithm on, the
    # second waits for the client's delayed ACK (~40 ms on Linux): every answer would take 40 ms.
    disable_nagle_algorithm = True
    server: ServingServer

    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
        started = time.perf_counter()
        parts = urlsplit(self.path)
        query: dict[str, list[str]] = {}
        try:
            try:
                query = parse_qs(parts.query, keep_blank_values=True, max_num_fields=20)
            except ValueError:
                raise api.BadRequest("too many query parameters") from None
            status, payload = self.route(parts.path, query)
        except api.BadRequest as error:
            status, payload = 400, {"error": str(error)}
        except NoPublishedCopy as error:
            status, payload = 503, {"error": str(error)}
        except Exception:  # a bug: the log gets the traceback, the client a generic message
            log.exception("error answering %s %s", self.command, parts.path)
            status, payload = 500, {"error": "internal error (see the server log)"}
        self.send_json(status, payload)
        elapsed_ms = (time.perf_counter() - started) * 1000
        names = "&".join(sorted(query))
        access_log.info(
            "%s %s%s %d %.1fms",
            self.command,
            parts.path,
            f"?{names}" if names else "",
            status,
            elapsed_ms,
        )

    def route(self, path: str, query: dict[str, list[str]]) -> api.Response:
        store = self.server.store
        segments = [s for s in path.split("/") if s]
        if segments == ["health"]:
            api.single(query, set())
            return api.health(store)
        if segments == ["v1", "metrics", "mrr"]:
            return api.mrr_series(store, query)
        if segments == ["v1", "metrics", "daily"]:
            return api.daily_metrics(store, query)
        if is_user_summary(segments):
            return api.user_summary(store, segments[2], query)
        extra = self.server.routes.get("/" + "/".join(segments))
        if extra is not None:
            return extra(store, query)
        return 404, {
            "error": f"no such endpoint: {path[:100]}",
            "endpoints": [
                "/health",
                "/v1/metrics/mrr?start=YYYY-MM-DD&end=YYYY-MM-DD",
                "/v1/metrics/daily?date=YYYY-MM-DD",
                "/v1/metrics/daily?start=YYYY-MM-DD&end=YYYY-MM-DD",
                "/v1/users/{user_id}/summary",
                *sorted(self.server.routes),
            ],
        }

    def not_allowed(self) -> None:
        # The request body (if any) is not read, so this connection cannot carry another request.
        self.close_connection = True
        self.send_json(405, {"error": f"{self.command} is not allowed: this API is read-only"})
        access_log.info("%s %s 405", self.command, urlsplit(self.path).path)

    do_POST = do_PUT = do_PATCH = do_DELETE = not_allowed  # noqa: N815

    def send_json(self, status: int, payload: dict) -> None:
        """Status line, headers and body in ONE write (one packet for a small answer)."""
        body = json.dumps(payload, allow_nan=False, separators=(",", ":")).encode()
        reason = self.responses.get(status, ("",))[0]
        extra = "Allow: GET\r\n" if status == 405 else ""
        if self.close_connection:
            extra += "Connection: close\r\n"
        head = (
            f"{self.protocol_version} {status} {reason}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Cache-Control: no-store\r\n"
            f"{extra}\r\n"
        )
        self.wfile.write(head.encode("latin-1") + body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - base class signature
        """http.server's own messages (malformed requests, timeouts) go to the logger."""
        log.warning("%s: %s", self.address_string(), format % args)


def make_server(
    port: int = 0,
    *,
    host: str = DEFAULT_HOST,
    path: Path | None = None,
    routes: Mapping[str, Endpoint] | None = None,
) -> ServingServer:
    """A bound (not yet serving) server over the published copy at ``path``
    (default :func:`sproutly.paths.serving_path`). ``port=0`` picks a free port; ``routes``
    adds endpoints (``{"/v1/metrics/active-users": handler}``) next to the built-in ones."""
    return ServingServer(host, port, PublishedStore(path), routes)


@contextmanager
def running(
    port: int = 0,
    *,
    host: str = DEFAULT_HOST,
    path: Path | None = None,
    routes: Mapping[str, Endpoint] | None = None,
) -> Iterator[str]:
    """Serve in a background thread for the ``with`` block; yields the base URL.

    Example::

        with running() as url:
            httpx.get(f"{url}/health").json()

        def ping(store, query):                      # an extra endpoint
            return 200, {"pong": True}

        with running(routes={"/v1/ping": ping}) as url:
            httpx.get(f"{url}/v1/ping").json()
    """
    server = make_server(port, host=host, path=path, routes=routes)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="serving", daemon=True
    )
    thread.start()
    try:
        yield server.url
    finally:
        server.shutdown()
        server.server_close()
        server.store.close()
        thread.join(timeout=5)
