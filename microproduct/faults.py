"""Named, switchable defects of the sources (see ``shared/faults.md`` and contracts §1d).

A fault config is a plain dict ``{name: {param: value}}`` persisted in the simulation state, e.g.
``{"malformed_lines": {"from_day": 10, "rate": 0.001}, "api_outage": {"from_day": 50, "to_day": 52}}``.
Every fault is active on days ``from_day <= day < to_day`` (``from_day`` defaults to 0, ``to_day``
to "forever"). Defaults below fill in missing parameters. An empty config means clean data.

Fault randomness uses its own random stream, so switching a fault on adds the defect and leaves
every other byte of the data as it was.
"""

from __future__ import annotations

import copy
from typing import Any

#: name -> default parameters (besides from_day/to_day) and what the fault does
FAULTS: dict[str, tuple[dict[str, Any], str]] = {
    "malformed_lines": (
        {"rate": 0.001},
        "each event file gets a few bad lines: broken JSON, user_id 'abc', a missing required key",
    ),
    "duplicate_events": (
        {"rate": 0.01},
        "events re-sent with the same event_id, in the same file or in the next day's folder",
    ),
    "late_files": (
        {"rate": 0.2, "delay_days": 2},
        "a day's events land in the folder of a later day (delay_days later)",
    ),
    "new_column": ({}, "events gain a session_id column"),
    "renamed_column": ({}, "events: platform is renamed to os"),
    "api_429": ({"rate": 0.3}, "billing API answers 429 with Retry-After to a share of requests"),
    "api_500": ({"rate": 0.2}, "billing API answers 500 to a share of requests"),
    "api_timeouts": ({"rate": 0.1}, "billing API stalls past the client's timeout"),
    "api_outage": ({}, "billing API answers 503 to every request"),
    "stale_source": ({}, "no new event files are dropped"),
}


def normalise(faults: dict[str, dict] | None) -> dict[str, dict]:
    """Validate a fault config and fill in defaults. Raises ValueError naming what is wrong."""
    result: dict[str, dict] = {}
    for name, params in sorted((faults or {}).items()):
        if name not in FAULTS:
            raise ValueError(f"unknown fault {name!r}; known: {', '.join(FAULTS)}")
        params = dict(params or {})
        defaults = FAULTS[name][0]
        unknown = set(params) - set(defaults) - {"from_day", "to_day"}
        if unknown:
            raise ValueError(f"fault {name!r} has no parameter(s) {sorted(unknown)}")
        merged = {"from_day": 0, **copy.deepcopy(defaults), **params}
        merged["from_day"] = int(merged["from_day"])
        if merged.get("to_day") is not None:
            merged["to_day"] = int(merged["to_day"])
        result[name] = merged
    return result


def active(faults: dict[str, dict], name: str, day: int) -> dict | None:
    """The parameters of fault ``name`` if it is on for ``day``, else None."""
    params = faults.get(name)
    if params is None:
        return None
    if day < params.get("from_day", 0):
        return None
    if params.get("to_day") is not None and day >= params["to_day"]:
        return None
    return params


def parse_cli(spec: str) -> tuple[str, dict]:
    """``NAME[:k=v,k=v]`` -> (name, params); numbers are converted (``rate=0.01``, ``from_day=5``)."""
    name, _, rest = spec.partition(":")
    params: dict[str, Any] = {}
    for item in filter(None, rest.split(",")):
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"fault parameter {item!r} is not key=value (in {spec!r})")
        params[key.strip()] = _number(value.strip())
    return name.strip(), params


def _number(value: str) -> int | float | str:
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value
