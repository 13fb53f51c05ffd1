"""The one way Python calls dbt: notebooks, Dagster, tests and the bench all go through here.

dbt runs *in-process* (``dbtRunner``): importing dbt costs a few seconds once, after which a call
costs ~2-3 s instead of ~10 s for a ``dbt`` subprocess. Every call

- points dbt at the project and its ``profiles.yml`` (``--project-dir``, ``DBT_PROFILES_DIR``);
- sets ``SPROUTLY_DATA_DIR`` to the absolute data root, which the profile reads to find the
  warehouse file, so a test's ``tmp_path`` moves the whole run;
- passes the simulated "now" as the var ``sproutly_now`` (from :func:`sproutly.clock.now`), so
  freshness, "not in the future" tests and the metric spine never read the wall clock;
- turns telemetry and colours off, so notebook output is stable.

Example::

    from sproutly.dbt import dbt, node_statuses, run_results
    result = dbt("build", "--select", "staging")
    assert result.success
    node_statuses(run_results())  # {"model.sproutly.stg_app__users": "success", ...}
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sproutly import clock, paths

if TYPE_CHECKING:  # importing dbt costs seconds: only when a call is made
    from dbt.cli.main import dbtRunnerResult

PROJECT_DIR: Path = paths.DBT_PROJECT_DIR


def target_dir() -> Path:
    """Where dbt writes manifest.json and run_results.json: ``$DBT_TARGET_PATH`` or
    ``dbt_project/target``. Parallel test workers each set their own ``DBT_TARGET_PATH``.
    """
    return Path(os.environ.get("DBT_TARGET_PATH") or PROJECT_DIR / "target")


# Commands that accept --vars / --target (dbt rejects unknown options on e.g. `clean`, `debug`).
_NO_VARS_COMMANDS = {"clean", "deps", "init"}


class DbtStartError(RuntimeError):
    """dbt could not even start the command (bad project, profile, or a DuckDB lock held)."""


def _now_var() -> str | None:
    """The simulated now as ``YYYY-MM-DD HH:MM:SS``, or None when no clock exists yet."""
    try:
        return clock.now().strftime("%Y-%m-%d %H:%M:%S")
    except clock.ClockNotSet:
        return None


@contextmanager
def _environment(overrides: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of one dbt call, then restore them."""
    saved = {key: os.environ.get(key) for key in overrides}
    os.environ.update(overrides)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def build_args(
    *args: str, target: str | None = None, vars: dict[str, Any] | None = None, quiet: bool = True
) -> list[str]:
    """The full dbt command line for ``args`` (exposed so notebooks can show what runs)."""
    if not args:
        raise ValueError("dbt() needs a command, e.g. dbt('build')")
    command = args[0]
    cli = [command, *args[1:]]
    if quiet:
        cli.insert(0, "--quiet")
    cli[0:0] = ["--no-use-colors", "--no-send-anonymous-usage-stats"]
    cli += ["--project-dir", str(PROJECT_DIR)]
    if command not in _NO_VARS_COMMANDS:
        cli += ["--profiles-dir", str(PROJECT_DIR)]
        all_vars = {}
        if (now := _now_var()) is not None:
            all_vars["sproutly_now"] = now
        all_vars.update(vars or {})
        if all_vars:
            cli += ["--vars", json.dumps(all_vars, sort_keys=True)]
        if target is not None:
            cli += ["--target", target]
    return cli


def dbt(
    *args: str,
    target: str | None = None,
    vars: dict[str, Any] | None = None,
    quiet: bool = True,
    target_path: str | Path | None = None,
    env: dict[str, str] | None = None,
    callbacks: list[Callable[[Any], None]] | None = None,
) -> dbtRunnerResult:
    """Run one dbt command in-process and return dbt's result object.

    ``result.success`` is False when a model or test fails (inspect :func:`run_results`); a
    :class:`DbtStartError` is raised instead when dbt could not run the command at all (e.g. the
    warehouse file is locked by another process), carrying dbt's own message.

    ``target_path`` sends the artefacts (manifest, run_results.json) to another folder than
    :func:`target_dir`; ``env`` adds environment variables for this call only; ``callbacks``
    receive every structured dbt event as it happens (Dagster turns result events into asset
    materialisations and checks, see ``orchestration/dbt_events.py``).
    """
    from dbt.cli.main import dbtRunner

    call_env = {
        "SPROUTLY_DATA_DIR": str(paths.data_dir()),
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "DO_NOT_TRACK": "1",
        **(env or {}),
    }
    if target is not None:
        call_env["SPROUTLY_TARGET"] = target
    if target_path is not None:
        call_env["DBT_TARGET_PATH"] = str(target_path)
    paths.ensure(paths.warehouse_path(target))
    cli = build_args(*args, target=target, vars=vars, quiet=quiet)
    with _environment(call_env):
        try:
            result = dbtRunner(callbacks=callbacks or []).invoke(cli)
        finally:
            _release_duckdb()
    if result.exception is not None:
        raise DbtStartError(f"dbt {' '.join(args)} could not run: {result.exception}") from (
            result.exception if isinstance(result.exception, BaseException) else None
        )
    return result


def _release_duckdb() -> None:
    """Close the DuckDB handle dbt-duckdb keeps for the invocation (``keep_open: true`` in the
    profile), so no lock on the warehouse outlives the call: the next step, another process or a
    notebook's own connection can open the file as soon as :func:`dbt` returns."""
    import sys

    connections = sys.modules.get("dbt.adapters.duckdb.connections")
    if connections is None:  # another adapter, or dbt never got as far as opening a connection
        return
    manager = connections.DuckDBConnectionManager
    with manager._LOCK:
        if manager._ENV is not None:
            manager._ENV.close()
            manager._ENV = None


def run_results(target_path: str | Path | None = None) -> dict[str, Any]:
    """The parsed ``run_results.json`` of the last dbt command (dbt's machine-readable record)."""
    path = Path(target_path or target_dir()) / "run_results.json"
    return json.loads(path.read_text())


def node_statuses(results: dict[str, Any]) -> dict[str, str]:
    """``unique_id -> status`` (success, error, fail, warn, pass, skipped) for assertions."""
    return {row["unique_id"]: row["status"] for row in results["results"]}


def main(argv: list[str] | None = None) -> int:
    """``python -m sproutly.dbt build --select marts``: the same call from a shell or Makefile.

    Exit code 0 when dbt succeeded, 1 when a node failed, 2 when dbt could not start.
    """
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = dbt(*args, quiet=False)
    except (DbtStartError, ValueError) as error:
        print(error, file=sys.stderr)
        return 2
    return 0 if result.success else 1


if __name__ == "__main__":
    raise SystemExit(main())
