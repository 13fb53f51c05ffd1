"""Ingestion assets: one per source, each a thin call into ``ingestion`` (which owns the logic).

Every writer of the warehouse sits in the ``warehouse`` pool (limit 1, see dagster.yaml), so
ingestion, dbt and publish never hold the DuckDB file at the same time.

The ``nothing_lost`` checks beside them reconcile raw with the sources after every load
(``ingestion.reconcile``: delivered = loaded + quarantined; faults.md's first invariant).
"""

from datetime import date, timedelta

import dagster as dg

from ingestion import IngestionConfig, LoadResult, backfill_events, load, reconcile
from orchestration.defs.resources import BillingAPIResource
from orchestration.instance import WAREHOUSE_POOL
from orchestration.landing import landed_files
from sproutly import paths

EVENTS_START_DATE = "2026-01-01"  # the simulated product's first day (docs/contracts.md §1)

# One partition per drop date; a day's partition exists once the day is over (its folder is complete).
events_partitions = dg.DailyPartitionsDefinition(start_date=EVENTS_START_DATE)

APP_ENTITIES = ("plans", "users", "subscriptions")
BILLING_ENTITIES = ("invoices", "payments")


def raw_key(table: str) -> dg.AssetKey:
    """The asset of raw table ``raw.<table>``; the dbt translator maps each dbt source onto it."""
    return dg.AssetKey(["raw", table])


#: How the loader words an error that retrying cannot fix: an HTTP 4xx it did not retry, a
#: pagination loop, a missing setting, too many rejected rows, a broken invariant.
TERMINAL_ERRORS = (
    "Not retried.",
    "PaginationLoop:",
    "MissingSetting:",
    "RejectRatioExceeded:",
    "InvariantViolation:",
)


def is_terminal(message: str) -> bool:
    """True when a failed load's message says retrying cannot help (the step's RetryPolicy is
    then skipped, so the first alert names the real cause instead of a retry storm)."""
    return any(marker in message for marker in TERMINAL_ERRORS)


def load_failure(message: str) -> dg.Failure:
    """The step failure for a failed load: retried by the step's RetryPolicy unless terminal."""
    return dg.Failure(message, allow_retries=not is_terminal(message))


def _materializations(results: list[LoadResult]):
    """One MaterializeResult per loaded entity, with the load's bookkeeping as metadata."""
    for r in results:
        if r.status == "failed":
            raise load_failure(f"{r.source}.{r.entity} load {r.load_id} failed: {r.message}")
        yield dg.MaterializeResult(
            asset_key=raw_key(f"{r.source}_{r.entity}"),
            metadata={
                "load_id": r.load_id,
                "status": r.status,
                "strategy": r.strategy,
                "rows_offered": r.rows_offered,
                "rows_loaded": r.rows_loaded,
                "rows_quarantined": r.rows_quarantined,
                "cursor": str(r.cursor_after),
                "message": r.message or "",
            },
        )


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            raw_key(f"app_{e}"),
            group_name="raw",
            kinds={"sqlite", "duckdb"},
            description=f"App database `{e}` table, loaded incrementally by updated_at.",
        )
        for e in APP_ENTITIES
    ],
    pool=WAREHOUSE_POOL,
    can_subset=False,
)
def app_database(context: dg.AssetExecutionContext):
    """Incremental load of the app database (cursor on ``updated_at`` with a lookback window)."""
    yield from _materializations(
        load("app", config=IngestionConfig.from_env(), raise_on_failure=False)
    )


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            raw_key(f"billing_{e}"),
            group_name="raw",
            kinds={"api", "duckdb"},
            description=f"Billing API `/v1/{e}`, loaded by updated_since + cursor pages.",
        )
        for e in BILLING_ENTITIES
    ],
    pool=WAREHOUSE_POOL,
    can_subset=False,
    # Transient API trouble (429/5xx/timeouts) is retried inside the loader first; a step that still
    # fails is retried here with exponential backoff and jitter before the run gives up and alerts.
    retry_policy=dg.RetryPolicy(
        max_retries=3, delay=2, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
    ),
)
def billing_api(context: dg.AssetExecutionContext, billing_api: BillingAPIResource):
    """Incremental load of invoices and payments from the billing API."""
    with billing_api.connection() as (url, token, mode):
        context.log.info(f"billing API: {mode} at {url}")
        config = IngestionConfig.from_env(billing_api_url=url, billing_api_token=token)
        yield from _materializations(load("billing", config=config, raise_on_failure=False))


def _window_holds_all_landed(start: str, end: str) -> bool:
    """True when every landed partition falls inside [start, end] (ISO dates compare as text)."""
    landed = [day for day, files in landed_files().items() if files]
    return bool(landed) and all(start <= day <= end for day in landed)


