"""Command line: ``python -m cutover emulated`` and ``python -m cutover check``.

- ``emulated``: the whole cutover against the local emulator (started and stopped here); prints
  the labelled parity table. Exit 0 when every node built and every mart is equal, else 1.
- ``check`` (``make snowflake-check``): the same against a real account when the ``SNOWFLAKE_*``
  variables are set; without them it prints why it skipped and exits 0, so CI stays green on
  machines without credentials. ``--apply-rbac`` first runs ``cutover/rbac.sql`` (needs a role
  allowed to create roles, users and warehouses, e.g. SECURITYADMIN + SYSADMIN).

Both use the DuckDB warehouse of ``--duckdb-target`` (default ``dev``) under ``$SPROUTLY_DATA_DIR``.
"""

from __future__ import annotations

import argparse
import sys

from cutover import rbac
from cutover.run import EMULATED, REAL, REQUIRED_REAL_SETTINGS, cutover, missing_real_settings


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
    return parser


def skip_message() -> str:
    """Why ``check`` did nothing, and what to set to make it run."""
    missing = missing_real_settings()
    return (
        f"skipped: {missing[0]} not set (set {', '.join(REQUIRED_REAL_SETTINGS)} -- and optionally "
        "SNOWFLAKE_ROLE, SNOWFLAKE_WAREHOUSE, SNOWFLAKE_DATABASE, SNOWFLAKE_PRIVATE_KEY_PASSPHRASE -- "
        "to run against a real account; see .env.example)"
    )


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "check":
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
