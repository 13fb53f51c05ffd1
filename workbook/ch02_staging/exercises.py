"""Reference answers behind chapter 02's exercises (reading this file spoils them).

Computed with pandas from the sandbox's raw layer, a different route from the dbt model the
learner writes, so a check compares two independent routes to the same rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from workbook.sandbox import Sandbox


def staged_loads(sb: Sandbox) -> pd.DataFrame:
    """What ``stg_ingestion__loads`` must hold: one row per load of ``meta.loads``."""
    loads = sb.query("select * from meta.loads")
    return pd.DataFrame(
        {
            "load_id": loads["load_id"],
            "source_system": loads["source"],
            "entity": loads["entity"],
            "load_strategy": loads["strategy"],
            "load_status": loads["status"],
            "is_successful": loads["status"].isin(["success", "noop", "warn"]),
            "started_at": pd.to_datetime(loads["started_at"]),
            "finished_at": pd.to_datetime(loads["finished_at"]),
            "rows_loaded": loads["rows_loaded"].astype("int64"),
            "rows_quarantined": loads["rows_quarantined"].astype("int64"),
        }
    )
