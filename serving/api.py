"""The endpoints: validate parameters, read the published marts, shape JSON.

No business logic lives here. Every number comes from a column that dbt defines and tests
(``fct_mrr_daily``, ``metrics_daily``, ``dim_users``, ``fct_subscriptions``); this module only
selects rows, with *bound* parameters (never string formatting of user input into SQL).

Each handler returns ``(status, payload)``; :mod:`serving.server` turns that into HTTP. ``store``
is the published copy pinned for the request: all its reads come from one generation.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from serving.store import NoPublishedCopy, Row, Store
from sproutly import clock

#: Longest date range one request may ask for (inclusive days).
MAX_RANGE_DAYS = 1096
#: Days returned by the MRR series when no ``start`` is given (ending at ``end``).
DEFAULT_RANGE_DAYS = 30
#: Published copies with at most this many users keep every user summary in memory.
PRELOAD_MAX_USERS = 200_000
#: User ids are BIGINT in the marts.
MAX_USER_ID = 2**63 - 1

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INT = re.compile(r"[0-9]{1,19}")

MRR_COLUMNS = (
    "date_day, mrr, arr, new_mrr, expansion_mrr, contraction_mrr, churned_mrr, reactivation_mrr, "
    "net_new_mrr, paying_users, new_paying_users, churned_users, reactivated_users, "
    "active_subscriptions"
)
# The user summary leaves out e-mail: the read path exposes no personal contact data.
USER_COLUMNS = (
    "user_id, country_code, timezone, signup_channel, signed_up_at, signed_up_date, "
    "signup_cohort_month, deleted_at, is_deleted, is_activated, activated_at, "
    "is_activation_window_complete, subscriptions, first_trial_started_at, first_paid_at, "
    "current_mrr_amount, is_paying"
)
SUBSCRIPTION_COLUMNS = (
    "subscription_id, plan_id, subscription_status, created_at, trial_started_at, "
    "trial_ended_at, started_at, current_period_start_at, current_period_end_at, "
    "is_canceling_at_period_end, canceled_at, ended_at, has_trial, is_trial_converted, "
    "has_ended, first_paying_date, last_paying_date, peak_mrr_amount, current_mrr_amount"
)

Response = tuple[int, dict[str, Any]]


class BadRequest(ValueError):
    """A parameter is missing, malformed or out of bounds (HTTP 400)."""


# ---------------------------------------------------------------------------- parameters


def parse_date(name: str, value: str) -> date:
    """A calendar date written ``YYYY-MM-DD`` (nothing else is accepted)."""
    if not _DATE.fullmatch(value):
        raise BadRequest(f"{name} must be a date written YYYY-MM-DD, got {value[:40]!r}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"{name} is not a real calendar date: {value!r}") from None


def parse_user_id(value: str) -> int:
    """A positive integer that fits a BIGINT."""
    if not _INT.fullmatch(value) or not 0 < int(value) <= MAX_USER_ID:
        raise BadRequest(f"user_id must be a positive integer, got {value[:40]!r}")
    return int(value)


def single(query: dict[str, list[str]], allowed: set[str]) -> dict[str, str]:
    """Query parameters as single values; unknown or repeated names are errors."""
    unknown = sorted(set(query) - allowed)
    if unknown:
        raise BadRequest(
            f"unknown parameter(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )
    repeated = sorted(name for name, values in query.items() if len(values) > 1)
    if repeated:
        raise BadRequest(f"parameter(s) given more than once: {', '.join(repeated)}")
    return {name: values[0] for name, values in query.items()}


def check_range(start: date, end: date) -> None:
    if start > end:
        raise BadRequest(f"start ({start}) is after end ({end})")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise BadRequest(f"a range covers at most {MAX_RANGE_DAYS} days")


# ---------------------------------------------------------------------------- JSON values


def to_json_value(value: Any) -> Any:
    """DuckDB values as JSON: timestamps (naive UTC) as ISO-8601 with ``Z``, dates as
    ``YYYY-MM-DD``, decimals as numbers (their shortest float text equals the decimal text for
    the marts' ``decimal(18,4)`` amounts)."""
    if isinstance(value, datetime):
        return value.isoformat() + "Z"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def to_json_row(row: Row) -> dict[str, Any]:
    return {name: to_json_value(value) for name, value in row.items()}


# ---------------------------------------------------------------------------- reads


def published_meta(store: Store) -> Row:
    """When and from where the current copy was published, and the days it covers."""
    rows = store.query(
        "select p.published_at, p.warehouse, p.row_counts::varchar as row_counts, "
        "(select min(date_day) from metrics_daily) as first_day, "
        "(select max(date_day) from metrics_daily) as last_day "
        "from _published as p",
        cache_key=("meta",),
    )
    return rows[0]


def health(store: Store) -> Response:
    """Status, publish time, last day covered, lag behind the simulated clock, row counts."""
    try:
        meta = published_meta(store)
    except NoPublishedCopy as error:
        return 503, {"status": "unavailable", "error": str(error)}
    try:
        now = clock.now()
    except clock.ClockNotSet:
        now = None
    last_day: date | None = meta["last_day"]
    lag_days = lag_hours = None
    if now is not None and last_day is not None:
        # lag_days matches orchestration's published-marts check: 1 = covers the last complete
        # day. lag_hours: from the end of the last covered day to "now" (0 = fully current).
        lag_days = (now.date() - last_day).days
        covered_until = datetime.combine(last_day + timedelta(days=1), datetime.min.time())
        lag_hours = round((now - covered_until).total_seconds() / 3600, 2)
    return 200, {
        "status": "ok",
        "published_at": to_json_value(meta["published_at"]),
        "warehouse": meta["warehouse"],
        "first_day": to_json_value(meta["first_day"]),
        "last_day": to_json_value(last_day),
        "now": to_json_value(now),
        "lag_days": lag_days,
        "lag_hours": lag_hours,
        "row_counts": json.loads(meta["row_counts"]),
    }


def mrr_series(store: Store, query: dict[str, list[str]]) -> Response:
    """``fct_mrr_daily`` between ``start`` and ``end`` (inclusive), with the movements.

    ``end`` defaults to the last day covered; ``start`` to ``end`` minus 29 days.
    """
    params = single(query, {"start", "end"})
    end = parse_date("end", params["end"]) if "end" in params else None
    start = parse_date("start", params["start"]) if "start" in params else None
    meta = published_meta(store)
    if end is None:
        end = meta["last_day"] or start
        if end is None:  # an empty published copy and no dates asked for
            return 200, {"start": None, "end": None, "series": []}
    if start is None:
        if end < date.min + timedelta(days=DEFAULT_RANGE_DAYS - 1):  # the default start overflows
            raise BadRequest(f"end is too early for a {DEFAULT_RANGE_DAYS}-day series: give start")
        start = end - timedelta(days=DEFAULT_RANGE_DAYS - 1)
    check_range(start, end)
    rows = store.query(
        f"select {MRR_COLUMNS} from fct_mrr_daily "  # noqa: S608 - constant column list
        "where date_day between ? and ? order by date_day",
        [start, end],
        cache_key=("mrr", start, end),
        shape=to_json_row,
    )
    return 200, {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "covered": {
            "first_day": to_json_value(meta["first_day"]),
            "last_day": to_json_value(meta["last_day"]),
        },
        "published_at": to_json_value(meta["published_at"]),
        "series": rows,
    }


def daily_metrics(store: Store, query: dict[str, list[str]]) -> Response:
    """One day of ``metrics_daily`` (``date=``) or an inclusive range (``start=`` and ``end=``)."""
    params = single(query, {"date", "start", "end"})
    if "date" in params:
        if "start" in params or "end" in params:
            raise BadRequest("give either date or start and end, not both")
        day = parse_date("date", params["date"])
        rows = store.query(
            "select * from metrics_daily where date_day = ?",
            [day],
            cache_key=("day", day),
            shape=to_json_row,
        )
        if not rows:
            meta = published_meta(store)
            return 404, {
                "error": f"no metrics for {day}: the published copy covers "
                f"{meta['first_day']} to {meta['last_day']}"
            }
        return 200, {"date": day.isoformat(), "metrics": rows[0]}
    if "start" not in params or "end" not in params:
        raise BadRequest("give date=YYYY-MM-DD, or both start=YYYY-MM-DD and end=YYYY-MM-DD")
    start, end = parse_date("start", params["start"]), parse_date("end", params["end"])
    check_range(start, end)
    rows = store.query(
        "select * from metrics_daily where date_day between ? and ? order by date_day",
        [start, end],
        cache_key=("days", start, end),
        shape=to_json_row,
    )
    return 200, {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "days": rows,
    }


def rows_of(cursor, sql: str, params: list | None = None) -> list[Row]:
    """Execute on a borrowed cursor and return JSON-ready row dicts."""
    cursor.execute(sql, params or [])
    names = [column[0] for column in cursor.description]
    return [to_json_row(dict(zip(names, row, strict=True))) for row in cursor.fetchall()]


def user_index(cursor) -> dict[int, dict[str, Any]]:
    """Every user's summary, keyed by user_id, from two scans (built once per published copy)."""
    index: dict[int, dict[str, Any]] = {
        user["user_id"]: {"user": user, "subscriptions": []}
        for user in rows_of(cursor, f"select {USER_COLUMNS} from dim_users")  # noqa: S608
    }
    subscriptions = rows_of(
        cursor,
        f"select user_id as _user_id, {SUBSCRIPTION_COLUMNS} "  # noqa: S608 - constant
        "from fct_subscriptions order by user_id, created_at, subscription_id",
    )
    for subscription in subscriptions:
        owner = index.get(subscription.pop("_user_id"))
        if owner is not None:
            owner["subscriptions"].append(subscription)
    return index


def user_count(store: Store) -> int:
    meta = published_meta(store)
    return int(json.loads(meta["row_counts"]).get("dim_users", 0))


def user_summary(store: Store, raw_user_id: str, query: dict[str, list[str]]) -> Response:
    """A user's row of ``dim_users`` (without e-mail) and their ``fct_subscriptions``.

    Up to :data:`PRELOAD_MAX_USERS` users, the first request loads every summary into memory
    (two scans, a few ms at course scale) and later ones are dictionary look-ups: a point query in
    DuckDB costs ~1 ms of CPU (planning dominates), which at 20 concurrent clients on 2 cores
    decides the p95. Larger copies are queried per request.
    """
    single(query, set())
    user_id = parse_user_id(raw_user_id)
    if user_count(store) <= PRELOAD_MAX_USERS:
        summary = store.cached(("user_index",), user_index).get(user_id)
        if summary is None:
            return 404, {"error": f"unknown user {user_id}"}
        return 200, summary
    users = store.query(
        f"select {USER_COLUMNS} from dim_users where user_id = ?",  # noqa: S608 - constant
        [user_id],
        cache_key=("user", user_id),
        shape=to_json_row,
    )
    if not users:
        return 404, {"error": f"unknown user {user_id}"}
    subscriptions = store.query(
        f"select {SUBSCRIPTION_COLUMNS} from fct_subscriptions "  # noqa: S608 - constant
        "where user_id = ? order by created_at, subscription_id",
        [user_id],
        cache_key=("subscriptions", user_id),
        shape=to_json_row,
    )
    return 200, {"user": users[0], "subscriptions": subscriptions}
