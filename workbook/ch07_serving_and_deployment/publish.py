"""Chapter 07 helpers: watch write-audit-publish refuse bad marts, as small tables.

The publish logic lives in ``orchestration.publish`` (``audit`` + ``publish``); the Dagster asset
``published_marts`` calls exactly those two functions. These helpers let a chapter drive the same
two calls by hand and look at the result:

    fan_out_last_day()                       # a faulty model run: one day twice in a mart
    dbt("test", "--select", "metrics_daily")  # the tests see it; dbt_test_table(run_results())
    audit_and_publish()                      # blocked: the published copy is not touched
    served_fingerprints()                    # ... and this proves it (row counts + hashes)

Only the *warehouse* is ever broken on purpose; the published copy is written by
``orchestration.publish.publish`` alone.
"""

from __future__ import annotations

import os

import pandas as pd

from sproutly import paths

#: The mart the chapter breaks: one row per day, with a ``unique`` test on ``date_day``.
MART = ("marts", "metrics_daily")


def fan_out_last_day() -> pd.DataFrame:
    """Insert a second copy of the last day's row into ``marts.metrics_daily`` in the warehouse,
    as a join that fans out would. Returns the rows per day for the last three days.

    One short read-write connection, closed before this returns (the pipeline writes next).
    """
    import duckdb

    schema, table = MART
    with duckdb.connect(str(paths.warehouse_path())) as con:
        con.execute(
            f"insert into {schema}.{table} select * from {schema}.{table} "  # noqa: S608 - constants
            f"where date_day = (select max(date_day) from {schema}.{table})"
        )
    return rows_per_day("warehouse")


def rows_per_day(database: str = "warehouse", days: int = 3) -> pd.DataFrame:
    """Rows per ``date_day`` of ``metrics_daily`` for the last ``days`` days, in the warehouse
    (``marts.metrics_daily``) or the published copy (``main.metrics_daily``)."""
    from workbook.query import query

    relation = ".".join(MART) if database == "warehouse" else f"main.{MART[1]}"
    frame = query(
        f"select date_day, count(*) as row_count from {relation} "  # noqa: S608 - constants
        "group by date_day order by date_day desc limit ?",
        [days],
        database=database,
    )
    frame["date_day"] = frame["date_day"].dt.date.astype(str)
    return frame.sort_values("date_day").reset_index(drop=True)


def audit_and_publish() -> pd.DataFrame:
    """What the Dagster ``published_marts`` asset does (``orchestration.publish.audit_and_publish``),
    by hand, on the last dbt ``run_results.json`` and every mart. One row: the audit's verdict, whether a
    copy was published, the tables and rows it holds, and the audit's message when blocked."""
    from orchestration import publish as wap
    from sproutly.dbt import target_dir

    try:
        result = wap.audit_and_publish(
            target_dir() / "run_results.json", wap.mart_relations(target_dir() / "manifest.json")
        )
    except wap.PublishBlocked as blocked:
        return pd.DataFrame(
            [
                {
                    "audit": "blocked",
                    "published": False,
                    "tables": 0,
                    "rows": 0,
                    "message": str(blocked),
                }
            ]
        )
    return pd.DataFrame(
        [
            {
                "audit": "passed",
                "published": True,
                "tables": len(result.tables),
                "rows": sum(result.tables.values()),
                "message": "",
            }
        ]
    )


def published_meta() -> pd.DataFrame:
    """What the published copy says about itself (its ``_published`` row): when it was published
    (simulated clock), from which warehouse file, and how many tables and rows it holds."""
    import json

    from workbook.query import query

    meta = query(
        "select published_at, warehouse, row_counts::varchar as row_counts from _published",
        database="serving",
    ).iloc[0]
    counts = json.loads(meta["row_counts"])
    return pd.DataFrame(
        [
            {"field": "published_at (simulated clock)", "value": str(meta["published_at"])},
            {"field": "from warehouse file", "value": meta["warehouse"]},
            {"field": "tables", "value": str(len(counts))},
            {"field": "rows", "value": str(sum(counts.values()))},
        ]
    )


def served_fingerprints() -> pd.DataFrame:
    """Row count and an order-independent content hash of every table in the published copy
    (``_published`` included): equal fingerprints mean equal contents."""
    from workbook.query import fingerprints

    return fingerprints(paths.serving_path(), schema="main")


def copy_identity() -> tuple[int, int]:
    """(device, inode) of the published file: a new publish swaps in a new file (new inode).
    Compare two identities; never print one (inodes differ between machines)."""
    stat = os.stat(paths.serving_path())
    return (stat.st_dev, stat.st_ino)
