"""Every fault the project can inject, stated once (the catalogue is ``shared/faults.md``; each
entry names its row there).

Two kinds:

- :data:`FAULTS`, *source faults*: switches in the simulated systems (contracts §1d). While one is
  on, a source delivers the defect (bad lines, duplicates, late files, drift, API errors, silence)
  and the pipeline meets it the way it would meet the real thing.
- :data:`RAW_DEFECTS`, *bad rows in raw*: defects that fit the raw layer's contract, so loading
  lets them through and only the dbt tests and contracts can catch them (a null key, a negative
  amount, a renamed column, a blank value). They are stated as SQL on the raw copy of a source
  table (``raw.<source>_<entity>``, the source's own names) and applied by whoever owns that copy:
  chapter 04 applies them to an exercise sandbox's warehouse, never to the course's own.

A fault config is a plain dict ``{name: {param: value}}`` persisted in the simulation state, e.g.
``{"malformed_lines": {"from_day": 10, "rate": 0.001}, "api_outage": {"from_day": 50, "to_day": 52}}``.
Every fault is active on days ``from_day <= day < to_day`` (``from_day`` defaults to 0, ``to_day``
to "forever"). Defaults below fill in missing parameters. An empty config means clean data.

Fault randomness uses its own random stream, so switching a fault on adds the defect and leaves
every other byte of the data as it was.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SourceFault:
    """A switch in the simulated systems: its default parameters (besides from_day/to_day), what
    it does, and its row in the fault catalogue (``shared/faults.md``)."""

    defaults: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    catalogue_row: int | None = None


#: name -> the source fault (``Simulation.inject(name, ...)``, ``python -m microproduct --fault``)
FAULTS: dict[str, SourceFault] = {
    "malformed_lines": SourceFault(
        {"rate": 0.001},
        "each event file gets a few bad lines: broken JSON, user_id 'abc', a missing required key",
        1,
    ),
    "duplicate_events": SourceFault(
        {"rate": 0.01},
        "events re-sent with the same event_id, in the same file or in the next day's folder",
        4,
    ),
    "late_files": SourceFault(
        {"rate": 0.2, "delay_days": 2},
        "a day's events land in the folder of a later day (delay_days later)",
        7,
    ),
    "new_column": SourceFault({}, "events gain a session_id column", 9),
    "renamed_column": SourceFault({}, "events: platform is renamed to os", 10),
    "api_429": SourceFault(
        {"rate": 0.3}, "billing API answers 429 with Retry-After to a share of requests", 13
    ),
    "api_500": SourceFault({"rate": 0.2}, "billing API answers 500 to a share of requests", 13),
    "api_timeouts": SourceFault({"rate": 0.1}, "billing API stalls past the client's timeout", 13),
    "api_outage": SourceFault({}, "billing API answers 503 to every request", 13),
    "stale_source": SourceFault({}, "no new event files are dropped", 20),
}


@dataclass(frozen=True)
class RawDefect:
    """Bad rows in a raw table: what they simulate, the SQL that writes them (one transaction),
    and the catalogue row (``None``: a defect the catalogue has no row for yet)."""

    name: str
    table: str
    description: str
    statements: tuple[str, ...]
    catalogue_row: int | None = None


#: name -> the raw defect (chapter 04: ``faults.inject(sandbox, name, ...)``)
RAW_DEFECTS: dict[str, RawDefect] = {
    d.name: d
    for d in (
        RawDefect(
            "null_payment_id",
            "raw.billing_payments",
            "a payment arrives without its key (a copy of the first payment, payment_id null)",
            (
                "insert into raw.billing_payments "
                "select * replace (null as payment_id, _source || '#dup' as _source) "
                "from raw.billing_payments order by payment_id, _loaded_at limit 1",
            ),
            5,
        ),
        RawDefect(
            "negative_invoice_amount",
            "raw.billing_invoices",
            "the first invoice's amount due flips sign (every version of it)",
            (
                "update raw.billing_invoices set amount_due_cents = -abs(amount_due_cents) "
                "where invoice_id = (select min(invoice_id) from raw.billing_invoices)",
            ),
            6,
        ),
        RawDefect(
            "renamed_plan_price",
            "raw.app_plans",
            "the plans table's price_cents column is renamed to price (a hand-rebuilt table)",
            ("alter table raw.app_plans rename column price_cents to price",),
            10,
        ),
        RawDefect(
            "blank_email",
            "raw.app_users",
            "the first user's email becomes an empty string (every version of that user)",
            (
                "update raw.app_users set email = '   ' "
                "where user_id = (select min(user_id) from raw.app_users)",
            ),
        ),
    )
}


def normalise(faults: dict[str, dict] | None) -> dict[str, dict]:
    """Validate a fault config and fill in defaults. Raises ValueError naming what is wrong."""
    result: dict[str, dict] = {}
    for name, params in sorted((faults or {}).items()):
        if name not in FAULTS:
            raise ValueError(f"unknown fault {name!r}; known: {', '.join(FAULTS)}")
        params = dict(params or {})
        defaults = FAULTS[name].defaults
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
