"""Nothing lost: what a source delivered = rows in raw + rows in quarantine (faults.md invariant).

Every load already checks ``rows_offered = rows_loaded + rows_quarantined`` before it commits
(:mod:`ingestion.api`). These reconciliations check the *state* afterwards, against the source
itself, so they also catch what happens to raw later (a hand edit, a bad backfill, a lost file):

- :func:`events_reconciliation`: one events partition, lines in its landing files vs raw rows +
  quarantined lines (both found by the partition's ``events/date=.../`` prefix);
  :func:`partitions_reconciliation` does the same for several partitions at once;
- :func:`all_events_reconciliation`: every partition together;
- :func:`billing_reconciliation`: every invoice and payment the billing system holds (updated
  before "now") is in raw (a log: distinct keys are counted) or in quarantine.

Each returns a small table with a ``lost`` column (``delivered - raw - quarantined``) that is 0
when nothing was lost. Delivered data the loader does not recognise (a file or folder under
``events/`` that the listing does not load, :func:`ingestion.sources.events.scan`) is never
left out: the events tables get one extra row per such path (``partition`` is the path), all its
lines counted as lost, and at least 1, so the ``nothing_lost`` check fails and names it;
:func:`unloaded_files` lists them with the reason. Dagster runs them as the raw assets' ``nothing_lost`` asset check
(``orchestration/defs/ingest.py``); chapter 06's drills show them after an incident. Reads only:
the warehouse is opened read-only and closed again.

    from ingestion.reconcile import billing_reconciliation, events_reconciliation
    events_reconciliation("2026-05-08")["lost"].item()     # 0
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from ingestion.config import IngestionConfig
from ingestion.destination import DuckDBDestination, qualified
from ingestion.schemas import BILLING_ENTITIES, EVENTS, META_SCHEMA, RAW_SCHEMA, quote_identifier
from ingestion.sources.events import (
    list_files,
    partition_prefix,
    scan,
    sha256_and_lines,
    unrecognised_lines,
)
from ingestion.validate import FUTURE_REASON
from sproutly import paths

if TYPE_CHECKING:
    import pandas as pd

EVENTS_COLUMNS = ["lines_delivered", "raw_rows", "quarantined", "lost"]
BILLING_COLUMNS = ["entity", "source_rows", "raw_keys", "quarantined", "lost"]


def _config(config: IngestionConfig | None) -> IngestionConfig:
    return config or IngestionConfig.from_env()


@contextmanager
def _warehouse(config: IngestionConfig) -> Iterator[DuckDBDestination]:
    """The warehouse, open read-only for a few counts, closed afterwards."""
    dest = DuckDBDestination(config.warehouse_path, config.duckdb_settings)
    with dest.session(read_only=True):
        yield dest


def _count(
    dest: DuckDBDestination,
    schema: str,
    table: str,
    where: str = "true",
    params: Sequence[str] = (),
    counted: str = "*",
) -> int:
    """``count(counted)`` of ``schema.table`` rows matching ``where``; 0 while the table does
    not exist (nothing was loaded or quarantined yet)."""
    if not dest.columns(schema, table):
        return 0
    sql = f"select count({counted}) from {qualified(schema, table)} where {where}"  # noqa: S608 - fixed by this module, values bound
    return int(dest.query(sql, list(params))[0][0])


def _lines(config: IngestionConfig, days: Iterable[date] | None = None) -> int:
    """Lines in the landing files (of the given partitions), counted as the loader reads them."""
    return sum(sha256_and_lines(f.path)[1] for f in list_files(config.landing_dir, days))


def partitions_reconciliation(
    days: Iterable[str | date], config: IngestionConfig | None = None
) -> pd.DataFrame:
    """One row per events partition (``YYYY-MM-DD``), in the order given: ``partition``,
    ``lines_delivered``, ``raw_rows``, ``quarantined`` and ``lost``."""
    import pandas as pd

    config = _config(config)
    rows = []
    wanted = []
    for day in days:
        try:
            wanted.append(day if isinstance(day, date) else date.fromisoformat(day))
        except ValueError:
            continue  # not a date: reported below as an unrecognised folder
    with _warehouse(config) as dest:
        for day in wanted:
            prefix = [partition_prefix(day)]
            delivered = _lines(config, [day])
            raw_rows = _count(dest, RAW_SCHEMA, EVENTS.table, "starts_with(_source, ?)", prefix)
            quarantined = _count(
                dest, META_SCHEMA, "quarantine", "starts_with(location, ?)", prefix
            )
            rows.append(
                {
                    "partition": day.isoformat(),
                    "lines_delivered": delivered,
                    "raw_rows": raw_rows,
                    "quarantined": quarantined,
                    "lost": delivered - raw_rows - quarantined,
                }
            )
    for path, lines in _unloaded(config, wanted):
        row = {"lines_delivered": lines, "raw_rows": 0, "quarantined": 0, "lost": max(lines, 1)}
        rows.append({"partition": path, **row})
    return pd.DataFrame(rows, columns=["partition", *EVENTS_COLUMNS])


def _unloaded(config: IngestionConfig, days: Iterable[date] | None) -> list[tuple[str, int]]:
    """(path, lines) of what is under ``events/`` (in these partitions) but not loadable."""
    return [
        (u.relative, unrecognised_lines(u)) for u in scan(config.landing_dir, days).unrecognised
    ]


def unloaded_files(config: IngestionConfig | None = None) -> pd.DataFrame:
    """Every path under ``events/`` the loader does not load: ``path``, ``reason``, ``lines``."""
    import pandas as pd

    config = _config(config)
    rows = [
        {"path": u.relative, "reason": u.reason, "lines": unrecognised_lines(u)}
        for u in scan(config.landing_dir).unrecognised
    ]
    return pd.DataFrame(rows, columns=["path", "reason", "lines"])


def events_reconciliation(day: str | date, config: IngestionConfig | None = None) -> pd.DataFrame:
    """Nothing lost for one events partition: lines in the landing files = rows in raw.events
    + lines in quarantine (both found by the partition's ``events/date=.../`` prefix)."""
    return partitions_reconciliation([day], config)


def all_events_reconciliation(config: IngestionConfig | None = None) -> pd.DataFrame:
    """Nothing lost over every partition: delivered lines vs raw rows + quarantined lines."""
    import pandas as pd

    config = _config(config)
    delivered = _lines(config)
    unloaded = _unloaded(config, None)
    with _warehouse(config) as dest:
        raw_rows = _count(dest, RAW_SCHEMA, EVENTS.table)
        quarantined = _count(dest, META_SCHEMA, "quarantine", "entity = ?", [EVENTS.entity])
    row = {
        "lines_delivered": delivered + sum(lines for _, lines in unloaded),
        "raw_rows": raw_rows,
        "quarantined": quarantined,
        "lost": delivered - raw_rows - quarantined + sum(max(n, 1) for _, n in unloaded),
    }
    return pd.DataFrame([row], columns=EVENTS_COLUMNS)


def billing_reconciliation(
    config: IngestionConfig | None = None, billing_store: Path | None = None
) -> pd.DataFrame:
    """Nothing lost from the billing API: every invoice and payment the billing system holds
    (updated before "now") is in raw (a log: count distinct keys) or in quarantine.

    The loader only ever sees the API; the billing system's own record is its store
    (``billing_store``, default the simulated provider's ``billing.db``, opened read-only), which
    stands for the counts a provider's dashboard or export gives a real team to reconcile with.
    """
    import pandas as pd

    config = _config(config)
    now = config.resolved_now().isoformat(sep=" ")
    source_rows = {}
    store = sqlite3.connect(f"file:{billing_store or paths.billing_db_path()}?mode=ro", uri=True)
    try:
        for schema in BILLING_ENTITIES:
            source_rows[schema.entity] = int(
                store.execute(
                    f"select count(*) from {quote_identifier(schema.entity)} "  # noqa: S608 - fixed entity names
                    "where replace(replace(updated_at, 'T', ' '), 'Z', '') < ?",
                    [now],
                ).fetchone()[0]
            )
    finally:
        store.close()
    rows = []
    with _warehouse(config) as dest:
        for schema in BILLING_ENTITIES:
            keys = ", ".join(quote_identifier(column) for column in schema.key)
            raw_keys = _count(dest, RAW_SCHEMA, schema.table, counted=f"distinct {keys}")
            # a row updated after "now" is neither in source_rows nor counted here
            quarantined = _count(
                dest,
                META_SCHEMA,
                "quarantine",
                "source = ? and entity = ? and not contains(reason, ?)",
                [schema.source, schema.entity, FUTURE_REASON],
            )
            delivered = source_rows[schema.entity]
            rows.append(
                {
                    "entity": schema.entity,
                    "source_rows": delivered,
                    "raw_keys": raw_keys,
                    "quarantined": quarantined,
                    "lost": delivered - raw_keys - quarantined,
                }
            )
    return pd.DataFrame(rows, columns=BILLING_COLUMNS)
