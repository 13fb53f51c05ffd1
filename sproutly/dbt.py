"""The one way Python calls dbt: notebooks, Dagster, tests and the bench all go through here.

dbt runs *in-process* (``dbtRunner``): importing dbt costs a few seconds once, after which a call
costs ~2-3 s instead of ~10 s for a ``dbt`` subprocess. Every call

- points dbt at the project and its ``profiles.yml`` (``--project-dir``, ``DBT_PROFILES_DIR``);
- sets ``SPROUTLY_DATA_DIR`` to the absolute data root, which the profile reads to find the
  warehouse file, so a test's ``tmp_path`` moves the whole run;
- leaves the simulated "now" to the project's ``sproutly_now()`` macro, which on DuckDB reads the
  clock file ``<data>/clock.json`` when it compiles a node; the var ``sproutly_now`` is passed only when
  ``$SPROUTLY_NOW`` pins "now" or the engine cannot read the file (Snowflake). Freshness, "not in
  the future" tests and the metric spine never read the wall clock;
- turns telemetry and colours off, so notebook output is stable.

It is also the one place that reads what dbt writes (its *artefacts*): ``manifest.json``
(:func:`manifest`), ``run_results.json`` (:func:`run_results`) and ``sources.json``
(:func:`freshness_results`), what counts as a failed node (:data:`BLOCKING_STATUSES`,
:func:`failed_nodes`) and the sources' freshness thresholds (:func:`source_freshness_thresholds`).

Example::

    from sproutly.dbt import dbt, failed_nodes, node_statuses, run_results
    result = dbt("build", "--select", "staging")
    assert result.success
    node_statuses(run_results())  # {"model.sproutly.stg_app__users": "success", ...}
    failed_nodes(node_statuses(run_results()))  # {} (or {"test.sproutly.not_null_...": "fail"})
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sproutly import clock, paths
from sproutly.env import temporarily
from sproutly.settings import settings

if TYPE_CHECKING:  # importing dbt costs seconds: only when a call is made
    from dbt.cli.main import dbtRunnerResult

PROJECT_DIR: Path = paths.DBT_PROJECT_DIR


def target_dir() -> Path:
    """Where dbt writes manifest.json and run_results.json: ``$DBT_TARGET_PATH`` or
    ``dbt_project/target``. Parallel test workers each set their own ``DBT_TARGET_PATH``.
    """
    return Path(settings().dbt_target_path or PROJECT_DIR / "target")


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


#: Targets on DuckDB, where dbt reads the simulated clock file itself (macro sproutly_now).
DUCKDB_TARGETS = {"dev", "prod"}


def _reads_clock_file(target: str | None) -> bool:
    """True when dbt reads ``<data>/clock.json`` itself (at compile time), so no ``sproutly_now`` var is
    passed: a new simulated day then changes nothing dbt parses (partial parsing survives it), and
    a plain ``dbt build`` in a shell sees the same "now". ``$SPROUTLY_NOW`` (drills, tests) and
    other engines (Snowflake cannot read the file) still get the var."""
    current = settings()
    if current.sproutly_now:
        return False
    return (target or current.sproutly_target) in DUCKDB_TARGETS


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
        if not _reads_clock_file(target) and (now := _now_var()) is not None:
            all_vars["sproutly_now"] = now
        all_vars.update(vars or {})
        if all_vars:
            cli += ["--vars", json.dumps(all_vars, sort_keys=True)]
        if target is not None:
            cli += ["--target", target]
    return cli


#: Secrets dbt's profile needs, under the ``DBT_ENV_SECRET_`` names dbt masks in its logs and
#: artefacts (dbt allows such variables only in profiles.yml and packages.yml).
PROFILE_SECRETS = {
    "DBT_ENV_SECRET_SNOWFLAKE_PRIVATE_KEY_PASSPHRASE": "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE"
}


def secret_env() -> dict[str, str]:
    """``DBT_ENV_SECRET_*`` variables for dbt, from the settings that are set (values never shown)."""
    current = settings()
    values = {name: current.plain(setting) for name, setting in PROFILE_SECRETS.items()}
    return {name: value for name, value in values.items() if value}


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
    call_env.update(secret_env())
    if target is not None:
        call_env["SPROUTLY_TARGET"] = target
    if target_path is not None:
        call_env["DBT_TARGET_PATH"] = str(target_path)
        _seed_partial_parse(Path(target_path))
    paths.ensure(paths.warehouse_path(target))
    cli = build_args(*args, target=target, vars=vars, quiet=quiet)
    with temporarily(call_env):
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


# -- partial parsing across data folders ------------------------------------------------------
#: The file dbt keeps its parsed project in (in the target folder) for partial parsing.
PARTIAL_PARSE_FILE = "partial_parse.msgpack"
#: How the profile's DuckDB paths start (``dbt_project/profiles.yml``).
_DATA_DIR_IN_PROFILE = "{{ env_var('SPROUTLY_DATA_DIR') }}"


def _profile_checksum(data_dir: str, target: str) -> str:
    """The checksum dbt's partial parsing keeps of the DuckDB output ``target`` when the warehouse
    lives under ``data_dir``: the sha256 of the sorted ``connection_info()`` items of the profile,
    pretty-printed (dbt-core's ``ManifestLoader.build_manifest_state_check``, dbt-duckdb's
    connection keys). Only ``path`` depends on the data folder."""
    import hashlib
    import pprint

    import yaml

    output = yaml.safe_load((PROJECT_DIR / "profiles.yml").read_text())["sproutly"]["outputs"][
        target
    ]
    info = {
        "attach": None,
        "config_options": None,
        "database": target,  # dbt-duckdb names the database after the file
        "disable_transactions": False,
        "extensions": None,
        "external_root": ".",
        "filesystems": None,
        "path": output["path"].replace(_DATA_DIR_IN_PROFILE, data_dir),
        "plugins": None,
        "remote": None,
        "schema": output["schema"],
        "settings": output.get("settings"),
        "use_credential_provider": None,
    }
    return hashlib.sha256(pprint.pformat(sorted(info.items())).encode()).hexdigest()


def _seed_partial_parse(target_path: Path) -> None:
    """A target folder without a parsed project starts from the default folder's
    (:func:`target_dir`): dbt still checks it (profile, vars, every file's checksum) and parses
    only what differs, instead of the whole project (Dagster's and freshness's own folders)."""
    import shutil

    seed, copy = target_dir() / PARTIAL_PARSE_FILE, target_path / PARTIAL_PARSE_FILE
    if seed.exists() and not copy.exists() and seed.resolve() != copy.resolve():
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(seed, copy)


def rehome_partial_parse(data_dir: Path, origin: str) -> list[Path]:
    """Let dbt's partial parsing survive a data folder copied from ``origin`` to ``data_dir``
    (a restored checkpoint); returns the files changed.

    dbt keeps a checksum of the profile's connection in ``partial_parse.msgpack`` and parses the
    whole project again (~3 s) when it differs; the DuckDB ``path`` is part of it, so every copy
    of a data folder paid a full parse per dbt target folder. The parsed project itself does not
    depend on the folder, so the checksum of ``origin`` is swapped for the one of ``data_dir``
    in each target folder of ``data_dir`` (``dbt_target*``). A file whose checksum is not
    exactly one known value (another engine's target, another dbt version) is left alone: dbt
    then parses in full, as before."""
    current = str(data_dir)
    if current == origin:
        return []
    swaps = {
        _profile_checksum(origin, t).encode(): _profile_checksum(current, t).encode()
        for t in sorted(DUCKDB_TARGETS)
    }
    changed = []
    for file in sorted(data_dir.glob(f"dbt_target*/**/{PARTIAL_PARSE_FILE}")):
        blob = file.read_bytes()
        for old, new in swaps.items():
            if blob.count(old) == 1:
                file.write_bytes(blob.replace(old, new))
                changed.append(file)
                break
    return changed


# -- artefacts: what dbt wrote ---------------------------------------------------------------
def _artefact(name: str, target_path: str | Path | None) -> dict[str, Any]:
    """The parsed JSON file ``name`` of a dbt target folder (default :func:`target_dir`);
    ``target_path`` may also be that file itself. Raises FileNotFoundError when dbt wrote none."""
    path = Path(target_path or target_dir())
    if path.name != name:
        path = path / name
    return json.loads(path.read_text(encoding="utf-8"))


def manifest(target_path: str | Path | None = None) -> dict[str, Any]:
    """The parsed ``manifest.json`` (every node, source, test and macro of the project, written by
    every dbt command) from ``target_path``: a dbt target folder (default :func:`target_dir`) or
    the ``manifest.json`` file itself."""
    return _artefact("manifest.json", target_path)


def run_results(target_path: str | Path | None = None) -> dict[str, Any]:
    """The parsed ``run_results.json`` of the last dbt command (dbt's machine-readable record)
    from ``target_path``: a dbt target folder (default :func:`target_dir`) or the file itself.

    Exposures are left out: dbt 1.11 lists each one as a ``no-op`` result in every build that
    selects its parents. An exposure documents a consumer (``models/exposures.yml``); it runs
    nothing, so it is never a node that passed or failed."""
    results = _artefact("run_results.json", target_path)
    results["results"] = [
        row for row in results["results"] if not row["unique_id"].startswith("exposure.")
    ]
    return results


def freshness_results(target_path: str | Path | None = None) -> dict[str, Any]:
    """The parsed ``sources.json`` of the last ``dbt source freshness`` (one result per source
    table: ``status`` pass / warn / error / runtime error, ``max_loaded_at_time_ago_in_s``,
    ``criteria``) from ``target_path``: a dbt target folder (default :func:`target_dir`) or the
    file itself. :func:`node_statuses` reads it like a ``run_results.json``."""
    return _artefact("sources.json", target_path)


def mart_models(manifest_json: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(schema, relation)`` of every model under ``models/marts/`` (the relation is the alias
    when one is set), sorted, from the manifest (:func:`manifest`): what publish copies and what
    the cutover compares."""
    return sorted(
        (node["schema"], node.get("alias") or node["name"])
        for node in manifest_json["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1:2] == ["marts"]
    )


# -- statuses: what failed ---------------------------------------------------------------------
#: A node with one of these statuses failed: a model, snapshot or seed that errored, a test that
#: failed (or could not run) at error severity, a source whose freshness could not be measured.
#: Its dependants are skipped, a Dagster step fails and nothing is published. ``warn`` never
#: blocks. The one definition of "dbt failed" in the project.
BLOCKING_STATUSES = frozenset({"error", "fail", "runtime error"})
#: What a node reports when it did its job (models, snapshots, seeds: success; tests: pass).
SUCCESS_STATUSES = frozenset({"success", "pass"})
#: What a node reports when it did not run because something upstream of it failed.
SKIPPED = "skipped"


def node_statuses(results: Mapping[str, Any]) -> dict[str, str]:
    """``unique_id -> status`` (success, error, fail, warn, pass, skipped) for assertions."""
    return {row["unique_id"]: row["status"] for row in results["results"]}


def _failed(status: str, skipped: bool) -> bool:
    return status in BLOCKING_STATUSES or (skipped and status == SKIPPED)


def failed_nodes(statuses: Mapping[str, str], *, skipped: bool = False) -> dict[str, str]:
    """The nodes of ``statuses`` (``unique_id -> status``, see :func:`node_statuses`) that failed
    (:data:`BLOCKING_STATUSES`), in dbt's order; with ``skipped=True`` also the nodes skipped
    because of them."""
    return {uid: status for uid, status in statuses.items() if _failed(status, skipped)}


def failure_messages(results: Mapping[str, Any], *, skipped: bool = False) -> dict[str, str]:
    """``unique_id -> dbt's message`` (stripped) for each node of a ``run_results.json`` that
    :func:`failed_nodes` lists, in dbt's order."""
    return {
        row["unique_id"]: (row.get("message") or "").strip()
        for row in results["results"]
        if _failed(row["status"], skipped)
    }


def unsuccessful_nodes(statuses: Mapping[str, str]) -> dict[str, str]:
    """The nodes that did not do their job cleanly: anything but :data:`SUCCESS_STATUSES`
    (failed, skipped, warned), in dbt's order. A build is clean when this is empty."""
    return {uid: status for uid, status in statuses.items() if status not in SUCCESS_STATUSES}


# -- source freshness thresholds -----------------------------------------------------------------
#: Hours in one ``period`` of a dbt freshness threshold (``{count: 24, period: hour}``).
PERIOD_HOURS: dict[str, float] = {"minute": 1 / 60, "hour": 1, "day": 24}


def threshold_hours(threshold: Mapping[str, Any] | None) -> float | None:
    """One dbt freshness threshold (``warn_after`` / ``error_after``, from the manifest or from
    ``sources.json``'s ``criteria``) in hours: ``count`` x hours per ``period`` (a whole number
    for hours and days). None when the threshold is not set."""
    if not threshold or not threshold.get("count") or not threshold.get("period"):
        return None
    return threshold["count"] * PERIOD_HOURS[threshold["period"]]


def _source_thresholds(source: Mapping[str, Any]) -> dict[str, float]:
    freshness = source.get("freshness") or {}
    hours = {
        "warn_hours": threshold_hours(freshness.get("warn_after")),
        "error_hours": threshold_hours(freshness.get("error_after")),
    }
    return {key: float(value) for key, value in hours.items() if value is not None}


def freshness_sources(manifest_json: Mapping[str, Any]) -> dict[str, str]:
    """``source unique_id -> raw table`` for every dbt source that declares a freshness
    threshold (``manifest_json`` is :func:`manifest`), sorted by unique_id."""
    return {
        uid: source["identifier"]
        for uid, source in sorted(manifest_json["sources"].items())
        if _source_thresholds(source)
    }


def source_freshness_thresholds(manifest_json: Mapping[str, Any]) -> dict[str, dict[str, float]]:
    """``raw table -> {"warn_hours": .., "error_hours": ..}`` from the sources' ``freshness:``
    blocks in the manifest (:func:`manifest`), for every source that declares a threshold,
    sorted by table. The thresholds ``dbt source freshness`` applies, defined once in the YAML."""
    thresholds = {
        source["identifier"]: limits
        for source in manifest_json["sources"].values()
        if (limits := _source_thresholds(source))
    }
    return dict(sorted(thresholds.items()))


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
