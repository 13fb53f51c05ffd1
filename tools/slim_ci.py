"""Slim CI: a pull request builds only what it changed and what depends on it.

dbt compares the project with the manifest of production (the *state*) and selects
``state:modified+``: the models, snapshots and tests whose files or configs differ, and everything
downstream of them. ``--defer`` resolves every unselected ``ref()`` to production's relation, so the
unchanged parents are read, not rebuilt.

Production is the ``prod`` target: ``<data>/warehouse/prod.duckdb``, built from main, and the
manifest of main's code parsed for that target. Two commands (``make prod-manifest``, ``make ci-pr``)::

    python -m tools.slim_ci prod-manifest   # on main: dbt parse --target prod -> .ci/prod-manifest/
    python -m tools.slim_ci pr              # on a branch: dbt build -s state:modified+ --defer

``pr`` never writes production: it copies ``prod.duckdb`` (a DuckDB file is the warehouse: the copy
is this stack's zero-copy clone) and the simulated clock into ``<data>/ci/`` and builds there, so a
deferred ``ref()`` (``prod.staging.stg_x``) and a ``source()`` find production's tables in the copy.
Without a production manifest or warehouse (a first run, an expired artefact) it says so and falls
back to the full pipeline (``python -m orchestration run``) in ``<data>/ci/``.

In GitHub Actions (.github/workflows/ci.yml) the push to main uploads both as the ``prod-state``
artefact and the pull-request job downloads the last one.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = ROOT / ".ci" / "prod-manifest"
PROD_TARGET = "prod"
SELECTOR = "state:modified+"


def prod_manifest(state_dir: Path = STATE_DIR) -> Path:
    """``dbt parse --target prod`` of this checkout; keeps only its ``manifest.json`` in
    ``state_dir``. Returns the manifest's path."""
    from sproutly.dbt import dbt

    with tempfile.TemporaryDirectory(prefix="prod-manifest-") as tmp:
        result = dbt("parse", target=PROD_TARGET, target_path=Path(tmp) / "target")
        if not result.success:
            raise SystemExit(f"dbt parse --target prod failed: {result.exception}")
        state_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(tmp) / "target" / "manifest.json", state_dir / "manifest.json")
    return state_dir / "manifest.json"


def slim_args(state_dir: Path) -> list[str]:
    """The Slim CI build: the modified nodes and their children, the rest deferred to production."""
    return ["build", "--select", SELECTOR, "--defer", "--state", str(state_dir)]


def _prepare_ci_data(prod_data: Path, ci_data: Path) -> None:
    """A private copy of production's warehouse and clock in ``ci_data`` (replaced every run)."""
    shutil.rmtree(ci_data, ignore_errors=True)
    (ci_data / "warehouse").mkdir(parents=True)
    shutil.copyfile(prod_data / "warehouse" / "prod.duckdb", ci_data / "warehouse" / "prod.duckdb")
    clock = prod_data / "clock.json"
    if clock.exists():
        shutil.copyfile(clock, ci_data / "clock.json")


def _full_build(ci_data: Path) -> int:
    """The whole pipeline on the prod target in ``ci_data`` (sources generated if missing)."""
    env = {**_environ(), "SPROUTLY_DATA_DIR": str(ci_data), "SPROUTLY_TARGET": PROD_TARGET}
    env.pop("DAGSTER_HOME", None)  # orchestration keeps it inside the data folder
    for args in (["-m", "microproduct", "init", "--if-missing"], ["-m", "orchestration", "run"]):
        completed = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, check=False)
        if completed.returncode:
            return completed.returncode
    return 0


def _environ() -> dict[str, str]:
    import os

    return dict(os.environ)


def pr(state_dir: Path, prod_data: Path, ci_data: Path) -> int:
    """Build ``state:modified+`` with ``--defer`` against production; print which nodes ran.
    Returns a process exit code (0: everything selected built and passed)."""
    from sproutly.dbt import dbt, failed_nodes, node_statuses, run_results
    from sproutly.env import temporarily

    manifest = state_dir / "manifest.json"
    warehouse = prod_data / "warehouse" / "prod.duckdb"
    missing = [str(p) for p in (manifest, warehouse) if not p.exists()]
    if missing:
        print(f"slim ci: no production state ({', '.join(missing)} missing): full build")
        return _full_build(ci_data)
    _prepare_ci_data(prod_data, ci_data)
    target_path = ci_data / "target"
    print(f"slim ci: dbt {' '.join(slim_args(state_dir))} (target prod, copy in {ci_data})")
    with temporarily({"SPROUTLY_DATA_DIR": str(ci_data)}):
        result = dbt(*slim_args(state_dir), target=PROD_TARGET, target_path=target_path)
    statuses = node_statuses(run_results(target_path))
    for unique_id, status in sorted(statuses.items()):
        print(f"  {status:8} {unique_id}")
    print(f"slim ci: {len(statuses)} nodes selected (the rest deferred to production)")
    if not result.success:
        failed = failed_nodes(statuses)
        print(f"slim ci: failed: {', '.join(sorted(failed)) or result.exception}")
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.slim_ci", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    produce = commands.add_parser("prod-manifest", help="dbt parse --target prod -> the state dir")
    produce.add_argument("--state", type=Path, default=STATE_DIR)
    build = commands.add_parser("pr", help="build state:modified+ with --defer to production")
    build.add_argument("--state", type=Path, default=STATE_DIR)
    build.add_argument("--prod-data", type=Path, default=None, help="default: the data folder")
    build.add_argument("--ci-data", type=Path, default=None, help="default: <data>/ci")
    args = parser.parse_args(argv)
    if args.command == "prod-manifest":
        print(f"slim ci: production manifest in {prod_manifest(args.state.resolve())}")
        return 0
    from sproutly import paths

    prod_data = (args.prod_data or paths.data_dir()).resolve()
    return pr(args.state.resolve(), prod_data, (args.ci_data or prod_data / "ci").resolve())


if __name__ == "__main__":
    sys.exit(main())
