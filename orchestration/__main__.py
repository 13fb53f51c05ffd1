"""``python -m orchestration``: run the Dagster pipeline in-process against the local instance.

    run                  materialise everything: all landed event partitions, dbt build, publish
    daily [--date D]     the daily job for one partition (default: the last simulated day)
    backfill --start D --end D   reload an events date range (delete + insert), then rebuild
    freshness            run the source freshness checks
    ui [--port 3000]     `dagster dev` on 127.0.0.1 with this project's DAGSTER_HOME

Runs are recorded in ``$DAGSTER_HOME`` (data/dagster_home), so `make ui` shows them afterwards.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import timedelta
from pathlib import Path

from orchestration.instance import ensure_dagster_home

# The console shows warnings and errors only; the full event log is in the Dagster UI.
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _partition_range(first: str | None, last: str | None) -> dict[str, str]:
    return {
        "dagster/asset_partition_range_start": first,
        "dagster/asset_partition_range_end": last,
    }


def _simulated_now_tag() -> dict[str, str]:
    """Tag each run with the simulated clock it ran at (``orchestration.observability`` reads it)."""
    from sproutly import clock

    try:
        return {"sproutly/simulated_now": clock.now().isoformat(sep=" ")}
    except clock.ClockNotSet:
        return {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m orchestration",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="materialise the whole graph over every landed partition")
    daily = sub.add_parser("daily", help="the daily job for one partition")
    daily.add_argument("--date")
    backfill = sub.add_parser("backfill", help="reload an events date range, then rebuild")
    backfill.add_argument("--start", required=True)
    backfill.add_argument("--end", required=True)
    sub.add_parser("freshness", help="run the source freshness checks")
    ui = sub.add_parser("ui", help="dagster dev on 127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)
    args = parser.parse_args(argv)

    home = ensure_dagster_home()
    if args.command == "ui":
        print(f"Dagster UI on http://127.0.0.1:{args.port} (DAGSTER_HOME={home}); Ctrl-C stops it")
        dagster = str(Path(sys.executable).with_name("dagster"))
        command = [
            "dev",
            "-h",
            "127.0.0.1",
            "-p",
            str(args.port),
            "-m",
            "orchestration.definitions",
        ]
        os.execv(dagster, [dagster, *command])
    import dagster as dg

    from orchestration import summary
    from orchestration.definitions import defs
    from orchestration.landing import landed_files
    from sproutly import clock

    definitions = defs()
    instance = dg.DagsterInstance.get()
    if args.command == "freshness":
        result = definitions.resolve_job_def("freshness_checks").execute_in_process(
            instance=instance, tags=_simulated_now_tag(), raise_on_error=False, run_config=QUIET
        )
        print(summary.checks_table(result))
        return 0 if result.success else 1

    job = definitions.resolve_job_def("daily_pipeline")
    tags: dict[str, str] = {}
    if args.command == "run":
        days = [d for d, files in landed_files().items() if files]
        if not days:
            print(
                "No event files landed: generate the sources first (python -m microproduct init)."
            )
            return 2
        tags = _partition_range(days[0], days[-1])
    elif args.command == "daily":
        day = args.date or (clock.now() - timedelta(days=1)).date().isoformat()
        tags = _partition_range(day, day)
    else:
        tags = {**_partition_range(args.start, args.end), "sproutly/backfill": "true"}
    result = job.execute_in_process(
        instance=instance,
        tags={**tags, **_simulated_now_tag()},
        raise_on_error=False,
        run_config=QUIET,
    )
    print(summary.render(result))
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main())
