"""``checkpoint("NN")``: rebuild, in seconds, the exact state a chapter starts from.

Every chapter starts from a known state of the data folder (``$SPROUTLY_DATA_DIR``): chapter 02
needs the raw layer loaded, chapter 03 needs staging built, and so on. The states form a ladder;
each rung is one real pipeline step applied to the rung below:

| rung | what the step does | chapters that start here |
|---|---|---|
| ``sources`` | the simulator generates the product's systems | 00, 01 |
| ``raw`` | ingestion loads every source into the raw layer | 02 |
| ``staging`` | ``dbt build --select staging`` (and only staging's tests) | 03, 09 |
| ``marts`` | ``dbt run`` (every model, no tests yet) | 04 |
| ``dbt_build`` | ``dbt build`` (models, tests, snapshots) | 05 |
| ``dagster_run`` | ``python -m orchestration run`` (a recorded Dagster run) | 07 |
| ``dagster_history`` | a week of daily runs with incidents (``workbook.ch06_observability.history``) | 06 |
| ``cutover_reference`` | ``dbt build`` on that warehouse, recorded for the cutover (``cutover.run``) | 08 |

Building a rung the first time runs the pipeline; the result is cached (a copy of the data folder)
under ``$SPROUTLY_CHECKPOINT_DIR`` or ``<data>/../.checkpoints``, keyed by rung, seed, scale and a
hash of the code the rung depends on. Later calls restore the copy, so a chapter starts in seconds.

To add a rung: write a step function, append a :class:`Rung` to ``RUNGS`` and map chapters to it
in ``CHAPTERS``.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sproutly import clock, paths
from sproutly.settings import settings

#: Simulated days of the course world (2026-01-01 .. 2026-04-30; "now" = 2026-05-01).
COURSE_DAYS = 120
#: The bearer token of the simulated billing API while a checkpoint loads it (local only).
LOCAL_BILLING_TOKEN = "workbook-local-token"
#: Files in the data folder a checkpoint never touches.
KEEP = {"README.md"}
#: Never copied into the cache (sandboxes belong to one exercise session).
NOT_CACHED = {"README.md", "sandboxes"}
#: In a cached state: the data folder it was built in (dbt's partial parsing is moved from there).
ORIGIN = ".built-in"


@dataclass(frozen=True)
class Settings:
    """What a rung is built from."""

    seed: int
    scale: float
    days: int = COURSE_DAYS


def _generate_sources(settings: Settings) -> None:
    from microproduct import Simulation

    Simulation(paths.data_dir(), seed=settings.seed, scale=settings.scale).init(days=settings.days)


def _load_raw(settings: Settings) -> None:
    from ingestion import IngestionConfig, load
    from microproduct.billing_api import running

    with running(paths.billing_db_path(), LOCAL_BILLING_TOKEN) as api:
        config = IngestionConfig.from_env(billing_api_url=api.url, billing_api_token=api.token)
        results = load("all", config=config)
    failed = [r for r in results if r.status == "failed"]
    if failed:
        raise RuntimeError(f"loading the raw layer failed: {failed[0].entity}: {failed[0].message}")


def _dbt_step(*args: str) -> Callable[[Settings], None]:
    def step(settings: Settings) -> None:
        from sproutly.dbt import dbt, failed_nodes, node_statuses, run_results

        result = dbt(*args)
        if not result.success:
            failed = failed_nodes(node_statuses(run_results()))
            bad = [f"{unique_id} {status}" for unique_id, status in failed.items()]
            raise RuntimeError(f"dbt {' '.join(args)} failed: {', '.join(bad) or 'see dbt log'}")

    step.__doc__ = f"dbt {' '.join(args)}"
    return step


def run_fresh_process(
    *args: str,
    what: str,
    drop: tuple[str, ...] = (),
    defaults: dict[str, str] | None = None,
) -> None:
    """``python <args>`` in a new process on this data folder (no state left in the caller);
    ``drop`` removes inherited variables, ``defaults`` fills unset ones. Raises with the end of
    its output when it fails. Rungs that run Dagster use it."""
    environment = {**(defaults or {}), **os.environ, "SPROUTLY_DATA_DIR": str(paths.data_dir())}
    for name in drop:
        environment.pop(name, None)
    completed = subprocess.run(
        [sys.executable, *args],
        cwd=paths.REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        output = (completed.stdout + completed.stderr)[-3000:]
        raise RuntimeError(f"{what} failed:\n{output}")


def _dagster_run(settings: Settings) -> None:
    run_fresh_process(
        "-m",
        "orchestration",
        "run",
        what="python -m orchestration run",
        drop=("DAGSTER_HOME",),  # orchestration puts it inside the data folder
        defaults={"BILLING_API_TOKEN": LOCAL_BILLING_TOKEN},
    )


def _dagster_history(settings: Settings) -> None:
    """Chapter 06's week of runs (``workbook.ch06_observability.history``), in a fresh process
    with its own ``DAGSTER_HOME`` inside the data folder."""
    run_fresh_process(
        "-m",
        "workbook.ch06_observability.history",
        what="building the run history",
        drop=(
            "DAGSTER_HOME",
            "BILLING_API_URL",
            "BILLING_API_TOKEN",
            "BILLING_API_MAX_ATTEMPTS",
            "SPROUTLY_NOW",
        ),
    )


def _cutover_reference(settings: Settings) -> None:
    """The DuckDB side of chapter 08's cutover, built once: ``dbt build`` on the week-of-runs
    warehouse, recorded where ``cutover(..., rebuild_duckdb=False)`` reads it back."""
    from cutover.run import run_dbt

    build = run_dbt("build", target="dev")
    if not build.success:
        raise RuntimeError(f"dbt build on dev failed: {build.failures() or build.output[-3000:]}")


@dataclass(frozen=True)
class Rung:
    """One state of the data folder: its name, what it means, how to get there from the rung
    below, and the code folders its result depends on (part of the cache key)."""

    name: str
    description: str
    step: Callable[[Settings], None]
    code: tuple[str, ...] = field(default_factory=tuple)


_DBT_CODE = ("dbt_project", "sproutly")
RUNGS: list[Rung] = [
    Rung("sources", "sources generated, nothing loaded", _generate_sources, ("microproduct",)),
    Rung("raw", "raw layer loaded", _load_raw, ("ingestion",)),
    Rung(
        "staging",
        "staging models built and tested",
        # cautious: only tests whose parents are all staging models (not marts' reconciliations)
        _dbt_step("build", "--select", "staging", "--indirect-selection", "cautious"),
        _DBT_CODE,
    ),
    Rung("marts", "every model built (no tests run yet)", _dbt_step("run"), _DBT_CODE),
    Rung(
        "dbt_build", "full dbt build done (models, tests, snapshots)", _dbt_step("build"), _DBT_CODE
    ),
    Rung("dagster_run", "a Dagster run recorded", _dagster_run, ("orchestration",)),
    # chapter 06 observes a week of unattended daily runs with two incidents
    Rung(
        "dagster_history",
        "a week of daily Dagster runs with an API outage and a stale source",
        _dagster_history,
        ("workbook/ch06_observability/history",),
    ),
    # chapter 08 compares Snowflake with this build instead of repeating it
    Rung(
        "cutover_reference",
        "a week of daily Dagster runs with an API outage and a stale source, and a dbt build on "
        "DuckDB recorded for the cutover",
        _cutover_reference,
        ("cutover",),
    ),
]
CHAPTERS: dict[str, str] = {
    "00": "sources",
    "01": "sources",
    "02": "raw",
    "03": "staging",
    "04": "marts",
    "05": "dbt_build",
    "06": "dagster_history",
    "07": "dagster_run",
    "08": "cutover_reference",  # the week of runs (triggers, cost) and the DuckDB build (cutover)
    "09": "staging",  # the capstone: a new source end to end, on top of the course's staging
}


@dataclass(frozen=True)
class Checkpoint:
    """What :func:`checkpoint` prepared. ``from_cache`` is left out of the repr on purpose: a
    notebook's output must not depend on whether the cache was warm."""

    chapter: str
    rung: str
    seed: int
    scale: float
    from_cache: bool = field(repr=False, compare=False)

    @property
    def summary(self) -> str:
        description = next(r.description for r in RUNGS if r.name == self.rung)
        return (
            f"checkpoint {self.chapter}: {description} "
            f"(seed={self.seed}, scale={self.scale:g}); simulated now {clock.now():%Y-%m-%d %H:%M}"
        )


