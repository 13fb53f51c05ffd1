"""The bench's sections: each measures one family of figures and returns :class:`Figure` rows.

A section never raises for a failed measurement: the figure comes back with verdict ``error``
and the command's last output lines as its note, so one failure does not lose an hour of
measurements. Commands run through :mod:`bench.probe` (wall time, peak RSS) against a data
folder of :mod:`bench.workspace`.
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.figures import Figure
from bench.probe import Measured, measure
from bench.workspace import (
    DataFolder,
    PreparationFailed,
    Workspace,
    base_env,
    copy_folder,
    python,
)
from sproutly.paths import REPO_ROOT

#: The figures' section names, in the order a full run measures them.
SECTIONS = (
    "setup",
    "generate",
    "ingest",
    "dbt",
    "dagster",
    "serving",
    "daily",
    "notebooks",
    "make_test",
)
#: Sections that do not depend on the scale (measured once per run, at the course scale).
SCALE_FREE = ("setup", "notebooks", "make_test")

_LOAD_LINE = re.compile(
    r"^(?P<entity>\S+)\s+(?P<status>\w+)\s+offered=(?P<offered>\d+)\s+loaded=(?P<loaded>\d+)"
    r"\s+quarantined=(?P<quarantined>\d+)",
    re.MULTILINE,
)
_EVENTS_WRITTEN = re.compile(r"events written this run:\s*([\d,]+)")
_LATENCY = re.compile(r"p50_ms=(?P<p50>[\d.]+)\s+p95_ms=(?P<p95>[\d.]+)")


@dataclass
class Context:
    """What every section needs: where to work, how many runs, and how to report progress."""

    work: Path
    repeats: int = 3
    large_repeats: int = 1
    heavy_repeats: int = 3
    timeout: float = 3600.0
    step: Callable[[str], None] = lambda text: None
    workspaces: dict[float, Workspace] = field(default_factory=dict)

    def runs(self, scale: float, heavy: bool = False) -> int:
        """Runs per figure: ``repeats`` at small scales (``heavy_repeats`` for sections that run
        the whole pipeline), ``large_repeats`` from scale 10 up."""
        if scale >= 10:
            return self.large_repeats
        return min(self.heavy_repeats, self.repeats) if heavy else self.repeats

    def workspace(self, scale: float) -> Workspace:
        if scale not in self.workspaces:
            root = self.work / f"scale-{scale:g}"
            self.workspaces[scale] = Workspace(root, scale, timeout=self.timeout)
        return self.workspaces[scale]


def parse_loads(stdout: str) -> dict[str, dict[str, int]]:
    """The ingestion CLI's lines (``events.events  success offered=.. loaded=.. quarantined=..``)
    as ``{entity: {"offered": n, "loaded": n, "quarantined": n}}``."""
    return {
        m["entity"]: {k: int(m[k]) for k in ("offered", "loaded", "quarantined")}
        for m in _LOAD_LINE.finditer(stdout)
    }


def parse_latency(stdout: str) -> tuple[float, float] | None:
    """``(p50_ms, p95_ms)`` from ``python -m serving.loadtest`` output, or None."""
    match = _LATENCY.search(stdout)
    return (float(match["p50"]), float(match["p95"])) if match else None


def last_json(stdout: str) -> dict:
    """The last line of ``stdout`` that parses as a JSON object."""
    for line in reversed(stdout.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError("no JSON object in the output")


def _fail(section: str, key: str, label: str, unit: str, why: str, scale: float | None):
    return Figure.failed(section, key, label, unit, why[:300], scale=scale)


def _uv_env(cache: Path | None = None) -> dict[str, str]:
    """The environment of a fresh clone's ``uv sync``: no venv of ours, optionally an empty cache."""
    env = base_env()
    for name in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "UV_RUN_RECURSION_DEPTH", "UV_CACHE_DIR"):
        env.pop(name, None)
    if cache is not None:
        env["UV_CACHE_DIR"] = str(cache)
    return env


