"""The billing API (HTTP): cursor pagination, bounded retries, terminal errors, loop detection.

- ``updated_since`` = the last cursor minus the lookback window; the API answers pages ordered by
  ``(updated_at, id)`` and a ``next_cursor`` until ``has_more`` is false.
- Transient failures (timeouts, connection errors, 429, 5xx) are retried a bounded number of times
  with exponential backoff plus jitter; a 429's ``Retry-After`` is honoured (capped). Sleeping is
  injectable, so tests run in milliseconds (faults.md row 13).
- 401/403/404 and other 4xx are terminal: retrying cannot fix a wrong token or URL. One request,
  a clear message, no retry (row 15). The token's value never appears in a message.
- All pages are fetched first and written in one transaction: a failure on page 3 leaves raw and
  the cursor as they were (row 14). A ``next_cursor`` seen before is a pagination loop: fail.
- Every load is bounded (fault catalogue row 29): at most ``max_pages`` pages, a total
  ``load_deadline``, and a ``body_deadline`` per response body (a server trickling bytes is cut
  off; ``read_timeout`` only bounds the wait for each chunk). ``has_more`` must be JSON ``true`` or
  ``false`` (the string ``"false"`` is not false). A redirect, a non-JSON body or an unexpected
  status fails with a message naming the endpoint path, the page and the HTTP status, never the
  token or the full URL.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import pyarrow as pa
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

RETRYABLE_STATUS = {429, 500, 502, 503, 504}
HINTS = {
    401: "the token was rejected: check BILLING_API_TOKEN (its value is not shown)",
    403: "the token lacks permission for this endpoint",
    404: "no such endpoint: check BILLING_API_URL and the path",
}


class BillingAPIError(RuntimeError):
    """The billing API answered with an error that retrying cannot fix, or retries ran out."""


class TransientStatus(Exception):
    """A retryable HTTP status (429/5xx); carries ``Retry-After`` when the server sent one."""

    def __init__(self, status: int, where: str, retry_after: float | None) -> None:
        super().__init__(f"HTTP {status} from {where}")
        self.status = status
        self.retry_after = retry_after


class PaginationLoop(BillingAPIError):
    """The API returned a cursor it had returned before."""


@dataclass
class RetrySettings:
    max_attempts: int = 5
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    retry_after_cap: float = 60.0
    sleep: Callable[[float], None] = field(default=lambda seconds: None)
    max_pages: int = 10_000  # per load
    load_deadline: float = 1800.0  # seconds for all pages of one load, retries included
    body_deadline: float = 120.0  # seconds to receive one response body
    clock: Callable[[], float] = field(default=time.monotonic)  # injectable for tests


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _wait(settings: RetrySettings) -> Callable[[RetryCallState], float]:
    backoff = wait_exponential_jitter(
        initial=settings.backoff_initial, max=settings.backoff_max, jitter=settings.backoff_initial
    )

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, TransientStatus) and exc.retry_after is not None:
            return min(exc.retry_after, settings.retry_after_cap)
        return backoff(state)

    return wait


def _read_body(response: httpx.Response, where: str, settings: RetrySettings) -> bytes:
    """The body, or ``httpx.ReadTimeout`` (retried) when it takes longer than ``body_deadline``."""
    started = settings.clock()
    chunks = []
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        if settings.clock() - started > settings.body_deadline:
            raise httpx.ReadTimeout(
                f"{where}: the body took longer than body_deadline={settings.body_deadline:g} s "
                "(a server trickling bytes); cut off"
            )
    return b"".join(chunks)


def get_page(
    client: httpx.Client,
    path: str,
    params: dict[str, str | int],
    settings: RetrySettings,
    page: int = 1,
    deadline: float | None = None,
) -> dict:
    """GET one page with bounded retries; return its JSON body.

    Messages name ``GET <path> page <n>`` and the HTTP status; never the base URL (it may carry
    credentials) or the token. ``deadline``: a ``settings.clock()`` time after which no new
    attempt starts.
    """
    where = f"GET {path} page {page}"

    def attempt() -> dict:
        if deadline is not None and settings.clock() > deadline:
            raise BillingAPIError(
                f"{where}: load_deadline={settings.load_deadline:g} s passed; stopping without "
                "writing anything."
            )
        with client.stream("GET", path, params=params) as response:
            status = response.status_code
            if status in RETRYABLE_STATUS:
                raise TransientStatus(status, where, _retry_after(response))
            if status >= 400:
                hint = HINTS.get(status, "a client error: not retried")
                raise BillingAPIError(f"HTTP {status} from {where}: {hint}. Not retried.")
            if status != 200:
                raise BillingAPIError(
                    f"HTTP {status} from {where}: expected 200 with a JSON page (redirects are "
                    "not followed: check BILLING_API_URL). Not retried."
                )
            content_type = response.headers.get("content-type", "")
            raw = _read_body(response, where, settings)
        try:
            body = json.loads(raw)
        except ValueError:
            raise BillingAPIError(
                f"HTTP {status} from {where}: the body is not JSON ({len(raw)} bytes, "
                f"content-type {content_type[:40]!r}). Not retried."
            ) from None
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise BillingAPIError(f"HTTP {status} from {where}: unexpected body (no 'data' list)")
        return body

    retrying = Retrying(
        stop=stop_after_attempt(settings.max_attempts),
        wait=_wait(settings),
        retry=retry_if_exception_type(
            (TransientStatus, httpx.TimeoutException, httpx.TransportError)
        ),
        sleep=settings.sleep,
        reraise=True,
    )
    try:
        return retrying(attempt)
    except (TransientStatus, httpx.TimeoutException, httpx.TransportError) as exc:
        raise BillingAPIError(
            f"{where} failed after {settings.max_attempts} attempts "
            f"(last error: {type(exc).__name__}: {_without_url(exc)})"
        ) from None


def _without_url(exc: Exception) -> str:
    """An httpx error's text without the request URL (its query or host may carry secrets)."""
    text = str(exc)
    request = getattr(exc, "_request", None)
    if request is not None:
        text = text.replace(str(request.url), "<url>")
    return text


