"""Time helpers. Inside the simulator a moment is an ``int``: seconds since 1970-01-01 UTC.

Integers vectorise (numpy), compare cheaply and cannot carry a hidden time zone. Strings are made
only at the edges, in the formats of each source:

* app DB: ``YYYY-MM-DD HH:MM:SS`` (UTC, the app's documented zone);
* billing API: ``YYYY-MM-DDTHH:MM:SSZ``;
* events: ``occurred_at`` with the *device's* UTC offset, ``received_at`` in UTC with ``Z``.

Device offsets come from the IANA database (:mod:`zoneinfo`), so daylight-saving switches really
happen in the data (Europe/Berlin jumps from +01:00 to +02:00 at 2026-03-29 01:00 UTC).
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from microproduct.world import START_DATE

DAY = 86_400
_EPOCH = datetime(1970, 1, 1)
#: zone offsets change on (at least) 15-minute boundaries of UTC; we tabulate them at that step
OFFSET_STEP = 900


def day_start(day: int) -> int:
    """Epoch seconds of 00:00 UTC of simulation day ``day`` (day 0 = 2026-01-01)."""
    return int(calendar.timegm((START_DATE + timedelta(days=day)).timetuple()))


def day_date(day: int) -> date:
    return START_DATE + timedelta(days=day)


def to_datetime(seconds: int) -> datetime:
    """Naive UTC datetime of epoch seconds."""
    return _EPOCH + timedelta(seconds=int(seconds))


def app_ts(seconds: int | None) -> str | None:
    """App DB format: ``2026-01-05 09:12:44`` (UTC). None stays None."""
    return None if seconds is None else to_datetime(seconds).strftime("%Y-%m-%d %H:%M:%S")


def api_ts(seconds: int | None) -> str | None:
    """Billing API format: ``2026-01-05T09:12:44Z``. None stays None."""
    return None if seconds is None else to_datetime(seconds).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_app_ts(value: str | None) -> int | None:
    if value is None:
        return None
    return int(calendar.timegm(datetime.fromisoformat(value).timetuple()))


def parse_api_ts(value: str | None) -> int | None:
    return None if value is None else parse_app_ts(value.replace("T", " ").removesuffix("Z"))


def add_interval(seconds: int, interval: str) -> int:
    """One billing period later: a calendar month (day clamped, 31 Jan -> 28 Feb) or a year."""
    moment = to_datetime(seconds)
    if interval == "year":
        months = 12
    elif interval == "month":
        months = 1
    else:
        raise ValueError(f"unknown billing interval {interval!r}")
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    later = moment.replace(year=year, month=month, day=day)
    return int(calendar.timegm(later.timetuple()))


def format_offset(offset_seconds: int) -> str:
    sign = "+" if offset_seconds >= 0 else "-"
    hours, rest = divmod(abs(offset_seconds), 3600)
    return f"{sign}{hours:02d}:{rest // 60:02d}"


class OffsetTable:
    """UTC offsets of a list of zones on a 15-minute grid over a window, for vectorised lookup.

    ``offsets(zone_index, t)`` gives each moment's offset in seconds for numpy arrays of zone indices
    and epoch seconds. Built once per simulated day for a window that covers it (with margin).
    """

    def __init__(self, zones: list[str], start: int, end: int) -> None:
        self.start = start - start % OFFSET_STEP
        slots = (end - self.start) // OFFSET_STEP + 1
        self.table = np.empty((len(zones), slots), dtype=np.int64)
        for z, name in enumerate(zones):
            zone = ZoneInfo(name)
            for slot in range(slots):
                moment = datetime.fromtimestamp(self.start + slot * OFFSET_STEP, tz=UTC)
                self.table[z, slot] = int(moment.astimezone(zone).utcoffset().total_seconds())

    def offsets(self, zone_index: np.ndarray, seconds: np.ndarray) -> np.ndarray:
        slot = (seconds - self.start) // OFFSET_STEP
        return self.table[zone_index, slot]


def iso_local(seconds: np.ndarray, offsets: np.ndarray) -> list[str]:
    """``YYYY-MM-DDTHH:MM:SS+HH:MM`` strings: the moment as the device's wall clock shows it."""
    local = np.datetime_as_string((seconds + offsets).astype("datetime64[s]"), unit="s")
    suffix = {int(o): format_offset(int(o)) for o in np.unique(offsets)}
    return [
        f"{stamp}{suffix[o]}" for stamp, o in zip(local.tolist(), offsets.tolist(), strict=True)
    ]


def iso_utc(seconds: np.ndarray) -> list[str]:
    """``YYYY-MM-DDTHH:MM:SSZ`` strings."""
    return [f"{s}Z" for s in np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s")]
