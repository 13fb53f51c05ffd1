"""The whole cutover, as functions: raw data in, the same dbt project built, parity proven.

:func:`cutover` runs, in order:

1. start the emulator (target ``snowflake_emulated``) -- or use the real account's settings
   (target ``snowflake``, from ``SNOWFLAKE_*`` variables);
2. copy the DuckDB warehouse's raw layer (``raw.*`` and ``meta.loads``) into Snowflake
   (:func:`ingestion.snowflake.copy_raw_layer`);
3. ``dbt build`` on DuckDB and on Snowflake, one after the other, timed the same way (or, with
   ``rebuild_duckdb=False``, the DuckDB build already recorded for that warehouse);
4. ``dbt source freshness`` on Snowflake (the ``meta.loads`` copy is what it reads);
5. the parity report (:func:`cutover.parity.parity_report`) over every mart.

dbt runs in a **subprocess** here (``python -m sproutly.dbt``), not in-process like elsewhere in
the project, for three reasons: a statement the emulator cannot answer can leave the connector
waiting, and only a subprocess can be stopped after a timeout (the error then names the model
that was running); dbt-duckdb and dbt-snowflake then never share one process's adapter state;
and both builds are timed the same way (start-up + parse + run), so their times compare.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from cutover import emulator as emulator_module
from cutover.parity import parity_report
from ingestion.snowflake import CopiedTable, SnowflakeDestination, copy_raw_layer
from sproutly import paths, settings
from sproutly.dbt import freshness_results, node_statuses, run_results, unsuccessful_nodes

EMULATED = "snowflake_emulated"
REAL = "snowflake"
LABELS = {EMULATED: "emulated", REAL: "real account"}

# The variables the real `snowflake` target needs (profiles.yml); the others have defaults.
REQUIRED_REAL_SETTINGS = (
    "SNOWFLAKE_ACCOUNT",
    "SNOWFLAKE_USER",
    "SNOWFLAKE_PRIVATE_KEY_PATH",
)
DEFAULT_TIMEOUT = 900.0
#: Beside a whole-project build's run_results.json: its exit code and wall seconds (recorded_build).
RECORDED_BUILD = "cutover_build.json"

_PROGRESS = re.compile(r"\b(\d+) of (\d+) (START|OK|ERROR|PASS|FAIL|WARN|SKIP|NO-OP)\b(.*)")


class DbtTimeout(RuntimeError):
    """A dbt command did not finish in time; the message names what was still running."""


class DbtFailed(RuntimeError):
    """dbt could not start the command at all (no run_results.json written)."""


@dataclass
class DbtRun:
    """One dbt command in a subprocess: exit code, times, and dbt's own per-node record."""

    target: str
    args: tuple[str, ...]
    returncode: int
    wall_seconds: float
    output: str
    target_path: Path
    statuses: dict[str, str] = field(default_factory=dict)
    elapsed_seconds: float | None = None  # dbt's own run time (run_results.json elapsed_time)

    @property
    def success(self) -> bool:
        return self.returncode == 0

    def failures(self) -> dict[str, str]:
        """Nodes that did not succeed (``unique_id -> status``)."""
        return unsuccessful_nodes(self.statuses)


def dbt_paths(target: str) -> tuple[Path, Path]:
    """dbt's target (manifest, run_results) and log folders for one target, under the data dir.

    One folder per target: a manifest of one target never overwrites the other's, and dbt's
    partial parsing survives between runs of the same target.
    """
    root = paths.data_dir() / "cutover"
    return root / f"dbt_target_{target}", root / f"dbt_logs_{target}"


def _stream(
    command: list[str], env: Mapping[str, str], timeout: float, what: str
) -> tuple[int, str]:
    """Run ``command``, collecting its output and tracking dbt's START/OK lines; stop it (its
    whole process group) after ``timeout`` s and raise :class:`DbtTimeout` naming the nodes
    that had started but not finished."""
    process = subprocess.Popen(  # noqa: S603 - fixed command built by this module
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=dict(env),
        cwd=str(paths.REPO_ROOT),
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    running: dict[str, str] = {}

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if match := _PROGRESS.search(line):
                index, state, rest = match.group(1), match.group(3), match.group(4)
                if state == "START":
                    running[index] = rest.split(" ...")[0].strip()
                else:
                    running.pop(index, None)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        returncode = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        reader.join(timeout=5)
        still = "; ".join(running.values()) or "no node had started yet (parsing or connecting)"
        raise DbtTimeout(
            f"{what} did not finish within {timeout:.0f} s and was stopped. Still running: "
            f"{still}. Last output:\n{''.join(lines[-10:])}"
        ) from None
    reader.join(timeout=5)
    return returncode, "".join(lines)


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=10)


