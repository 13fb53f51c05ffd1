"""``python -m microproduct``: generate, advance and inspect the sources; serve the billing API.

    python -m microproduct init [--seed 42 --scale 1 --days 120] [--fault NAME[:k=v,...]]... [--if-missing]
    python -m microproduct advance [--days 1]
    python -m microproduct status
    python -m microproduct serve-api [--port 0] [--port-file F]

Paths follow ``$SPROUTLY_DATA_DIR`` (see :mod:`sproutly.paths`); the API token is
``$BILLING_API_TOKEN``.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path

from microproduct import billing_api
from microproduct import faults as fault_catalogue
from microproduct.simulation import Simulation
from sproutly import paths


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m microproduct", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    init = commands.add_parser("init", help="build the sources from scratch")
    init.add_argument("--seed", type=int, default=42)
    init.add_argument("--scale", type=float, default=1.0)
    init.add_argument("--days", type=int, default=120)
    init.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME[:k=v,...]",
        help=f"switch a fault on (repeatable); one of: {', '.join(fault_catalogue.FAULTS)}",
    )
    init.add_argument(
        "--if-missing",
        action="store_true",
        help="do nothing when sources with the same seed and scale already exist",
    )
    advance = commands.add_parser("advance", help="simulate more days")
    advance.add_argument("--days", type=int, default=1)
    commands.add_parser("status", help="clock, rows per table, event files")
    serve = commands.add_parser(
        "serve-api", help="serve the billing API on 127.0.0.1 until stopped"
    )
    serve.add_argument("--port", type=int, default=0, help="0 = any free port")
    serve.add_argument("--port-file", type=Path, help="write the chosen port to this file")
    for sub in (init, advance):
        sub.add_argument(
            "--progress", action=argparse.BooleanOptionalAction, default=None, help="progress bar"
        )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "init":
        return _init(args)
    if args.command == "advance":
        print(Simulation(progress=args.progress).advance(days=args.days))
        return 0
    if args.command == "status":
        return _status()
    return _serve(args)


def _init(args: argparse.Namespace) -> int:
    sim = Simulation(seed=args.seed, scale=args.scale, progress=args.progress)
    if args.if_missing and sim.exists():
        state = sim.state()
        if state["seed"] == args.seed and state["scale"] == args.scale:
            print(
                f"sources already exist at {sim.paths.sources} (seed {args.seed}, "
                f"scale {args.scale:g}, day {state['day']}): nothing to do"
            )
            return 0
        print(
            f"sources at {sim.paths.sources} have seed {state['seed']} / scale {state['scale']:g}: "
            "rebuilding"
        )
    try:
        faults = dict(fault_catalogue.parse_cli(spec) for spec in args.fault)
        fault_catalogue.normalise(faults)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(sim.init(days=args.days, faults=faults))
    return 0


def _status() -> int:
    sim = Simulation()
    if not sim.exists():
        print(f"no sources at {sim.paths.sources}: run `python -m microproduct init`")
        return 1
    status = sim.status()
    print(
        f"clock   {status['clock']} (day {status['day']}, seed {status['seed']}, scale {status['scale']:g})"
    )
    for table, count in status["rows"].items():
        print(f"{table:<14}{count:>12,}")
    print(
        f"{'event files':<14}{status['event_files']:>12,}  ({status['event_lines']:,} lines, "
        f"{status['event_bytes'] / 1e6:.1f} MB)"
    )
    if status["faults"]:
        print(f"faults  {json.dumps(status['faults'], sort_keys=True)}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    sim = Simulation()
    faults = sim.faults if sim.exists() else None
    try:
        context = billing_api.running(paths.billing_db_path(), port=args.port, faults=faults)
        api = context.__enter__()
    except billing_api.MissingTokenError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    stop = threading.Event()
    previous = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        if args.port_file:
            args.port_file.write_text(f"{api.port}\n")
        print(
            f"billing API on {api.url} (store {api.db_path}); stop with Ctrl-C or SIGTERM",
            flush=True,
        )
        while not stop.wait(0.5):
            pass
    finally:
        context.__exit__(None, None, None)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    print("billing API stopped", flush=True)
    return 0
