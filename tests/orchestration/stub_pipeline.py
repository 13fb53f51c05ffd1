"""A stand-in for the project's definitions in tests of the CLI and of ``orchestration.runs``.

``daily_pipeline`` is one step in the ``warehouse`` pool whose behaviour the environment picks:
``STUB_STEP=ok`` (default), ``fail``, or ``hang`` (writes the file ``STUB_STARTED``, then sleeps).
``python stub_pipeline.py run`` is ``python -m orchestration run`` over this stub.
"""

import os
import sys
import time
from pathlib import Path

import dagster as dg

from sproutly import paths

partitions = dg.DailyPartitionsDefinition(start_date="2026-04-01")
DAY = "2026-04-02"


@dg.asset(partitions_def=partitions, pool="warehouse")
def stub_step() -> None:
    mode = os.environ.get("STUB_STEP", "ok")
    if mode == "fail":
        raise RuntimeError("the stub step failed")
    if mode == "hang":
        Path(os.environ["STUB_STARTED"]).write_text("started")
        time.sleep(300)


def defs() -> dg.Definitions:
    return dg.Definitions(
        assets=[stub_step],
        jobs=[
            dg.define_asset_job(
                "daily_pipeline",
                selection=[stub_step],
                partitions_def=partitions,
                executor_def=dg.in_process_executor,
            )
        ],
    )


def land_one_file() -> None:
    """One landed event file, so that ``run`` has a partition range (``DAY``)."""
    folder = paths.landing_dir() / "events" / f"date={DAY}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "events-000.jsonl").write_text("{}\n")


def use_stub() -> None:
    """Make ``orchestration.definitions.defs`` this stub (what ``runs.execute`` resolves)."""
    import orchestration.definitions

    orchestration.definitions.defs = defs


if __name__ == "__main__":
    use_stub()
    from orchestration.__main__ import main

    sys.exit(main(sys.argv[1:]))
