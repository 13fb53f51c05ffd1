"""``python -m orchestration``: run the Dagster pipeline in-process against the local instance.

    run                  materialise everything: all landed event partitions, dbt build, publish
    daily [--date D]     the daily job for one partition (default: the last simulated day)
    backfill --start D --end D   reload an events date range (delete + insert), then rebuild
    freshness            run the source freshness checks

Runs are recorded in ``$DAGSTER_HOME`` (data/dagster_home), so `make ui` shows them afterwards.
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta

from orchestration.instance import ensure_dagster_home


def _partition_range(first: str | None, last: str | None) -> dict[str, str]:
    return {
        "dagster/asset_partition_range_start": first,
        "dagster/asset_partition_range_end": last,
    }


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
    args = parser.parse_args(argv)

    ensure_dagster_home()
    import dagster as dg

    from orchestration import summary
    from orchestration.definitions import defs
    from orchestration.defs.sensors import landed_files
    from sproutly import clock

    definitions = defs()
    instance = dg.DagsterInstance.get()
    if args.command == "freshness":
        result = definitions.resolve_job_def("freshness_checks").execute_in_process(
            instance=instance, raise_on_error=False
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
    result = job.execute_in_process(instance=instance, tags=tags, raise_on_error=False)
    print(summary.render(result))
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main())
