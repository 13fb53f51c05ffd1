"""Exercise checks for chapter 07: an endpoint a learner adds to the read API, checked over HTTP.

Each check starts the real server (``serving.running``) with the learner's FastAPI
``APIRouter`` added through ``routers=``, calls it like a client would, and compares the answers
with a query of the published copy (the only data the API may read). Nothing is mocked.

    exercise_checks.active_users_endpoint(active_users)   # GET /v1/metrics/active-users
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import httpx
import pandas as pd

from workbook import checks

ACTIVE_USERS_PATH = "/v1/metrics/active-users"


def _router(router: Any, name: str, path: str) -> None:
    from fastapi import APIRouter

    checks.answered(router, name)
    if not isinstance(router, APIRouter):
        checks._fail(
            f"{name} is a {type(router).__name__}, not a FastAPI APIRouter.",
            f"{name} = APIRouter(), then decorate a function with @{name}.get({path!r}).",
        )
    paths = sorted(getattr(route, "path", "?") for route in router.routes)
    if path not in paths:
        checks._fail(
            f"{name} has no route {path} (its routes: {paths or 'none'}).",
            f"decorate your endpoint with @{name}.get({path!r}).",
        )


@contextmanager
def _served(router: Any, path=None) -> Iterator[httpx.Client]:
    from serving import running

    with (
        running(path=path, routers=[router]) as url,
        httpx.Client(base_url=url, timeout=10) as client,
    ):
        yield client


def _json(response: httpx.Response, what: str) -> Any:
    try:
        return response.json()
    except ValueError:
        checks._fail(f"{what}: the answer is not JSON: {response.text[:200]!r}.")


def _field(body: Any, name: str, expected: Any, what: str) -> None:
    """``body[name] == expected``, failing with a message that tells a missing key apart."""
    if not isinstance(body, dict) or name not in body:
        checks._fail(
            f"the answer to {what} has no {name!r}: {str(body)[:200]}.",
            f"put {name!r} into the payload you return.",
        )
    if body[name] != expected:
        checks._fail(f"{name!r} in the answer to {what} is {body[name]!r}, expected {expected!r}.")


def coverage() -> tuple[date, date]:
    """First and last day of ``metrics_daily`` in the published copy."""
    from workbook.query import query

    row = query(
        "select min(date_day) as first_day, max(date_day) as last_day from metrics_daily",
        database="serving",
    ).iloc[0]
    return row["first_day"].date(), row["last_day"].date()


def active_users_reference(start: date, end: date) -> pd.DataFrame:
    """What ``/v1/metrics/active-users`` must answer: ``metrics_daily``'s dau/wau/mau, read
    from the published copy, one row per covered day between ``start`` and ``end``."""
    from workbook.query import query

    return query(
        "select strftime(date_day, '%Y-%m-%d') as date_day, dau, wau, mau from metrics_daily "
        "where date_day between ? and ? order by date_day",
        [start, end],
        database="serving",
    )


def active_users_endpoint(router: Any) -> None:
    """``GET /v1/metrics/active-users?start=YYYY-MM-DD&end=YYYY-MM-DD`` answers 200 with
    ``{"start", "end", "days": [{"date_day", "dau", "wau", "mau"}, ...]}`` (days in order,
    only days the copy covers), 422 for a missing or malformed date (typed parameters) and 400
    for a reversed range."""
    _router(router, "active_users", ACTIVE_USERS_PATH)
    first, last = coverage()
    ranges = [
        (last - timedelta(days=6), last),  # the last week
        (first - timedelta(days=3), first + timedelta(days=2)),  # starts before the coverage
        (last, last),  # one day
    ]
    with _served(router) as client:
        for start, end in ranges:
            what = f"GET {ACTIVE_USERS_PATH}?start={start}&end={end}"
            response = client.get(ACTIVE_USERS_PATH, params={"start": str(start), "end": str(end)})
            body = _json(response, what)
            if response.status_code != 200:
                checks._fail(
                    f"{what} answered {response.status_code}: {body}.",
                    "return the payload for a valid range; a 500 means your endpoint raised "
                    "(the traceback is in the server log above).",
                )
            if not isinstance(body, dict) or not isinstance(body.get("days"), list):
                checks._fail(
                    f"{what}: expected an object with a list under 'days', got {str(body)[:200]}.",
                    'return {"start": ..., "end": ..., "days": rows}.',
                )
            _field(body, "start", str(start), what)
            _field(body, "end", str(end), what)
            expected = active_users_reference(start, end)
            mine = pd.DataFrame(body["days"])
            checks.columns(mine, ["date_day", "dau", "wau", "mau"], exact=True)
            checks.same_rows(mine, expected, key="date_day")
            checks.equal(
                list(mine["date_day"]),
                list(expected["date_day"]),
                what=f"{what}: the order of the days",
                hint="order by date_day.",
            )
        bad = {  # case: (parameters, status, hint)
            "end missing": ({"start": str(last)}, 422, "declare end: date (no default)."),
            "a malformed date": (
                {"start": "yesterday", "end": str(last)},
                422,
                "declare start: date and end: date: FastAPI validates them.",
            ),
            "start after end": (
                {"start": str(last), "end": str(last - timedelta(days=1))},
                400,
                "call api.check_range(start, end): it raises api.BadRequest, which the server "
                "turns into a 400.",
            ),
        }
        for case, (params, status, hint) in bad.items():
            response = client.get(ACTIVE_USERS_PATH, params=params)
            checks.equal(
                response.status_code, status, what=f"the status for {case} ({params})", hint=hint
            )