def cache_dir() -> Path:
    """``$SPROUTLY_CHECKPOINT_DIR`` or ``.checkpoints`` beside the data folder."""
    configured = settings().sproutly_checkpoint_dir
    return Path(configured).resolve() if configured else paths.data_dir().parent / ".checkpoints"


def _code_hash(folders: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for folder in folders:
        root = paths.REPO_ROOT / folder
        for path in sorted(root.rglob("*")):
            relative = path.relative_to(root).parts
            if path.is_file() and not {"target", "logs", "__pycache__"} & set(relative):
                digest.update(path.relative_to(paths.REPO_ROOT).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def _keys(settings: Settings) -> dict[str, str]:
    """Cache folder name per rung; each key includes the code of every rung below it."""
    keys, folders = {}, ()
    for rung in RUNGS:
        folders = tuple(dict.fromkeys((*folders, *rung.code)))
        code = _code_hash(folders)[:12]
        keys[rung.name] = (
            f"{rung.name}-seed{settings.seed}-scale{settings.scale:g}-days{settings.days}-{code}"
        )
    return keys


def _clear_data_dir(data: Path, keep_cache: Path) -> None:
    data.mkdir(parents=True, exist_ok=True)
    for entry in data.iterdir():
        if entry.name in KEEP or entry.resolve() == keep_cache:
            continue
        shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()


def _copy_tree(source: Path, destination: Path, skip: set[Path]) -> None:
    for entry in source.iterdir():
        if entry.name in NOT_CACHED or entry.resolve() in skip:
            continue
        target = destination / entry.name
        if entry.is_dir():
            shutil.copytree(entry, target)
        else:
            shutil.copy2(entry, target)


def _save(data: Path, cached: Path) -> None:
    """Copy the data folder into the cache atomically (a half-written cache is never used)."""
    staging = cached.with_name(f".{cached.name}.{os.getpid()}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    _copy_tree(data, staging, {cached.parent.resolve()})
    (staging / ORIGIN).write_text(str(data))
    try:
        staging.rename(cached)
    except OSError:  # another process cached the same state first: theirs is identical
        shutil.rmtree(staging, ignore_errors=True)
    prefix = cached.name.rsplit("-", 1)[0] + "-"
    for stale in cached.parent.glob(f"{prefix}*"):  # the same state built from older code
        if stale != cached and not stale.name.startswith("."):
            shutil.rmtree(stale, ignore_errors=True)


def _restore(cached: Path, data: Path) -> None:
    from sproutly.dbt import rehome_partial_parse

    _clear_data_dir(data, cached.parent.resolve())
    _copy_tree(cached, data, {(cached / ORIGIN).resolve()})
    if (cached / ORIGIN).exists():  # dbt's partial parsing then survives the move (~3 s a target)
        rehome_partial_parse(data, (cached / ORIGIN).read_text())


def prepare(rung_name: str, settings: Settings) -> bool:
    """Bring the data folder to ``rung_name``; True when it came straight from the cache."""
    names = [r.name for r in RUNGS]
    if rung_name not in names:
        raise ValueError(f"unknown rung {rung_name!r}; rungs are {names}")
    keys, cache, data = _keys(settings), cache_dir(), paths.data_dir()
    cached = cache / keys[rung_name]
    if cached.exists():
        _restore(cached, data)
        return True
    with _building(cached):  # parallel test workers share the cache: one builds, others wait
        if cached.exists():
            _restore(cached, data)
            return True
        index = names.index(rung_name)
        if index == 0:
            _clear_data_dir(data, cache.resolve())
        else:
            prepare(names[index - 1], settings)
        RUNGS[index].step(settings)
        _save(data, cached)
    return False


@contextmanager
def _building(cached: Path) -> Iterator[None]:
    """An exclusive lock per cached state (``flock``; released if the process dies). Locks are
    taken from the requested rung downwards, always in the same order, so workers cannot deadlock."""
    locks = cached.parent / ".locks"
    locks.mkdir(parents=True, exist_ok=True)
    with open(locks / f"{cached.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def checkpoint(chapter: str, seed: int = 42, scale: float = 1.0) -> Checkpoint:
    """Reset the data folder to the state chapter ``chapter`` starts from, and say so.

    Everything generated in the data folder is replaced (``README.md`` is kept). The first call for
    a (chapter, seed, scale) builds the state by running the pipeline; later calls restore a copy.
    """
    from workbook.sandbox import leave

    leave()  # back from an exercise sandbox to the course's data folder first
    chapter = f"{int(chapter):02d}"
    if chapter not in CHAPTERS:
        raise ValueError(f"no checkpoint for chapter {chapter}; chapters: {sorted(CHAPTERS)}")
    rung = CHAPTERS[chapter]
    from_cache = prepare(rung, Settings(seed=seed, scale=float(scale)))
    result = Checkpoint(chapter, rung, seed, float(scale), from_cache)
    export_for_shell()
    print(result.summary)
    return result


def export_for_shell() -> dict[str, str]:
    """Point commands run from a notebook cell (``!dbt build --select staging``) at the real
    project and this kernel's data, as a terminal with these variables would: ``DBT_PROJECT_DIR``
    and ``DBT_PROFILES_DIR`` (dbt reads both) and an absolute ``SPROUTLY_DATA_DIR`` (the profile's
    warehouse path; the project's ``sproutly_now()`` reads the simulated clock there)."""
    variables = {
        "SPROUTLY_DATA_DIR": str(paths.data_dir().resolve()),
        "DBT_PROJECT_DIR": str(paths.DBT_PROJECT_DIR),
        "DBT_PROFILES_DIR": str(paths.DBT_PROJECT_DIR),
    }
    os.environ.update(variables)
    return variables