def clone(destination: Path) -> Measured:
    """``git clone`` of this repository's HEAD (committed files only, as a learner gets them)."""
    if destination.exists():
        shutil.rmtree(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    return measure(["git", "clone", "--quiet", str(REPO_ROOT), str(destination)])


# --------------------------------------------------------------------------- set-up
def setup(ctx: Context) -> list[Figure]:
    """Fresh-clone set-up: ``git clone`` + ``uv sync --locked``, warm uv cache and an empty one."""
    uv = shutil.which("uv")
    if uv is None:
        return [
            _fail(
                "setup",
                "setup.cold_s",
                "fresh clone + uv sync, cold cache",
                "s",
                "uv not on PATH",
                None,
            )
        ]
    samples: dict[str, list[float]] = {"warm": [], "cold": []}
    errors: dict[str, str] = {}
    for run in range(ctx.repeats):
        for mode in ("warm", "cold"):  # side by side, alternating
            ctx.step(f"setup: {mode} cache, run {run + 1}/{ctx.repeats}")
            folder = ctx.work / "setup" / f"{mode}-{run}"
            cloned = clone(folder / "clone")
            env = _uv_env(folder / "uv-cache" if mode == "cold" else None)
            synced = measure([uv, "sync", "--locked", "--quiet"], cwd=folder / "clone", env=env,
                             timeout=ctx.timeout)  # fmt: skip
            if cloned.ok and synced.ok:
                samples[mode].append(cloned.seconds + synced.seconds)
            else:
                errors[mode] = (cloned if not cloned.ok else synced).tail()
            shutil.rmtree(folder, ignore_errors=True)
    figures = []
    for mode, key in (("warm", "setup.warm_s"), ("cold", "setup.cold_s")):
        label = f"fresh clone + uv sync --locked, {mode} uv cache"
        if samples[mode]:
            figures.append(Figure.from_samples("setup", key, label, samples[mode], "s",
                                               note="git clone of HEAD + uv sync"))  # fmt: skip
        else:
            figures.append(_fail("setup", key, label, "s", errors.get(mode, "no run"), None))
    return figures


# --------------------------------------------------------------------------- generation
def generate(ctx: Context, scale: float) -> list[Figure]:
    """``python -m microproduct init`` at ``scale``: time, peak memory, events written."""
    ws = ctx.workspace(scale)
    seconds, memory, events = [], [], []
    error = ""
    runs = ctx.runs(scale)
    for run in range(runs):
        ctx.step(f"generate: scale {scale:g}, run {run + 1}/{runs}")
        folder = DataFolder(ws.root / f"generate-{run}")
        shutil.rmtree(folder.path, ignore_errors=True)
        done = folder.run(*ws.generate_command(), timeout=ctx.timeout)
        if not done.ok:
            error = done.tail()
            shutil.rmtree(folder.path, ignore_errors=True)
            continue
        seconds.append(done.seconds)
        memory.append(done.peak_rss_mb)
        if match := _EVENTS_WRITTEN.search(done.stdout):
            events.append(float(match.group(1).replace(",", "")))
        if ws.base.has_sources():
            shutil.rmtree(folder.path, ignore_errors=True)
        else:  # keep the last generated sources as this scale's base
            shutil.rmtree(ws.base.path, ignore_errors=True)
            folder.path.rename(ws.base.path)
    if not seconds:
        return [_fail("generate", "generate.s", "generation time", "s", error, scale)]
    note = f"seed 42, {120} days"
    return [
        Figure.from_samples("generate", "generate.s", "generation time", seconds, "s", scale=scale, note=note),
        Figure.from_samples("generate", "generate.peak_mb", "generation peak RSS", memory, "MB", scale=scale),
        Figure.from_samples("generate", "generate.events", "events generated", events, "events", scale=scale),
    ]  # fmt: skip


# --------------------------------------------------------------------------- ingestion
INGEST_SOURCES = {
    "app": ("-m", "ingestion", "load", "app"),
    "billing": ("-m", "ingestion", "load", "billing", "--start-simulated-api"),
    "events": ("-m", "ingestion", "load", "events"),
}


def ingest(ctx: Context, scale: float) -> list[Figure]:
    """``python -m ingestion load <source>`` per source on an empty warehouse: rows/s, peak RSS."""
    ws = ctx.workspace(scale)
    try:
        base = ws.ensure_sources()
    except PreparationFailed as error:
        return [_fail("ingest", "ingest.rows_per_s", "ingestion", "rows/s", str(error), scale)]
    rates: dict[str, list[float]] = {s: [] for s in INGEST_SOURCES}
    seconds: dict[str, list[float]] = {s: [] for s in INGEST_SOURCES}
    memory: dict[str, list[float]] = {s: [] for s in INGEST_SOURCES}
    rows: dict[str, int] = {}
    errors: dict[str, str] = {}
    runs = ctx.runs(scale)
    for run in range(runs):
        base.reset_pipeline()
        for source, args in INGEST_SOURCES.items():
            ctx.step(f"ingest {source}: scale {scale:g}, run {run + 1}/{runs}")
            done = base.run(*args, timeout=ctx.timeout)
            loads = parse_loads(done.stdout)
            if not done.ok or not loads:
                errors[source] = done.tail()
                continue
            offered = sum(entity["offered"] for entity in loads.values())
            rows[source] = offered
            seconds[source].append(done.seconds)
            rates[source].append(offered / done.seconds)
            memory[source].append(done.peak_rss_mb)
    if all(seconds[s] for s in INGEST_SOURCES):
        ws.save_raw_only(base)
    figures = []
    for source in INGEST_SOURCES:
        label = f"ingestion rows/s: {source}"
        if not rates[source]:
            figures.append(
                _fail("ingest", "ingest.rows_per_s", label, "rows/s", errors.get(source, ""), scale)
            )
            continue
        note = f"{rows[source]:,} rows in {statistics.median(seconds[source]):.1f} s (CLI wall, start-up included)"
        figures += [
            Figure.from_samples("ingest", "ingest.rows_per_s", label, rates[source], "rows/s", scale=scale, note=note),
            Figure.from_samples("ingest", "ingest.peak_mb", f"ingestion peak RSS: {source}", memory[source], "MB", scale=scale),
        ]  # fmt: skip
    return figures


# --------------------------------------------------------------------------- dbt vs replay
def dbt(ctx: Context, scale: float) -> list[Figure]:
    """``dbt build`` in-process vs its compiled SQL replayed in one DuckDB connection."""
    ws = ctx.workspace(scale)
    samples: dict[str, list[float]] = {}
    error = ""
    runs = ctx.runs(scale)
    for run in range(runs):
        ctx.step(f"dbt vs replay: scale {scale:g}, run {run + 1}/{runs}")
        try:
            ws.restore_raw_only(ws.base)
        except PreparationFailed as failure:
            error = str(failure)
            break
        done = ws.base.run("-m", "bench.replay", timeout=ctx.timeout)
        try:
            figures = last_json(done.stdout) if done.ok else None
        except ValueError:
            figures = None
        if figures is None:
            error = done.tail()
            continue
        figures["peak_mb"] = done.peak_rss_mb
        for key, value in figures.items():
            if isinstance(value, int | float):
                samples.setdefault(key, []).append(float(value))
    ws.base.reset_pipeline()
    if not samples:
        return [
            _fail(
                "dbt",
                "dbt.ratio_build_to_replay",
                "dbt build / plain-SQL replay",
                "x",
                error,
                scale,
            )
        ]
    s = samples

    def fig(key: str, label: str, values: list[float], unit: str, note: str = "") -> Figure:
        return Figure.from_samples("dbt", key, label, values, unit, scale=scale, note=note)

    parse = [v for v in s.get("dbt_parse_s", [])]
    return [
        fig("dbt.build_s", "dbt build, first call in a process (parse incl.)", s["dbt_build_wall_s"], "s",
            f"+ {statistics.median(s['dbt_import_s']):.1f} s one-time dbt import"),
        fig("dbt.repeat_s", "dbt build, repeated call (parsed manifest kept)", s["dbt_repeat_wall_s"], "s",
            f"outside the nodes' own execution: {statistics.median(s['repeat_overhead_s']):.1f} s"),
        fig("dbt.replay_s", "same compiled SQL, one DuckDB connection", s["replay_same_sql_s"], "s",
            f"{int(s['statements'][0])} statements"),
        fig("dbt.ratio_build_to_replay", "dbt build (first call) / plain-SQL replay", s["ratio_wall_to_replay"], "x",
            f"nodes' own execution / replay: {statistics.median(s['ratio_execution_to_replay']):.2f}x"),
        fig("dbt.ratio_repeat_to_replay", "dbt build (repeated call) / plain-SQL replay",
            s["ratio_repeat_to_replay"], "x"),
        fig("dbt.ratio_threads_2_to_replay", "dbt build --threads 2 (repeated) / plain-SQL replay",
            s["ratio_threads_2_to_replay"], "x", "the profile runs 1 thread: node order must stay stable"),
        fig("dbt.startup_share", "dbt start-up + parse share of the first call (import incl.)",
            [100 * v for v in s["startup_share"]], "%",
            f"parse {statistics.median(parse):.1f} s" if parse else "parse time not in dbt.log"),
        fig("dbt.peak_mb", "dbt builds + replay peak RSS", s["peak_mb"], "MB"),
    ]  # fmt: skip


# --------------------------------------------------------------------------- Dagster vs plain
def dagster(ctx: Context, scale: float) -> list[Figure]:
    """``python -m orchestration run`` (ingest + dbt build + checks + publish, in Dagster) vs plain
    ``python -m ingestion load all`` + ``python -m sproutly.dbt build``, each from an empty warehouse."""
    ws = ctx.workspace(scale)
    try:
        base = ws.ensure_sources()
    except PreparationFailed as error:
        return [
            _fail(
                "dagster", "pipeline.dagster_s", "whole pipeline in Dagster", "s", str(error), scale
            )
        ]
    plain, orchestrated, ratio, memory = [], [], [], []
    error = ""
    runs = ctx.runs(scale, heavy=True)
    for run in range(runs):
        ctx.step(f"plain ingestion + dbt build: scale {scale:g}, run {run + 1}/{runs}")
        base.reset_pipeline()
        loaded = base.run(
            "-m", "ingestion", "load", "all", "--start-simulated-api", timeout=ctx.timeout
        )
        built = (
            base.run("-m", "sproutly.dbt", "build", "--quiet", timeout=ctx.timeout)
            if loaded.ok
            else loaded
        )
        ctx.step(f"Dagster whole graph: scale {scale:g}, run {run + 1}/{runs}")
        base.reset_pipeline()
        materialised = base.run("-m", "orchestration", "run", timeout=ctx.timeout)
        if not (loaded.ok and built.ok and materialised.ok):
            error = next(m for m in (loaded, built, materialised) if not m.ok).tail()
            continue
        plain.append(loaded.seconds + built.seconds)
        orchestrated.append(materialised.seconds)
        ratio.append(materialised.seconds / (loaded.seconds + built.seconds))
        memory.append(materialised.peak_rss_mb)
    if not plain:
        return [
            _fail("dagster", "pipeline.dagster_s", "whole pipeline in Dagster", "s", error, scale)
        ]
    return [
        Figure.from_samples("dagster", "pipeline.dagster_s", "whole pipeline: python -m orchestration run",
                            orchestrated, "s", scale=scale, note="ingest + dbt build + checks + publish"),
        Figure.from_samples("dagster", "pipeline.plain_s", "plain ingestion load all + dbt build (CLIs)",
                            plain, "s", scale=scale, note="two subprocesses, no publish"),
        Figure.from_samples("dagster", "pipeline.ratio_dagster_to_plain", "Dagster / plain", ratio, "x",
                            scale=scale),
        Figure.from_samples("dagster", "pipeline.peak_mb", "Dagster run peak RSS", memory, "MB", scale=scale),
    ]  # fmt: skip


# --------------------------------------------------------------------------- serving
def serving(ctx: Context, scale: float) -> list[Figure]:
    """``python -m serving.loadtest --clients 20`` over the published marts: p50 / p95."""
    ws = ctx.workspace(scale)
    try:
        base = ws.ensure_published()
    except PreparationFailed as error:
        return [
            _fail("serving", "serving.p95_ms", "serving p95, 20 clients", "ms", str(error), scale)
        ]
    p50, p95 = [], []
    error = ""
    runs = ctx.runs(scale)
    for run in range(runs):
        ctx.step(f"serving load test: scale {scale:g}, run {run + 1}/{runs}")
        done = base.run("-m", "serving.loadtest", "--clients", "20", timeout=ctx.timeout)
        latency = parse_latency(done.stdout) if done.ok else None
        if latency is None:
            error = done.tail()
            continue
        p50.append(latency[0])
        p95.append(latency[1])
    if not p95:
        return [_fail("serving", "serving.p95_ms", "serving p95, 20 clients", "ms", error, scale)]
    return [
        Figure.from_samples("serving", "serving.p50_ms", "serving p50, 20 clients", p50, "ms", scale=scale),
        Figure.from_samples("serving", "serving.p95_ms", "serving p95, 20 clients", p95, "ms", scale=scale,
                            note="loopback; clients share the machine with the server"),
    ]  # fmt: skip


# --------------------------------------------------------------------------- one more day
def daily(ctx: Context, scale: float) -> list[Figure]:
    """One new simulated day: ``advance --days 1`` then ``python -m orchestration daily``, vs a
    full refresh of the same 121 days (``python -m orchestration run`` from an empty warehouse).

    Starts from the base folder after a whole pipeline run over 120 days (left by the dagster
    section, or made now). Each run restores that state from a snapshot at the same path, so dbt's
    partial parse stays valid as it would in a daily schedule; the base is restored at the end.
    """
    ws = ctx.workspace(scale)
    incremental, full, share = [], [], []
    profiles: dict[str, tuple[float, dict[str, Any] | None]] = {}
    error = ""
    runs = ctx.runs(scale, heavy=True)
    try:
        ctx.step(f"daily: pipeline state at 120 days, scale {scale:g}")
        base = ws.ensure_published()
    except PreparationFailed as failure:
        return [_fail("daily", "daily.incremental_pct_of_full", "one new day / full refresh", "%",
                      str(failure), scale)]  # fmt: skip
    snapshot = ws.root / "daily-snapshot"
    copy_folder(base.path, snapshot)
    try:
        for run in range(runs):
            if run:
                copy_folder(snapshot, base.path)
            ctx.step(f"daily: advance one day, scale {scale:g}, run {run + 1}/{runs}")
            advanced = base.run("-m", "microproduct", "advance", "--days", "1", "--no-progress",
                                timeout=ctx.timeout)  # fmt: skip
            if not advanced.ok:
                error = f"advance failed: {advanced.tail()}"
                continue
            ctx.step(f"daily: incremental day, scale {scale:g}, run {run + 1}/{runs}")
            day = base.run("-m", "orchestration", "daily", timeout=ctx.timeout)
            if day.ok and not profiles:
                profiles["one new day"] = (day.seconds, dbt_profile(base.path))
            ctx.step(f"daily: full refresh, scale {scale:g}, run {run + 1}/{runs}")
            base.reset_pipeline()
            refresh = base.run("-m", "orchestration", "run", timeout=ctx.timeout)
            if refresh.ok and "full refresh" not in profiles:
                profiles["full refresh"] = (refresh.seconds, dbt_profile(base.path))
            if not (day.ok and refresh.ok):
                error = (day if not day.ok else refresh).tail()
                continue
            incremental.append(day.seconds)
            full.append(refresh.seconds)
            share.append(100 * day.seconds / refresh.seconds)
    finally:
        copy_folder(snapshot, base.path)  # the base is back at 120 days
        shutil.rmtree(snapshot, ignore_errors=True)
    if not share:
        return [
            _fail(
                "daily",
                "daily.incremental_pct_of_full",
                "one new day / full refresh",
                "%",
                error,
                scale,
            )
        ]
    return [
        Figure.from_samples("daily", "daily.incremental_s", "one new day: python -m orchestration daily",
                            incremental, "s", scale=scale, note="after Simulation.advance(1)"),
        Figure.from_samples("daily", "daily.full_s", "full refresh of the same 121 days", full, "s",
                            scale=scale, note="orchestration run from an empty warehouse"),
        Figure.from_samples("daily", "daily.incremental_pct_of_full", "one new day / full refresh",
                            share, "%", scale=scale),
        *profile_figures(profiles, scale),
    ]  # fmt: skip


def dbt_profile(folder: Path) -> dict[str, Any] | None:
    """Where the Dagster run's ``dbt build`` spent its time, from the ``run_results.json`` and
    ``manifest.json`` it left in the data folder (``<data>/dbt_target/dagster``): the build's
    wall time, the nodes' own execution summed by kind (incremental models, other models,
    snapshots, tests) and the slowest nodes. None when the files are missing."""
    target = folder / "dbt_target" / "dagster"
    try:
        results = json.loads((target / "run_results.json").read_text())
        manifest = json.loads((target / "manifest.json").read_text())
        nodes = {**manifest["nodes"], **manifest.get("unit_tests", {})}
    except (OSError, ValueError, KeyError):
        return None
    kinds: dict[str, float] = {}
    timed = []
    for result in results["results"]:
        node = nodes.get(result["unique_id"], {})
        kind = node.get("resource_type", "other")
        if kind == "model":
            kind = (
                "incremental models"
                if node["config"]["materialized"] == "incremental"
                else "other models"
            )
        else:
            kind += "s"
        seconds = float(result.get("execution_time") or 0.0)
        kinds[kind] = kinds.get(kind, 0.0) + seconds
        timed.append((seconds, result["unique_id"].split(".")[-1]))
    slowest = ", ".join(
        f"{name} {seconds:.1f} s" for seconds, name in sorted(timed, reverse=True)[:3]
    )
    return {"elapsed": float(results.get("elapsed_time") or 0.0), "kinds": kinds,
            "nodes": len(timed), "slowest": slowest}  # fmt: skip


def profile_figures(
    profiles: dict[str, tuple[float, dict[str, Any] | None]], scale: float
) -> list[Figure]:
    """Rows of :func:`dbt_profile` for the first day and full refresh measured: what the run's
    seconds went to (its dbt build by kind of node; the rest is start-up, ingestion, checks,
    publish)."""
    figures = []
    for what, (seconds, profile) in profiles.items():
        if profile is None:
            continue
        figures.append(
            Figure(
                "daily",
                "daily.profile_s",
                f"{what}: dbt build inside the run",
                profile["elapsed"],
                "s",
                scale=scale,
                note=f"{profile['nodes']} nodes; slowest {profile['slowest']}",
            )
        )
        for kind, spent in sorted(profile["kinds"].items(), key=lambda item: -item[1]):
            figures.append(
                Figure(
                    "daily",
                    "daily.profile_s",
                    f"{what}: dbt {kind} (own execution)",
                    spent,
                    "s",
                    scale=scale,
                )
            )
        figures.append(
            Figure(
                "daily",
                "daily.profile_s",
                f"{what}: rest of the run",
                seconds - profile["elapsed"],
                "s",
                scale=scale,
                note="process start-up, Dagster, ingestion, checks, publish",
            )
        )
    return figures


# --------------------------------------------------------------------------- notebooks
def chapters() -> list[Path]:
    """The course's chapter notebooks, ``notebooks/[0-9]*.ipynb``, in order."""
    return sorted((REPO_ROOT / "notebooks").glob("[0-9]*.ipynb"))


def notebooks(ctx: Context) -> list[Figure]:
    """Each chapter executed (nbclient) on warm checkpoints: one warm-up run, then timed runs."""
    root = ctx.work / "notebooks"
    env = base_env()
    figures = []
    for path in chapters():
        samples: list[float] = []
        error = ""
        for run in range(ctx.repeats + 1):  # run 0 warms the chapter's checkpoint
            what = "warm-up" if run == 0 else f"run {run}/{ctx.repeats}"
            ctx.step(f"notebook {path.stem}: {what}")
            done = measure([*python(), "-m", "bench.notebook", str(path), "--root", str(root)],
                           env=env, timeout=ctx.timeout)  # fmt: skip
            if not done.ok:
                error = done.tail()
                break
            if run:
                samples.append(float(done.stdout.strip().splitlines()[-1]))
        label = f"chapter {path.stem}"
        if samples:
            figures.append(Figure.from_samples("notebooks", "notebooks.chapter_s", label, samples, "s",
                                               scale=1.0, note="nbclient, warm checkpoint"))  # fmt: skip
        else:
            figures.append(_fail("notebooks", "notebooks.chapter_s", label, "s", error, 1.0))
    return figures


# --------------------------------------------------------------------------- make test
#: pytest's last line ("391 passed, 10 warnings in 668.30s (0:11:08)"), with or without the "=" rule
PYTEST_SUMMARY = re.compile(r"^=*\s*\d+ passed\b")


def make_test(ctx: Context) -> list[Figure]:
    """The whole ``make test`` (set-up included) in a fresh clone, as CI runs it."""
    ctx.step("make test in a fresh clone")
    folder = ctx.work / "make-test"
    cloned = clone(folder / "clone")
    if not cloned.ok:
        return [
            _fail("make_test", "make_test.s", "make test (fresh clone)", "s", cloned.tail(), None)
        ]
    env = _uv_env()
    for name in ("TQDM_DISABLE",):  # what CI has: only the Makefile's own exports
        env.pop(name, None)
    done = measure(["make", "test"], cwd=folder / "clone", env=env, timeout=ctx.timeout)
    # the whole output, kept beside the work folder: a failure needs more than the last lines
    (ctx.work / "make-test.log").write_text(f"{done.stdout}\n--- stderr ---\n{done.stderr}")
    artefacts = ctx.work / "make-test-artifacts"  # kept: notebook times, junit files, screenshots
    shutil.rmtree(artefacts, ignore_errors=True)
    if (folder / "clone" / "test-artifacts").is_dir():
        shutil.copytree(folder / "clone" / "test-artifacts", artefacts)
    shutil.rmtree(folder, ignore_errors=True)
    if not done.ok:
        return [_fail("make_test", "make_test.s", "make test (fresh clone)", "s",
                      f"exit {done.returncode} after {done.seconds:.0f} s (log: {ctx.work / 'make-test.log'}): "
                      f"{done.tail(3)}", None)]  # fmt: skip
    passed = [line.strip("= ") for line in done.stdout.splitlines() if PYTEST_SUMMARY.match(line)]
    return [Figure("make_test", "make_test.s", "make test (fresh clone, set-up incl.)", done.seconds, "s",
                   note="; ".join(passed)[:200]), *make_test_profile(artefacts)]  # fmt: skip


#: junit classname prefix -> what the tests are (the rest are grouped by their test room).
_TEST_GROUPS = (
    ("notebooks.", "chapters under nbval"),
    ("solutions.", "solutions under nbval"),
    ("tests.notebooks.test_chapters_parameters", "chapters with the second parameter set"),
    ("tests.notebooks.test_exercises", "exercise proofs (unsolved fail, no answer leaks)"),
)


def make_test_profile(artefacts: Path) -> list[Figure]:
    """Where ``make test``'s time goes: the wall seconds of each of its steps
    (``make-test.json``) and, from pytest's junit files, the seconds the two test workers spent
    per group of tests (worker-seconds: two workers run side by side, so a step's wall time is
    about half its groups' sum)."""
    import xml.etree.ElementTree as ElementTree

    figures = []
    recorded = artefacts / "make-test.json"
    steps = json.loads(recorded.read_text()).get("steps", {}) if recorded.exists() else {}
    for step, seconds in steps.items():
        figures.append(Figure("make_test", "make_test.step_s", f"make test step: {step}", float(seconds), "s",
                              note="wall time"))  # fmt: skip
    groups: dict[str, list[float]] = {}
    for junit in sorted(artefacts.glob("junit-*.xml")):
        for case in ElementTree.parse(junit).getroot().iter("testcase"):
            name = case.get("classname", "")
            group = next((label for prefix, label in _TEST_GROUPS if name.startswith(prefix)), None)
            if group is None:
                parts = name.split(".")
                group = (
                    f"tests: {parts[1]}"
                    if len(parts) > 2 and parts[0] == "tests"
                    else "tests: other"
                )
            groups.setdefault(group, []).append(float(case.get("time", 0.0)))
    for group, times in sorted(groups.items(), key=lambda item: -sum(item[1])):
        figures.append(Figure("make_test", "make_test.worker_s", f"worker-seconds: {group}", sum(times), "s",
                              note=f"{len(times)} tests; slowest {max(times):.0f} s"))  # fmt: skip
    return figures