def fetch_all(
    client: httpx.Client,
    path: str,
    *,
    updated_since: str | None,
    page_size: int,
    settings: RetrySettings,
    on_page: Callable[[int, int], None] | None = None,
) -> pa.Table:
    """Every page of ``path`` as numbered JSON lines (``_n, _line, _src, _loc``), nothing written yet."""
    deadline = settings.clock() + settings.load_deadline
    lines: list[str] = []
    srcs: list[str] = []
    locs: list[str] = []
    cursor: str | None = None
    seen: set[str] = set()
    page = 0
    while True:
        page += 1
        params: dict[str, str | int] = {"limit": page_size}
        if updated_since:
            params["updated_since"] = updated_since
        if cursor:
            params["cursor"] = cursor
        body = get_page(client, path, params, settings, page=page, deadline=deadline)
        for item_number, item in enumerate(body["data"], start=1):
            lines.append(json.dumps(item, sort_keys=True))
            srcs.append(f"GET {path} page {page}")
            locs.append(f"GET {path} page {page} item {item_number}")
        if on_page:
            on_page(page, len(body["data"]))
        has_more = body.get("has_more")
        if has_more is not True and has_more is not False:
            raise BillingAPIError(
                f"GET {path} page {page}: has_more is {json.dumps(has_more)[:20]}, not true or "
                "false; stopping without writing anything."
            )
        if not has_more:
            break
        if page >= settings.max_pages:
            raise BillingAPIError(
                f"GET {path} page {page}: still has_more after max_pages={settings.max_pages} "
                "pages; stopping without writing anything."
            )
        next_cursor = body.get("next_cursor")
        if not next_cursor:
            raise BillingAPIError(f"GET {path} page {page}: has_more is true but no next_cursor")
        if next_cursor in seen or next_cursor == cursor:
            raise PaginationLoop(
                f"GET {path} page {page}: the API repeated cursor {next_cursor!r}; "
                "stopping (pagination loop) without writing anything."
            )
        seen.add(next_cursor)
        cursor = next_cursor
    return pa.table(
        {
            "_n": pa.array(range(1, len(lines) + 1), pa.int64()),
            "_line": pa.array(lines, pa.string()),
            "_src": pa.array(srcs, pa.string()),
            "_loc": pa.array(locs, pa.string()),
        }
    )