def run_dbt(
    *args: str,
    target: str,
    timeout: float = DEFAULT_TIMEOUT,
    env: Mapping[str, str] | None = None,
) -> DbtRun:
    """``python -m sproutly.dbt <args> --target <target>`` in a subprocess, bounded by ``timeout``.

    ``env`` adds variables (e.g. :meth:`Emulator.env`). Raises :class:`DbtTimeout` (naming the
    running model) when it takes longer, :class:`DbtFailed` when dbt wrote no run results.
    """
    target_path, log_path = dbt_paths(target)
    target_path.mkdir(parents=True, exist_ok=True)
    full_env = {
        **os.environ,
        **emulator_module.PLATFORM_DETECTION_ENV,
        **(env or {}),
        "SPROUTLY_DATA_DIR": str(paths.data_dir()),
        "SPROUTLY_TARGET": target,
        "DBT_TARGET_PATH": str(target_path),
        "DBT_LOG_PATH": str(log_path),
        "PYTHONPATH": str(paths.REPO_ROOT),
    }
    # `dbt source freshness` records its results in sources.json, every other command in run_results.json.
    freshness = tuple(args[:2]) == ("source", "freshness")
    results_file = target_path / ("sources.json" if freshness else "run_results.json")
    results_file.unlink(missing_ok=True)
    command = [sys.executable, "-m", "sproutly.dbt", *args, "--target", target]
    started = time.perf_counter()
    returncode, output = _stream(command, full_env, timeout, f"dbt {' '.join(args)} on {target}")
    wall = time.perf_counter() - started
    if not results_file.exists():
        raise DbtFailed(
            f"dbt {' '.join(args)} on {target} did not run (exit {returncode}):\n{output[-3000:]}"
        )
    if args == ("build",):  # what recorded_build() reads back besides dbt's own artefacts
        record = {"returncode": returncode, "wall_seconds": wall}
        (target_path / RECORDED_BUILD).write_text(json.dumps(record) + "\n")
    results = freshness_results(results_file) if freshness else run_results(results_file)
    return DbtRun(
        target=target,
        args=tuple(args),
        returncode=returncode,
        wall_seconds=wall,
        output=output,
        target_path=target_path,
        statuses=node_statuses(results),
        elapsed_seconds=results.get("elapsed_time"),
    )


def recorded_build(target: str) -> DbtRun:
    """The last whole-project ``dbt build`` :func:`run_dbt` ran on ``target`` in this data
    folder, read back from its artefacts instead of building again (``checkpoint("08")`` records
    the DuckDB build of its warehouse this way). Raises :class:`FileNotFoundError` when there is
    none: then let :func:`cutover` build (``rebuild_duckdb=True``)."""
    target_path, _ = dbt_paths(target)
    files = [target_path / name for name in (RECORDED_BUILD, "run_results.json", "manifest.json")]
    if not all(path.exists() for path in files):
        raise FileNotFoundError(
            f"No recorded dbt build on target {target!r} in {target_path}: "
            "run cutover(..., rebuild_duckdb=True) to build it."
        )
    record = json.loads(files[0].read_text())
    results = run_results(files[1])
    return DbtRun(
        target=target,
        args=("build",),
        returncode=record["returncode"],
        wall_seconds=record["wall_seconds"],
        output="",
        target_path=target_path,
        statuses=node_statuses(results),
        elapsed_seconds=results.get("elapsed_time"),
    )


# -- the real account ----------------------------------------------------------------------------
def missing_real_settings(environ: Mapping[str, str] | None = None) -> list[str]:
    """The required ``SNOWFLAKE_*`` variables that are not set (empty list: ready)."""
    environ = settings.environ() if environ is None else environ
    return [name for name in REQUIRED_REAL_SETTINGS if not environ.get(name)]


