"""Explicit schemas of the raw layer: one per source entity, declared here, never sniffed.

A type sniffer looks at a sample of rows and guesses; a bad value far past the sample is then
silently rounded, nulled or dropped (faults.md row 2). Declaring the types up front means every
row is checked against the same contract, and a row that does not fit is quarantined with a reason.

Type mapping (docs/contracts.md section 2): timestamps -> TIMESTAMP in UTC, 0/1 -> BOOLEAN,
integers -> BIGINT, ``properties`` -> JSON, everything else VARCHAR. Every raw table also gets
``_load_id``, ``_loaded_at`` and ``_source`` (see :data:`LOAD_COLUMNS`).

Identifiers that come from *data* (a new JSON key becomes a new column) pass an allow-list regex
and are quoted; anything else raises ``ValueError`` (faults.md row 22).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

RAW_SCHEMA = "raw"
META_SCHEMA = "meta"
TYPES = ("VARCHAR", "BIGINT", "BOOLEAN", "TIMESTAMP", "JSON")

# Lower-case letters, digits and underscores, not starting with a digit, at most 63 characters.
# Lower case only: DuckDB and Snowflake fold unquoted identifiers, so "Platform" and "platform"
# would collide as columns.
IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def validate_identifier(name: object) -> str:
    """Return ``name`` if it is a safe identifier, else raise ``ValueError`` naming it."""
    if not isinstance(name, str) or not IDENTIFIER.fullmatch(name):
        raise ValueError(
            f"Refusing identifier {name!r}: identifiers built from data must match "
            f"{IDENTIFIER.pattern} (lower-case letters, digits, underscore)."
        )
    return name


def quote_identifier(name: str) -> str:
    """Validate, then double-quote, an identifier for use in SQL text."""
    return f'"{validate_identifier(name)}"'


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "VARCHAR"
    required: bool = False  # a row without a value here is quarantined

    def __post_init__(self) -> None:
        validate_identifier(self.name)
        if self.type not in TYPES:
            raise ValueError(f"Unknown type {self.type!r} for column {self.name!r}")


@dataclass(frozen=True)
class EntitySchema:
    """What one raw table looks like, and how its rows are identified."""

    source: str  # app / billing / events
    entity: str  # users, invoices, events ...
    table: str  # raw table name, e.g. app_users
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # identifies a source row (with cursor_column: one version of it)
    cursor_column: str | None = "updated_at"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


LOAD_COLUMNS = (
    Column("_load_id", "VARCHAR"),
    Column("_loaded_at", "TIMESTAMP"),
    Column("_source", "VARCHAR"),
)


def _cols(spec: str) -> tuple[Column, ...]:
    """Compact declaration: ``"name:TYPE!"`` per line, ``!`` marks required."""
    out = []
    for item in spec.split():
        name, _, type_ = item.partition(":")
        required = type_.endswith("!")
        out.append(Column(name, type_.rstrip("!") or "VARCHAR", required))
    return tuple(out)


APP_PLANS = EntitySchema(
    "app",
    "plans",
    "app_plans",
    _cols(
        "plan_id:VARCHAR! plan_name:VARCHAR tier:VARCHAR billing_interval:VARCHAR "
        "price_cents:BIGINT currency:VARCHAR is_active:BOOLEAN created_at:TIMESTAMP "
        "updated_at:TIMESTAMP!"
    ),
    key=("plan_id",),
)
APP_USERS = EntitySchema(
    "app",
    "users",
    "app_users",
    _cols(
        "user_id:BIGINT! email:VARCHAR country_code:VARCHAR timezone:VARCHAR "
        "signup_channel:VARCHAR created_at:TIMESTAMP updated_at:TIMESTAMP! deleted_at:TIMESTAMP"
    ),
    key=("user_id",),
)
APP_SUBSCRIPTIONS = EntitySchema(
    "app",
    "subscriptions",
    "app_subscriptions",
    _cols(
        "subscription_id:BIGINT! user_id:BIGINT plan_id:VARCHAR status:VARCHAR "
        "trial_start_at:TIMESTAMP trial_end_at:TIMESTAMP started_at:TIMESTAMP "
        "current_period_start:TIMESTAMP current_period_end:TIMESTAMP "
        "cancel_at_period_end:BOOLEAN canceled_at:TIMESTAMP ended_at:TIMESTAMP "
        "created_at:TIMESTAMP updated_at:TIMESTAMP!"
    ),
    key=("subscription_id",),
)
BILLING_INVOICES = EntitySchema(
    "billing",
    "invoices",
    "billing_invoices",
    _cols(
        "invoice_id:VARCHAR! subscription_id:BIGINT user_id:BIGINT plan_id:VARCHAR "
        "status:VARCHAR currency:VARCHAR amount_due_cents:BIGINT amount_paid_cents:BIGINT "
        "amount_refunded_cents:BIGINT period_start:TIMESTAMP period_end:TIMESTAMP "
        "issued_at:TIMESTAMP paid_at:TIMESTAMP refunded_at:TIMESTAMP updated_at:TIMESTAMP!"
    ),
    key=("invoice_id",),
)
BILLING_PAYMENTS = EntitySchema(
    "billing",
    "payments",
    "billing_payments",
    _cols(
        "payment_id:VARCHAR! invoice_id:VARCHAR user_id:BIGINT amount_cents:BIGINT "
        "amount_refunded_cents:BIGINT currency:VARCHAR status:VARCHAR failure_code:VARCHAR "
        "attempted_at:TIMESTAMP "
        "refunded_at:TIMESTAMP updated_at:TIMESTAMP!"
    ),
    key=("payment_id",),
)
EVENTS = EntitySchema(
    "events",
    "events",
    "events",
    _cols(
        "event_id:VARCHAR! event_type:VARCHAR! user_id:BIGINT! occurred_at:TIMESTAMP! "
        "received_at:TIMESTAMP platform:VARCHAR app_version:VARCHAR properties:JSON"
    ),
    key=("event_id",),
    cursor_column=None,  # files are tracked by a content-hash manifest instead
)

APP_ENTITIES = (APP_PLANS, APP_USERS, APP_SUBSCRIPTIONS)
BILLING_ENTITIES = (BILLING_INVOICES, BILLING_PAYMENTS)
ALL_ENTITIES = (*APP_ENTITIES, *BILLING_ENTITIES, EVENTS)

# The meta schema: ingestion's own bookkeeping (docs/contracts.md section 2).
META_TABLES: dict[str, tuple[Column, ...]] = {
    "loads": _cols(
        "load_id source entity strategy started_at:TIMESTAMP finished_at:TIMESTAMP status "
        "rows_offered:BIGINT rows_loaded:BIGINT rows_quarantined:BIGINT cursor_before "
        "cursor_after message"
    ),
    "quarantine": _cols("load_id source entity location reason payload"),
    "file_manifest": _cols("path sha256 size:BIGINT load_id"),
    "schema_changes": _cols("load_id entity column_name change detected_at:TIMESTAMP"),
}
