"""The HTTP layer: a FastAPI app served by uvicorn.

- Binds to the IPv4 loopback range only (``127.0.0.0/8``); anything else is refused before a
  socket is opened. Putting an API on a network is a deployment decision (a reverse proxy with
  TLS and auth), not a default.
- Every request reads ONE published generation from start to end (:meth:`PublishedStore.pinned`):
  the answer never mixes the metadata of one publish with the rows of the next.
- Every answer is JSON. Errors say what is wrong: 400 (bad parameter), 404 (unknown route, day or
  user), 405 (not GET), 422 (a typed parameter of an extra router is invalid), 503 (nothing
  published yet), 500 (a bug: details go to the log only). ``/docs`` and ``/openapi.json``
  describe the endpoints.
- One access-log line per request: method, path, the *names* of the query parameters (values
  can carry anything a client typed), status and duration, with control characters escaped (a
  ``%0a`` cannot forge a log line). No headers, no bodies, no secrets.
- Slow clients are bounded: a connection must deliver its request headers within
  ``header_timeout`` seconds, idle keep-alive connections close after 5 s, and at most
  :data:`MAX_CONNECTIONS` are open at once (more get a 503).
- Extra endpoints: pass ``routers=[APIRouter(...)]`` (FastAPI's own way), or ``routes={path:
  handler}`` where ``handler(store, query) -> (status, payload)`` has the built-in endpoints'
  signature and error handling (raise :class:`serving.api.BadRequest` for a 400). Built-in paths
  cannot be replaced.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, parse_qsl

import orjson
import uvicorn
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException as StarletteHTTPException
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from serving import api
from serving.store import NeedsIO, NoPublishedCopy, PinnedStore, PublishedStore

log = logging.getLogger("serving")
access_log = logging.getLogger("serving.access")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
PORT_ENV = "SERVING_PORT"
#: Seconds a connection may take to deliver a request's headers (slow clients are cut off).
HEADER_TIMEOUT_SECONDS = 5.0
#: Open connections at most; beyond, uvicorn answers 503 at once.
MAX_CONNECTIONS = 64

#: An extra endpoint: ``(store, query parameters) -> (HTTP status, JSON payload)``.
Endpoint = Callable[[PinnedStore, dict[str, list[str]]], api.Response]
#: The built-in endpoints' paths (``/v1/users/{user_id}/summary`` is matched by shape).
BUILT_IN_PATHS = ("/health", "/v1/metrics/mrr", "/v1/metrics/daily", "/docs", "/openapi.json")
#: Where /docs loads Swagger UI from: files bundled in the fastapi-offline wheel (no CDN).
DOCS_STATIC = "/static-offline-docs"
_SEGMENT = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
_UNSAFE = re.compile(r"[^\x21-\x7e]")


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
    if (
        path in BUILT_IN_PATHS
        or is_user_summary(segments[1:])
        or path.startswith((DOCS_STATIC, "/docs/"))
    ):
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


def safe(text: str, limit: int = 200) -> str:
    """``text`` for a log line: control characters, spaces and non-ASCII escaped, bounded."""
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode() or "?", text[:limit])


# ---------------------------------------------------------------------------- the app


async def published(request: Request) -> AsyncIterator[PinnedStore]:
    """The published copy pinned for this request (one generation from start to end). It does
    no I/O itself (the copy is opened at the first read, in the endpoint's thread), so it runs on
    the event loop instead of costing two trips through the thread pool."""
    with request.app.state.store.pinned() as store:
        yield store


#: A route parameter: ``store: Published`` is the published copy pinned for the request.
Published = Annotated[PinnedStore, Depends(published)]


class FastJSON(JSONResponse):
    """JSON rendered by orjson (the same text for the marts' values, several times faster than
    ``json.dumps``: at 20 clients that decides the p95)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def respond(call: Callable[[], api.Response], request: Request) -> JSONResponse:
    """Run an endpoint: ``BadRequest`` is a 400, a bug a 500 (details to the log only)."""
    try:
        status, payload = call()
    except NeedsIO:
        raise
    except api.BadRequest as error:
        status, payload = 400, {"error": str(error)}
    except NoPublishedCopy as error:
        status, payload = 503, {"error": str(error)}
    except Exception:
        log.exception("error answering GET %s", safe(request.url.path))
        status, payload = 500, {"error": "internal error (see the server log)"}
    return FastJSON(payload, status_code=status, headers={"Cache-Control": "no-store"})


async def answer(request: Request, call: Callable[[PinnedStore], api.Response]) -> JSONResponse:
    """A built-in endpoint over the copy pinned for this request: first on the event loop from
    cached answers only (``io=False``: no thread hop; most requests end here), else again in a
    worker thread with I/O allowed, on the same generation. Endpoints only read, so running one
    twice is safe. (No ``Depends`` here: resolving a dependency costs more than the answer.)"""
    with request.app.state.store.pinned(io=False) as store:
        try:
            return respond(lambda: call(store), request)
        except NeedsIO:
            store.io = True
            return await run_in_threadpool(respond, lambda: call(store), request)


def query_of(request: Request) -> dict[str, list[str]]:
    """The query parameters as lists (repeated and unknown names are the endpoints' errors)."""
    try:
        return parse_qs(request.url.query, keep_blank_values=True, max_num_fields=20)
    except ValueError:
        raise api.BadRequest("too many query parameters") from None


DateParam = Annotated[str | None, Query(description="YYYY-MM-DD", examples=["2026-01-30"])]

router = APIRouter()


@router.get("/health", summary="Status, publish time, days covered, lag, row counts")
async def health(request: Request) -> JSONResponse:
    def call(store: PinnedStore) -> api.Response:
        api.single(query_of(request), set())
        return api.health(store)

    return await answer(request, call)


@router.get("/v1/metrics/mrr", summary="MRR series from fct_mrr_daily (default: last 30 days)")
async def mrr(request: Request, start: DateParam = None, end: DateParam = None) -> JSONResponse:
    return await answer(request, lambda store: api.mrr_series(store, query_of(request)))


@router.get("/v1/metrics/daily", summary="metrics_daily for one date or a start..end range")
async def daily(
    request: Request, date: DateParam = None, start: DateParam = None, end: DateParam = None
) -> JSONResponse:
    return await answer(request, lambda store: api.daily_metrics(store, query_of(request)))


@router.get("/v1/users/{user_id}/summary", summary="A user (without e-mail) and subscriptions")
async def user_summary(request: Request, user_id: str) -> JSONResponse:
    return await answer(request, lambda store: api.user_summary(store, user_id, query_of(request)))


def extra_route(path: str, handler: Endpoint) -> Callable[..., JSONResponse]:
    def endpoint(request: Request, store: Published) -> JSONResponse:
        return respond(lambda: handler(store, query_of(request)), request)

    endpoint.__name__ = "extra_" + path.strip("/").replace("/", "_").replace("-", "_")
    endpoint.__doc__ = handler.__doc__
    return endpoint


def json_error(status: int, payload: dict[str, Any], **headers: str) -> JSONResponse:
    return JSONResponse(
        payload, status_code=status, headers={"Cache-Control": "no-store", **headers}
    )


def create_app(
    store: PublishedStore,
    routes: Mapping[str, Endpoint] | None = None,
    routers: Iterable[APIRouter] = (),
) -> ReadOnly:
    """The read API over ``store``, with any extra ``routes`` and ``routers`` next to the
    built-in endpoints."""
    extras = check_routes(routes)
    app = FastAPIOffline(
        title="Sproutly read API",
        summary="The published marts, read-only (chapter 07)",
        version="1",
        redirect_slashes=False,
        default_response_class=FastJSON,
        redoc_url=None,
        static_url=DOCS_STATIC,
        swagger_ui_parameters={"validatorUrl": None},  # Swagger UI's online validator: off
        # FastAPI's native OpenTelemetry: off (nothing is exported from here, and its spans
        # cost time on every request even without a configured provider)
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    app.state.store = store
    app.include_router(router)
    for path, handler in extras.items():
        app.add_api_route(path, extra_route(path, handler), methods=["GET"])
    for extra in routers:
        for route in extra.routes:
            route_path(getattr(route, "path", ""))  # built-ins cannot be replaced
        app.include_router(extra)
    listed = [
        "/health",
        "/v1/metrics/mrr?start=YYYY-MM-DD&end=YYYY-MM-DD",
        "/v1/metrics/daily?date=YYYY-MM-DD",
        "/v1/metrics/daily?start=YYYY-MM-DD&end=YYYY-MM-DD",
        "/v1/users/{user_id}/summary",
        "/docs",
        "/openapi.json",
        *sorted([*extras, *(r.path for extra in routers for r in extra.routes)]),
    ]

    @app.exception_handler(StarletteHTTPException)
    def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        if error.status_code == 404:
            path = safe(request.url.path, 100)
            return json_error(404, {"error": f"no such endpoint: {path}", "endpoints": listed})
        return json_error(error.status_code, {"error": str(error.detail)})

    @app.exception_handler(RequestValidationError)
    def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = [
            f"{'.'.join(str(part) for part in e['loc'])}: {e['msg']}" for e in error.errors()
        ]
        return json_error(422, {"error": "; ".join(problems)})

    @app.exception_handler(api.BadRequest)
    def bad_request(request: Request, error: api.BadRequest) -> JSONResponse:
        return json_error(400, {"error": str(error)})

    @app.exception_handler(NoPublishedCopy)
    def unavailable(request: Request, error: NoPublishedCopy) -> JSONResponse:
        return json_error(503, {"error": str(error)})

    @app.exception_handler(Exception)
    def bug(request: Request, error: Exception) -> JSONResponse:
        log.error("error answering GET %s: %s", safe(request.url.path), type(error).__name__)
        return json_error(500, {"error": "internal error (see the server log)"})

    return ReadOnly(app)


class ReadOnly:
    """ASGI wrapper: normalises the path (``//v1/x/`` is ``/v1/x``), answers anything but GET
    and HEAD with 405, and writes the access log (parameter names only, escaped)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def __getattr__(self, name: str) -> Any:  # app.state, app.routes, ... for callers
        return getattr(self.app, name)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path = "/" + "/".join(s for s in scope["path"].split("/") if s)
        scope = {**scope, "path": path, "raw_path": path.encode()}
        status = 500

        async def send_status(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        if scope["method"] not in ("GET", "HEAD"):
            response = json_error(
                405,
                {"error": f"{safe(scope['method'], 20)} is not allowed: this API is read-only"},
                Allow="GET",
                Connection="close",
            )
            await response(scope, receive, send_status)
        else:
            await self.app(scope, receive, send_status)
        query = scope.get("query_string", b"").decode("latin-1")
        try:
            names = sorted({name for name, _ in parse_qsl(query, True, max_num_fields=20)})
        except ValueError:
            names = ["..."]
        access_log.info(
            "%s %s%s %d %.1fms",
            safe(scope["method"], 20),
            safe(path),
            f"?{safe('&'.join(names))}" if names else "",
            status,
            (time.perf_counter() - started) * 1000,
        )


# ---------------------------------------------------------------------------- the server


class BoundedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline for request headers: a client that
    trickles bytes (slowloris) is disconnected after ``header_timeout`` seconds."""

    header_timeout = HEADER_TIMEOUT_SECONDS

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # TCP_NODELAY: uvicorn writes the headers and the body separately; with Nagle's
        # algorithm on, the body waits for the client's delayed ACK (~40 ms on Linux). asyncio
        # sets it only for sockets created with proto=IPPROTO_TCP: set it here, always.
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._deadline: asyncio.TimerHandle | None = None
        self._arm()

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if getattr(self, "_deadline", None) is not None:
            self._deadline.cancel()
            self._deadline = None

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and not self.pipeline:
            self._arm()

    def connection_lost(self, exc) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _too_slow(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            log.warning("closed a connection that sent no complete request headers in time")
            self.transport.close()


class ServingServer:
    """uvicorn on a socket bound at construction (errors surface before serving starts)."""

    def __init__(
        self,
        host: str,
        port: int,
        store: PublishedStore,
        routes: Mapping[str, Endpoint] | None = None,
        routers: Iterable[APIRouter] = (),
        header_timeout: float = HEADER_TIMEOUT_SECONDS,
    ) -> None:
        self.store = store
        self.app = create_app(store, routes, routers)
        address = (loopback_host(host), check_port(port))
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.socket.bind(address)
            self.socket.listen(MAX_CONNECTIONS)
        except OSError:
            self.socket.close()
            raise
        self.server_address = self.socket.getsockname()
        protocol = type("Protocol", (BoundedProtocol,), {"header_timeout": header_timeout})
        config = uvicorn.Config(
            self.app,
            http=protocol,
            loop="auto",  # uvloop when installed (it is: uvicorn[standard] via dagster-webserver)
            lifespan="off",
            access_log=False,  # ours (ReadOnly) logs parameter names, never values
            server_header=False,
            date_header=False,
            log_config=None,
            timeout_keep_alive=5,
            limit_concurrency=MAX_CONNECTIONS,
            backlog=MAX_CONNECTIONS,
        )
        self.server = uvicorn.Server(config)
        self._stopped = threading.Event()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def serve_forever(self) -> None:
        """Serve until :meth:`shutdown` (blocks; run it in a thread)."""
        self._stopped.clear()
        try:
            self.server.run(sockets=[self.socket])
        finally:
            self._stopped.set()

    def shutdown(self) -> None:
        self.server.should_exit = True
        if self.server.started:
            self._stopped.wait(timeout=10)

    def server_close(self) -> None:
        self.socket.close()


def make_server(
    port: int = 0,
    *,
    host: str = DEFAULT_HOST,
    path: Path | None = None,
    routes: Mapping[str, Endpoint] | None = None,
    routers: Iterable[APIRouter] = (),
    header_timeout: float = HEADER_TIMEOUT_SECONDS,
) -> ServingServer:
    """A bound (not yet serving) server over the published copy at ``path``
    (default :func:`sproutly.paths.serving_path`). ``port=0`` picks a free port; ``routers``
    and ``routes`` add endpoints next to the built-in ones."""
    return ServingServer(
        host, port, PublishedStore(path), routes, list(routers), header_timeout=header_timeout
    )


@contextmanager
def running(
    port: int = 0,
    *,
    host: str = DEFAULT_HOST,
    path: Path | None = None,
    routes: Mapping[str, Endpoint] | None = None,
    routers: Iterable[APIRouter] = (),
    header_timeout: float = HEADER_TIMEOUT_SECONDS,
) -> Iterator[str]:
    """Serve in a background thread for the ``with`` block; yields the base URL.

    Example::

        with running() as url:
            httpx.get(f"{url}/health").json()

        ping = APIRouter()                           # an extra endpoint

        @ping.get("/v1/ping")
        def pong() -> dict:
            return {"pong": True}

        with running(routers=[ping]) as url:
            httpx.get(f"{url}/v1/ping").json()
    """
    server = make_server(
        port, host=host, path=path, routes=routes, routers=routers, header_timeout=header_timeout
    )
    thread = threading.Thread(target=server.serve_forever, name="serving", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.005)
    try:
        yield server.url
    finally:
        server.shutdown()
        server.server_close()
        server.store.close()
        thread.join(timeout=5)