def _dates(start: str, end: str) -> list[date]:
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


@dg.asset(
    key=raw_key("events"),
    group_name="raw",
    kinds={"jsonl", "duckdb"},
    partitions_def=events_partitions,
    # A backfill is one run over the whole range (UI, daemon and `python -m orchestration backfill`
    # alike): every run ends in a full `dbt build`, so one run per day would repeat it per day. A
    # failed backfill is rerun whole; the reload (delete + insert per partition) makes that safe.
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=WAREHOUSE_POOL,
)
def events(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    """Event file drops, partitioned by drop date.

    A normal run loads the partition's files that the manifest has not seen (idempotent). A
    backfill (``dagster/backfill`` tag, or ``python -m orchestration backfill``) reloads the range:
    delete + insert per partition, so a rerun leaves no duplicates.
    """
    window = context.partition_key_range
    config = IngestionConfig.from_env()
    if context.run.tags.get("dagster/backfill") or context.run.tags.get("sproutly/backfill"):
        results = backfill_events(
            date.fromisoformat(window.start),
            date.fromisoformat(window.end),
            config=config,
            raise_on_failure=False,
        )
    elif _window_holds_all_landed(window.start, window.end):
        # the range holds every landed partition: one manifest-based load instead of one per day
        results = load("events", config=config, raise_on_failure=False)
    else:
        results = [
            r
            for d in _dates(window.start, window.end)
            for r in load("events", config=config, partition_date=d, raise_on_failure=False)
        ]
    failed = [r for r in results if r.status == "failed"]
    if failed:
        raise dg.Failure(f"events load failed for {len(failed)} partition(s): {failed[0].message}")
    return dg.MaterializeResult(
        metadata={
            "partitions": f"{window.start}..{window.end}",
            "loads": len(results),
            "rows_offered": sum(r.rows_offered for r in results),
            "rows_loaded": sum(r.rows_loaded for r in results),
            "rows_quarantined": sum(r.rows_quarantined for r in results),
        }
    )


# -- nothing lost: delivered = loaded + quarantined, checked against the sources themselves -------
NOTHING_LOST = "nothing_lost"


def _totals(table) -> dict[str, int]:
    """A reconciliation table's counts, summed (``lost`` 0: nothing lost), as check metadata."""
    return {column: int(table[column].sum()) for column in table.select_dtypes("number")}


@dg.asset_check(
    asset=events,
    name=NOTHING_LOST,
    description="Lines in the partition's landing files = rows in raw.events + quarantined lines.",
    pool=WAREHOUSE_POOL,
)
def events_nothing_lost(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
    """Reconcile every partition the run loaded (``ingestion.reconcile``; a run without a
    partition: every landed one): a line that is neither in raw nor in quarantine fails the
    check and names its partition."""
    partitioned = context.has_partition_key or context.has_partition_key_range
    days = context.partition_keys if partitioned else sorted(landed_files())
    table = reconcile.partitions_reconciliation(days)
    losing = table[table["lost"] != 0]
    return dg.AssetCheckResult(
        passed=losing.empty,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            **_totals(table),
            "partitions": f"{days[0]}..{days[-1]}" if len(days) else "none",
            "partitions_losing": ", ".join(losing["partition"]) or "none",
        },
    )


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            NOTHING_LOST,
            asset=raw_key(f"billing_{e}"),
            description=f"Every {e[:-1]} the billing system holds is in raw or in quarantine.",
        )
        for e in BILLING_ENTITIES
    ],
    pool=WAREHOUSE_POOL,
    can_subset=True,
)
def billing_nothing_lost(context: dg.AssetCheckExecutionContext):
    """Reconcile the billing tables with the billing system's own record, the simulated
    provider's store in the data folder (``ingestion.reconcile.billing_reconciliation``). A real
    API has no such record here: the check then says so and passes."""
    selected = {key.asset_key for key in context.selected_asset_check_keys}
    record = paths.billing_db_path()
    table = reconcile.billing_reconciliation(billing_store=record) if record.exists() else None
    for entity in BILLING_ENTITIES:
        key = raw_key(f"billing_{entity}")
        if key not in selected:
            continue
        if table is None:
            yield dg.AssetCheckResult(
                asset_key=key,
                check_name=NOTHING_LOST,
                passed=True,
                metadata={"reconciled": False, "why": "no local record of the billing system"},
            )
            continue
        row = table[table["entity"] == entity]
        yield dg.AssetCheckResult(
            asset_key=key,
            check_name=NOTHING_LOST,
            passed=int(row["lost"].item()) == 0,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={"reconciled": True, **_totals(row)},
        )