def real_connect_args(*, loader: bool = False) -> dict[str, Any]:
    """Connector arguments for the real account, from the environment (key-pair auth).

    ``loader=True``: the raw copy's identity -- ``SNOWFLAKE_LOADER_USER``,
    ``SNOWFLAKE_LOADER_PRIVATE_KEY_PATH`` and ``SNOWFLAKE_LOADER_ROLE`` when set (the LOADER
    service user of rbac.sql), else the same user and role as dbt.
    """
    missing = missing_real_settings()
    if missing:
        raise RuntimeError(f"Set {', '.join(missing)} to reach a real Snowflake account.")
    env = settings.environ()

    def setting(name: str, default: str | None = None) -> str | None:
        loader_value = env.get(name.replace("SNOWFLAKE_", "SNOWFLAKE_LOADER_")) if loader else None
        return loader_value or env.get(name) or default

    args: dict[str, Any] = {
        "account": env["SNOWFLAKE_ACCOUNT"],
        "user": setting("SNOWFLAKE_USER"),
        "authenticator": "SNOWFLAKE_JWT",
        "private_key_file": setting("SNOWFLAKE_PRIVATE_KEY_PATH"),
        "role": setting("SNOWFLAKE_ROLE", "TRANSFORMER"),
        "warehouse": env.get("SNOWFLAKE_WAREHOUSE", "SPROUTLY_WH"),
        "database": env.get("SNOWFLAKE_DATABASE", "SPROUTLY"),
        "schema": "MAIN",
        "paramstyle": "qmark",
        "login_timeout": 60,
        "network_timeout": 600,
    }
    if passphrase := setting("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE"):
        args["private_key_file_pwd"] = passphrase
    return args


def real_connect(*, loader: bool = False) -> Any:
    """A snowflake.connector connection to the real account (see :func:`real_connect_args`)."""
    os.environ.update(emulator_module.PLATFORM_DETECTION_ENV)
    import snowflake.connector

    return snowflake.connector.connect(**real_connect_args(loader=loader))


# -- the cutover ---------------------------------------------------------------------------------
@dataclass
class CutoverResult:
    """What a cutover did and proved. ``label`` says where it ran: "emulated" or "real account"."""

    label: str
    target: str
    duckdb_target: str
    statuses: dict[str, str]  # the Snowflake build, unique_id -> status
    duckdb_statuses: dict[str, str]
    freshness: dict[str, str]  # source unique_id -> pass / warn / error
    timings: dict[str, float]
    parity: pd.DataFrame
    copied: list[CopiedTable]

    @property
    def built(self) -> bool:
        """Every node of the Snowflake build succeeded (models, snapshot) or passed (tests)."""
        return bool(self.statuses) and not unsuccessful_nodes(self.statuses)

    @property
    def parity_ok(self) -> bool:
        return bool(len(self.parity)) and bool(self.parity["equal"].all())

    @property
    def ok(self) -> bool:
        return self.built and self.parity_ok

    def timings_frame(self) -> pd.DataFrame:
        """DuckDB and Snowflake builds side by side: wall seconds and dbt's own run seconds."""
        t = self.timings
        return pd.DataFrame(
            {
                "engine": ["duckdb", f"snowflake ({self.label})"],
                "build_wall_s": [t["duckdb_build_wall_s"], t["snowflake_build_wall_s"]],
                "dbt_elapsed_s": [t["duckdb_dbt_elapsed_s"], t["snowflake_dbt_elapsed_s"]],
            }
        ).round(1)

    def summary(self) -> str:
        """A short, labelled text report (what ``python -m cutover`` prints)."""
        models = sum(1 for k in self.statuses if k.startswith(("model.", "snapshot.")))
        tests = sum(1 for k in self.statuses if k.startswith(("test.", "unit_test.")))
        failed = unsuccessful_nodes(self.statuses)
        lines = [
            f"Snowflake cutover -- {self.label.upper()} (target {self.target})",
            f"raw layer copied: {sum(c.target_rows for c in self.copied):,} rows in "
            f"{len(self.copied)} tables",
            f"dbt build on Snowflake: {models} models/snapshots, {tests} tests, "
            f"{len(failed)} not successful" + (f": {failed}" if failed else ""),
            f"source freshness: {dict(sorted(_count(self.freshness).items()))}",
            "",
            f"parity, every mart, DuckDB vs Snowflake ({self.label}):",
            self.parity.to_string(index=False),
            "",
            self.timings_frame().to_string(index=False),
            "",
            "RESULT: "
            + ("all marts equal" if self.ok else "DIFFERENCES (see above)")
            + f" [{self.label}]",
        ]
        return "\n".join(lines)


