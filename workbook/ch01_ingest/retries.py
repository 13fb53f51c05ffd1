"""Chapter 01: the billing API with the simulation's faults switched on, and what the loader asked it.

Plumbing only: the lesson (pagination, ``Retry-After``, backoff, terminal errors) is the loader's
own code, ``ingestion.sources.billing_api``, which the chapter shows and runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pandas as pd

from sproutly import paths
from workbook.pipeline import NOTEBOOK_TOKEN

if TYPE_CHECKING:
    from microproduct import Simulation
    from microproduct.billing_api import BillingAPI


@contextmanager
def billing_api_with_faults(
    simulation: Simulation, retry_after: float = 2.0
) -> Iterator[BillingAPI]:
    """A fresh simulated billing API on 127.0.0.1 that serves the simulation's fault config (as
    ``python -m orchestration run`` serves it), sending ``Retry-After: <retry_after>`` with every
    429. Its request counter starts at 0, so the same loads meet the same faults on every run."""
    from microproduct.billing_api import running

    with running(
        paths.billing_db_path(), NOTEBOOK_TOKEN, faults=simulation.faults, retry_after=retry_after
    ) as api:
        yield api


def request_log(api: BillingAPI, waits: list[float] | None = None) -> pd.DataFrame:
    """Every request the API answered, in order: endpoint, page, attempt and HTTP status.

    A page is the same ``cursor`` asked again; ``attempt`` counts the asks. ``waits``: what the
    loader's injected ``sleep`` was called with, in order; each wait follows a failed attempt that
    was retried, and is shown on the row of that failed attempt (``waited_s``).
    """
    rows = []
    pending = list(waits or [])
    previous: tuple[str, str | None] | None = None
    page = attempt = 0
    for record in api.requests:
        key = (record.path, record.query.get("cursor"))
        if previous is None or key[0] != previous[0]:
            page, attempt = 1, 1
        elif key != previous:
            page, attempt = page + 1, 1
        else:
            attempt += 1
        previous = key
        rows.append(
            {
                "request": record.index + 1,
                "endpoint": record.path,
                "page": page,
                "attempt": attempt,
                "status": record.status,
                "waited_s": None,
            }
        )
    for row, next_row in zip(rows, rows[1:], strict=False):
        retried = next_row["endpoint"] == row["endpoint"] and next_row["attempt"] > 1
        if row["status"] != 200 and retried and pending:
            row["waited_s"] = round(pending.pop(0), 1)
    return pd.DataFrame(rows)
