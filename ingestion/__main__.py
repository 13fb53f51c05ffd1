"""Command line: ``python -m ingestion load {app,billing,events,all} [--full-refresh] [--date D]
[--force]``, ``python -m ingestion backfill events --start D --end D [--force]``,
``python -m ingestion status``.

Prints one line per entity (offered / loaded / quarantined, status). Exit code 1 when a load
failed, 2 for a set-up problem (missing variable, locked warehouse).
"""

from __future__ import annotations

import argparse
import secrets
import sys
from contextlib import ExitStack
from datetime import date

from ingestion.api import backfill_events, load, status
from ingestion.config import URL_ENV, IngestionConfig, MissingSetting
from ingestion.destination import WarehouseLocked
from ingestion.results import LoadResult
from sproutly.settings import settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ingestion", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_load = sub.add_parser("load", help="load one source (or all)")
    p_load.add_argument("source", choices=["app", "billing", "events", "all"])
    p_load.add_argument("--full-refresh", action="store_true", help="replace the tables' contents")
    p_load.add_argument("--date", type=date.fromisoformat, help="events: one drop-date partition")
    p_load.add_argument(
        "--force",
        action="store_true",
        help="events full refresh: also replace partitions whose folder is gone (with nothing)",
    )
    p_load.add_argument(
        "--start-simulated-api",
        action="store_true",
        help=f"when {URL_ENV} is unset, serve the simulated billing API for this run",
    )
    p_back = sub.add_parser("backfill", help="reload a date range of event partitions")
    p_back.add_argument("source", choices=["events"])
    p_back.add_argument("--start", type=date.fromisoformat, required=True)
    p_back.add_argument("--end", type=date.fromisoformat, required=True)
    p_back.add_argument(
        "--force",
        action="store_true",
        help="also replace a partition whose folder is gone (its rows are deleted)",
    )
    sub.add_parser("status", help="the latest load of every entity")
    return parser


def _print(results: list[LoadResult]) -> None:
    for result in results:
        print(result.line())


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "status":
            frame = status()
            print("no loads yet" if frame.empty else frame.to_string(index=False))
            return 0
        if args.command == "backfill":
            results = backfill_events(
                args.start, args.end, raise_on_failure=False, force=args.force
            )
            _print(results)
            return 1 if any(r.status == "failed" for r in results) else 0
        with ExitStack() as stack:
            config = IngestionConfig.from_env()
            wants_api = args.source in ("billing", "all") and not settings().billing_api_url
            if wants_api and args.start_simulated_api:
                # Imported here, never in the library: ingestion does not depend on the simulator.
                from microproduct.billing_api import running

                # A local, simulated API needs no real secret: use the configured token if there
                # is one, else a throw-away token that lives only in this process.
                token = config.billing_api_token or secrets.token_urlsafe(24)
                api = stack.enter_context(running(token=token))
                config = IngestionConfig.from_env(billing_api_url=api.url, billing_api_token=token)
            results = load(
                args.source,
                config=config,
                full_refresh=args.full_refresh,
                partition_date=args.date,
                raise_on_failure=False,
                force=args.force,
            )
        _print(results)
        return 1 if any(r.status == "failed" for r in results) else 0
    except (MissingSetting, WarehouseLocked, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
