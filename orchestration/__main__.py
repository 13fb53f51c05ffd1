"""``python -m orchestration``: run the Dagster pipeline in-process against the local instance.

    run                  materialise everything: all landed event partitions, dbt build, publish
    daily [--date D]     the daily job for one partition (default: the last simulated day)
    backfill --start D --end D   reload an events date range (delete + insert), then rebuild
    freshness            run the source freshness checks
    ui [--port 3000]     `dagster dev` on 127.0.0.1 with this project's DAGSTER_HOME

Runs are recorded in ``$DAGSTER_HOME`` (data/dagster_home), so `make ui` shows them afterwards.
A failed run alerts once, through the same sink and policy as the daemon's run-failure sensor
(``ALERT_WEBHOOK_URL`` when set; ``data/alerts.jsonl`` always). A run waits for the ``warehouse``
pool at most ``SPROUTLY_POOL_WAIT_SECONDS`` (runs of this host whose process died are marked
failed and their slots freed first).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from orchestration.instance import ensure_dagster_home


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
    from orchestration import runs

    try:
        return _run(args)
    except runs.PoolBusy as busy:
        print(f"Not started: {busy}", file=sys.stderr)
        return 1


def _alert_if_failed(instance, result) -> None:
    """One alert for a failed run; a webhook that fails is reported, the run's summary still shown."""
    from orchestration import runs
    from orchestration.alerts import WebhookFailed

    if result.success:
        return
    try:
        runs.alert_on_failure(instance, result)
    except WebhookFailed as failed:
        print(failed, file=sys.stderr)


def _run(args: argparse.Namespace) -> int:
    from orchestration import runs, summary
    from orchestration.landing import landed_files

    with runs.project_instance() as instance:
        if args.command == "freshness":
            result = runs.execute("freshness_checks", instance=instance, capture_output=False)
            _alert_if_failed(instance, result)
            print(summary.checks_table(result))
            return 0 if result.success else 1
        if args.command == "run":
            days = [d for d, files in landed_files().items() if files]
            if not days:
                print(
                    "No event files landed: generate the sources first "
                    "(python -m microproduct init)."
                )
                return 2
            partition_range = (days[0], days[-1])
        elif args.command == "daily":
            day = args.date or runs.yesterday()
            partition_range = (day, day)
        else:
            partition_range = (args.start, args.end)
        result = runs.execute(
            "daily_pipeline",
            partition_range=partition_range,
            backfill=args.command == "backfill",
            instance=instance,
            capture_output=False,
        )
        _alert_if_failed(instance, result)
    print(summary.render(result))
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main())