def _count(statuses: Mapping[str, str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in statuses.values():
        counts[status] = counts.get(status, 0) + 1
    return counts


@contextmanager
def _snowflake_side(
    target: str, emulator: emulator_module.Emulator | None
) -> Iterator[tuple[Any, Any, dict[str, str], float]]:
    """``(connect for loading, connect for reading, env for dbt, start seconds)`` for a target."""
    if target == REAL:
        yield (lambda: real_connect(loader=True)), real_connect, {}, 0.0
        return
    if target != EMULATED:
        raise ValueError(f"target must be {EMULATED!r} or {REAL!r}, got {target!r}")
    if emulator is not None:
        yield emulator.connect, emulator.connect, emulator.env(), 0.0
        return
    started = time.perf_counter()
    with emulator_module.running() as fresh:
        yield fresh.connect, fresh.connect, fresh.env(), time.perf_counter() - started


def cutover(
    target: str = EMULATED,
    *,
    duckdb_target: str = "dev",
    timeout: float = DEFAULT_TIMEOUT,
    emulator: emulator_module.Emulator | None = None,
    freshness: bool = True,
    rebuild_duckdb: bool = True,
) -> CutoverResult:
    """Copy raw data, build the project on DuckDB and on Snowflake, and compare every mart.

    ``target``: ``"snowflake_emulated"`` (a local emulator is started and stopped, unless a
    running ``emulator`` is passed) or ``"snowflake"`` (the real account from ``SNOWFLAKE_*``).
    ``duckdb_target``: the DuckDB warehouse whose raw layer is copied and whose marts are the
    reference. ``rebuild_duckdb=False`` reuses the DuckDB build already recorded for that
    warehouse (:func:`recorded_build`) instead of repeating it. Each dbt command is bounded by
    ``timeout`` seconds.
    """
    warehouse = paths.warehouse_path(duckdb_target)
    if not warehouse.exists():
        raise FileNotFoundError(f"No DuckDB warehouse at {warehouse}: run the pipeline first.")
    recorded = None if rebuild_duckdb else recorded_build(duckdb_target)
    timings: dict[str, float] = {}
    with _snowflake_side(target, emulator) as (load_connect, read_connect, env, start_s):
        timings["emulator_start_s"] = start_s
        started = time.perf_counter()
        copied = copy_raw_layer(warehouse, SnowflakeDestination(load_connect))
        timings["raw_copy_s"] = time.perf_counter() - started

        duck = recorded or run_dbt("build", target=duckdb_target, timeout=timeout)
        snow = run_dbt("build", target=target, timeout=timeout, env=env)
        timings["duckdb_build_wall_s"] = duck.wall_seconds
        timings["duckdb_dbt_elapsed_s"] = duck.elapsed_seconds or float("nan")
        timings["snowflake_build_wall_s"] = snow.wall_seconds
        timings["snowflake_dbt_elapsed_s"] = snow.elapsed_seconds or float("nan")

        fresh: dict[str, str] = {}
        if freshness:
            started = time.perf_counter()
            fresh = run_dbt("source", "freshness", target=target, timeout=timeout, env=env).statuses
            timings["snowflake_freshness_s"] = time.perf_counter() - started

        started = time.perf_counter()
        manifest = duck.target_path / "manifest.json"
        report = parity_report(warehouse, read_connect, manifest)
        timings["parity_s"] = time.perf_counter() - started
    return CutoverResult(
        label=LABELS[target],
        target=target,
        duckdb_target=duckdb_target,
        statuses=snow.statuses,
        duckdb_statuses=duck.statuses,
        freshness=fresh,
        timings=timings,
        parity=report,
        copied=copied,
    )
