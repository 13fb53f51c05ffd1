"""Command line: ``python -m cutover emulated``, ``check`` and ``portability``.

- ``emulated``: the whole cutover against the local emulator (started and stopped here); prints
  the labelled parity table. Exit 0 when every node built and every mart is equal, else 1.
- ``portability`` (``make portability``, part of ``make lint``): the portability gate
  (:mod:`cutover.portability`): compile for Snowflake, parse every model and test with a
  Snowflake grammar. Exit 0 when nothing is found, else 1, naming file and line.
- ``check`` (``make snowflake-check``): the gate first, then the cutover against a real account
  when the ``SNOWFLAKE_*`` variables are set; without them it names the missing variables and
  exits 0 (after a green gate), so CI stays green on machines without credentials.
  ``--apply-rbac`` first runs ``cutover/rbac.sql`` (needs a role allowed to create roles, users
  and warehouses, e.g. SECURITYADMIN + SYSADMIN). ``--no-gate`` skips the gate.

Both use the DuckDB warehouse of ``--duckdb-target`` (default ``dev``) under ``$SPROUTLY_DATA_DIR``.
"""

from __future__ import annotations

import argparse
import sys

from cutover import portability, rbac
from cutover.run import EMULATED, REAL, cutover, missing_real_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m cutover", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("emulated", "run the cutover against the local Snowflake emulator"),
        ("check", "run the cutover against a real account (skipped without SNOWFLAKE_ACCOUNT)"),
    ):
        command = sub.add_parser(name, help=text)
        command.add_argument("--duckdb-target", default="dev")
        command.add_argument("--timeout", type=float, default=900, help="seconds per dbt command")
    sub.choices["check"].add_argument(
        "--apply-rbac", action="store_true", help="apply cutover/rbac.sql before the cutover"
    )
    sub.choices["check"].add_argument(
        "--no-gate", action="store_true", help="skip the portability gate (it already ran)"
    )
    gate = sub.add_parser(
        "portability", help="compile for Snowflake and parse every model and test (the gate)"
    )
    gate.add_argument("--timeout", type=float, default=600, help="seconds for dbt compile")
    return parser


def skip_message() -> str:
    """Why ``check`` did not reach the account: the missing variables, by name only."""
    missing = missing_real_settings()
    return (
        f"skipped: missing {', '.join(missing)} (names only; optional: SNOWFLAKE_ROLE, "
        "SNOWFLAKE_WAREHOUSE, SNOWFLAKE_DATABASE, SNOWFLAKE_PRIVATE_KEY_PASSPHRASE; see .env.example)"
    )


def run_gate(timeout: float = 600) -> bool:
    """Run the portability gate, print its findings and wall time; True when it passed."""
    try:
        result = portability.gate(timeout=timeout)
    except RuntimeError as error:  # dbt could not compile, or the emulator did not start
        print(f"portability gate FAILED: {error}")
        return False
    print(result.summary())
    print(
        f"gate time: compile {result.seconds.get('compile_s', 0):.1f} s, parse "
        f"{result.seconds.get('parse_s', 0):.1f} s"
    )
    return result.ok


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "portability":
        return 0 if run_gate(args.timeout) else 1
    if args.command == "check":
        if not args.no_gate and not run_gate(args.timeout):
            return 1
        if missing_real_settings():
            print(skip_message())
            return 0
        if args.apply_rbac:
            for statement in rbac.apply():
                print(f"rbac: {statement.splitlines()[0][:100]}")
        target = REAL
    else:
        target = EMULATED
    try:
        result = cutover(target, duckdb_target=args.duckdb_target, timeout=args.timeout)
    except (FileNotFoundError, RuntimeError) as error:
        print(f"cutover failed: {error}", file=sys.stderr)
        return 2
    print(result.summary())
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
