"""Helpers for chapter 02 (staging): source freshness as a table, what-if clocks, build summaries.

dbt writes what ``dbt source freshness`` found to ``target/sources.json``; a senior analytics
engineer reads that file (or the orchestrator's asset checks), not log lines. These helpers turn
it into small, sorted tables so a notebook's output is the same on every run::

    from workbook.ch02_staging.freshness import freshness_over_time
    freshness_over_time([0, 12, 30])      # each source's status now, 12 h and 30 h later
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from sproutly import clock, paths

if TYPE_CHECKING:
    from workbook.sandbox import Sandbox


def freshness_table(target_path: str | Path | None = None) -> pd.DataFrame:
    """The last ``dbt source freshness`` as a table, one row per source table, sorted.

    Columns: ``source`` (``app.users``), ``status`` (pass / warn / error), ``age_hours`` (now
    minus the newest load), ``warn_after_hours`` and ``error_after_hours`` (from the YAML).
    """
    from sproutly.dbt import freshness_results, threshold_hours

    rows = [
        {
            "source": row["unique_id"].split(".", 2)[-1],
            "status": row["status"],
            "age_hours": round(row.get("max_loaded_at_time_ago_in_s", float("nan")) / 3600, 1),
            "warn_after_hours": threshold_hours(row.get("criteria", {}).get("warn_after")),
            "error_after_hours": threshold_hours(row.get("criteria", {}).get("error_after")),
        }
        for row in freshness_results(target_path)["results"]
    ]
    return pd.DataFrame(rows).sort_values("source").reset_index(drop=True)


def freshness_at(hours_later: float = 0, *, sb: Sandbox | None = None) -> pd.DataFrame:
    """Run ``dbt source freshness`` as if the clock stood ``hours_later`` past the simulated now.

    The project's freshness macro reads the var ``sproutly_now`` (see
    ``macros/collect_freshness.sql``), so moving "now" is one ``--vars`` away: no waiting, no
    editing timestamps in the warehouse. With ``sb`` the sandbox's project and warehouse are used.

    New ``--vars`` make dbt parse the whole project again, and it keeps the parse (for the next
    command's partial parsing) in its target folder: a moved clock therefore writes to a folder of
    its own, ``<data>/dbt_target_what_if``, so the next ``dbt build`` in the usual folder still
    parses only what changed. At ``hours_later=0`` dbt reads the simulated clock itself, no var.
    """
    from sproutly.dbt import dbt

    moment = clock.now() + timedelta(hours=hours_later)
    variables = {"sproutly_now": moment.strftime("%Y-%m-%d %H:%M:%S")}
    if sb is None:
        target_path = paths.data_dir() / "dbt_target_what_if" if hours_later else None
        dbt(
            "source",
            "freshness",
            "--log-level",
            "none",
            vars=variables if hours_later else None,
            target_path=target_path,
        )
        return freshness_table(target_path)
    sb.dbt("source", "freshness", vars=variables)
    return freshness_table(sb.project_dir / "target")


def freshness_over_time(hours_later: Sequence[float], *, sb: Sandbox | None = None) -> pd.DataFrame:
    """Each source's freshness status at several moments: one column per ``now + N h``."""
    columns = {}
    for hours in hours_later:
        table = freshness_at(hours, sb=sb).set_index("source")
        columns["now" if hours == 0 else f"now + {hours:g} h"] = table["status"]
    return pd.DataFrame(columns).rename_axis("source").reset_index()


def relation_columns(relation: str, *, database: str | Path = "warehouse") -> list[str]:
    """The columns of ``schema.table`` in catalogue order (e.g. ``"raw.events"``)."""
    from workbook.query import query

    schema, _, table = relation.partition(".")
    found = query(
        "select column_name from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table],
        database=database,
    )
    return list(found["column_name"])


def add_plan_version(sb: Sandbox, plan_id: str, price_cents: int, hours_later: float = 1) -> None:
    """Append a newer version of ``plan_id`` (a price change) to the sandbox's ``raw.app_plans``,
    as the loader would after the app changed the row: same columns, a later ``updated_at`` and
    ``_loaded_at``. Raw is a log, so the plan now has two versions; staging must keep the latest.
    """
    import duckdb

    database = sb.data_dir / "warehouse" / paths.warehouse_path().name
    moment = clock.now() + timedelta(hours=hours_later)
    connection = duckdb.connect(str(database))
    try:
        connection.execute(
            """
            insert into raw.app_plans
            select * replace (
                cast(? as bigint) as price_cents,
                cast(? as timestamp) as updated_at,
                'manual-price-change' as _load_id,
                cast(? as timestamp) as _loaded_at,
                'app.db:plans#price-change' as _source
            )
            from raw.app_plans
            where plan_id = ?
            qualify row_number() over (order by updated_at desc, _loaded_at desc) = 1
            """,
            [price_cents, moment, moment, plan_id],
        )
    finally:
        connection.close()
