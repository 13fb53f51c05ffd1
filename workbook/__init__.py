"""What the workbook's notebooks import: ``from workbook import *``.

- ``paths``: where every generated file lives (one root: ``$SPROUTLY_DATA_DIR``)
- ``simulated_now()``: the simulated clock ("now" for the pipeline; never the wall clock)
- ``checkpoint("NN")``: reset the data folder to the state chapter NN starts from
- ``query(sql)``, ``row_counts(schema)``: short-lived read-only queries (never hold the warehouse)
- ``show``: display the project's real files (``show.sql("stg_app__users")``)
- ``sandbox(name)``: a private project copy for an exercise; ``checks``: checks that explain
- ``upgrade_triggers(...)`` / ``plot_triggers(...)``: when to leave local-first
- ``plots``: small consistent charts; ``results``: what a dbt command did, as tables
- ``fingerprints(database, schema)``: row count + content hash per table (equal means equal)
- ``ingestion_config()``, ``simulation()``, ``results_table()``: the loader and the simulated
  product for the current data folder (the billing API is started on first use)

What only one chapter needs lives in its own subpackage, named after the notebook it serves
(``workbook.ch06_observability``: ``views``, ``drills``, ``history``, ``exercise_checks``)::

    from workbook.ch06_observability import drills, views
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from sproutly import clock, paths
from workbook import checks, plots, results, show
from workbook.checkpoints import Checkpoint, checkpoint
from workbook.pipeline import ingestion_config, results_table, simulation
from workbook.query import WarehouseLocked, fingerprints, query, row_counts
from workbook.sandbox import Sandbox, sandbox
from workbook.triggers import THRESHOLDS, UpgradeAssessment, plot_triggers, upgrade_triggers

# Tables show whole messages: the part of an error that matters is often past pandas' default of
# 50 characters per cell.
pd.set_option("display.max_colwidth", 200)


def simulated_now() -> datetime:
    """The simulated "now" (naive UTC) the pipeline runs at: ``sproutly.clock.now()``."""
    return clock.now()


__all__ = [
    "THRESHOLDS",
    "Checkpoint",
    "Sandbox",
    "UpgradeAssessment",
    "WarehouseLocked",
    "checkpoint",
    "checks",
    "clock",
    "fingerprints",
    "ingestion_config",
    "paths",
    "plot_triggers",
    "plots",
    "query",
    "results",
    "results_table",
    "row_counts",
    "sandbox",
    "show",
    "simulated_now",
    "simulation",
    "upgrade_triggers",
]
