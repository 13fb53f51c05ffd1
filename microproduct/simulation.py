"""``Simulation``: build Sproutly's world and move its clock forward, one day at a time.

    sim = Simulation(seed=42, scale=1.0)        # data under $SPROUTLY_DATA_DIR (or data_dir=...)
    sim.init(days=120)                          # from scratch: 2026-01-01 .. 2026-04-30
    sim.advance(days=1)                         # 2026-05-01; the clock now says 2026-05-02 00:00
    sim.inject("late_files", delay_days=3)      # switch a defect on from today

Determinism: day ``d`` draws from random streams derived from ``(seed, d)`` only (numpy
``SeedSequence(seed, spawn_key=(d, stream))``), and all other state is read back from the stores.
So the same ``(seed, scale, days)`` gives byte-identical files, and ``init(days=9)`` followed by
``advance(1)`` gives the same data as ``init(days=10)``.

Memory stays bounded: each day's events are written before the next day is simulated.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from microproduct import appdb, billing_store, drops, events, tickets
from microproduct import faults as fault_catalogue
from microproduct.lifecycle import World
from microproduct.timeutil import day_start, to_datetime
from microproduct.world import LIFECYCLE_EVENTS, START_DATE
from sproutly import clock, paths

STATE_VERSION = 1
STREAM_LIFECYCLE, STREAM_EVENTS, STREAM_FAULTS = 0, 1, 2
#: auto progress bar when (days x scale) reaches this (roughly 10 s of work)
PROGRESS_WORK = 300


@dataclass(frozen=True)
class SourcePaths:
    """Where the simulation writes, all under one data folder (mirrors :mod:`sproutly.paths`)."""

    data_dir: Path

    @classmethod
    def under(cls, data_dir: Path | None) -> SourcePaths:
        return cls(Path(data_dir).resolve() if data_dir is not None else paths.data_dir())

    def _rebase(self, path: Path) -> Path:
        return self.data_dir / path.relative_to(paths.data_dir())

    @property
    def sources(self) -> Path:
        return self._rebase(paths.sources_dir())

    @property
    def app_db(self) -> Path:
        return self._rebase(paths.app_db_path())

    @property
    def billing_db(self) -> Path:
        return self._rebase(paths.billing_db_path())

    @property
    def events(self) -> Path:
        return self._rebase(paths.landing_dir()) / "events"

    @property
    def pending(self) -> Path:
        return self.sources / "pending"

    @property
    def support(self) -> Path:
        """The support desk's ticket export (``microproduct.tickets``)."""
        return self._rebase(paths.landing_dir()) / "support"

    @property
    def support_pending(self) -> Path:
        return self.pending / "support"

    @property
    def state(self) -> Path:
        return self.sources / "state.json"

    @property
    def clock(self) -> Path:
        return self._rebase(paths.clock_path())


@dataclass
class RunSummary:
    """What one ``init``/``advance`` call did (counts are totals after the run)."""

    first_day: int
    days: int
    clock: str
    seconds: float
    rows: dict[str, int] = field(default_factory=dict)
    events_written: int = 0
    event_files: int = 0

    def __str__(self) -> str:
        tables = ", ".join(f"{name} {count:,}" for name, count in self.rows.items())
        return (
            f"simulated {self.days} day(s) from day {self.first_day} in {self.seconds:.1f}s; "
            f"clock now {self.clock}\n  rows: {tables}\n"
            f"  events written this run: {self.events_written:,} in {self.event_files} file(s)"
        )


class Simulation:
    """The simulated product. ``seed``/``scale`` matter for :meth:`init`; later calls use the
    values stored in ``sources/state.json``."""

    def __init__(
        self,
        data_dir: Path | None = None,
        seed: int = 42,
        scale: float = 1.0,
        *,
        progress: bool | None = None,
    ) -> None:
        if scale <= 0:
            raise ValueError(f"scale must be positive, got {scale}")
        self.paths = SourcePaths.under(data_dir)
        self.seed = int(seed)
        self.scale = float(scale)
        self.progress = progress

    # ------------------------------------------------------------------------------- state
    def exists(self) -> bool:
        return self.paths.state.exists()

    def state(self) -> dict:
        if not self.exists():
            raise FileNotFoundError(
                f"No simulation at {self.paths.sources}: run init first "
                "(`uv run python -m microproduct init`)."
            )
        return json.loads(self.paths.state.read_text())

    @property
    def day(self) -> int:
        """The first day not yet simulated (= number of days simulated)."""
        return self.state()["day"]

    @property
    def faults(self) -> dict[str, dict]:
        return self.state()["faults"]

    def _save_state(self, state: dict) -> None:
        tmp = self.paths.state.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, sort_keys=True, indent=2) + "\n")
        tmp.replace(self.paths.state)
        clock.write_clock_file(
            to_datetime(day_start(state["day"])),
            self.paths.clock,
            day=state["day"],
            seed=state["seed"],
            scale=state["scale"],
            start_date=START_DATE.isoformat(),
        )

    # ------------------------------------------------------------------------------- public API
    def init(self, days: int = 120, faults: dict[str, dict] | None = None) -> RunSummary:
        """Build the world from scratch (deletes earlier sources) and simulate ``days`` days."""
        normalised = fault_catalogue.normalise(faults)
        shutil.rmtree(self.paths.sources, ignore_errors=True)
        self.paths.clock.unlink(missing_ok=True)
        self.paths.sources.mkdir(parents=True)
        state = {
            "version": STATE_VERSION,
            "seed": self.seed,
            "scale": self.scale,
            "start_date": START_DATE.isoformat(),
            "day": 0,
            "faults": normalised,
            "counters": {"user": 1, "subscription": 1, "invoice": 1, "payment": 1},
            "rng": "numpy SeedSequence(seed, spawn_key=(day, stream)); streams: "
            "0 lifecycle, 1 events, 2 faults",
        }
        app = appdb.connect(self.paths.app_db)
        billing = billing_store.create_store(self.paths.billing_db)
        try:
            world = World(self.seed, self.scale, state["counters"])
            world.create_plans()
            world.flush(app, billing)
        finally:
            app.close()
            billing.close()
        self._save_state(state)
        return self._run(days)

    def advance(self, days: int = 1) -> RunSummary:
        """Simulate ``days`` more days from where the stored state stands; move the clock."""
        return self._run(days)

    def inject(self, name: str, **params) -> dict:
        """Switch fault ``name`` on (from today unless ``from_day`` is given); persisted."""
        state = self.state()
        params.setdefault("from_day", state["day"])
        state["faults"] = fault_catalogue.normalise({**state["faults"], name: params})
        self._save_state(state)
        return state["faults"][name]

    def status(self) -> dict:
        """Clock, rows per table and event files/lines/bytes, for humans and checks."""
        state = self.state()
        files = sorted(self.paths.events.glob("date=*/*.jsonl"))
        lines = size = 0
        for file in files:
            content = file.read_bytes()
            lines += content.count(b"\n")
            size += len(content)
        return {
            "clock": clock.read_clock_file(self.paths.clock)["now"],
            "day": state["day"],
            "seed": state["seed"],
            "scale": state["scale"],
            "faults": state["faults"],
            "rows": self.row_counts(),
            "event_files": len(files),
            "event_lines": lines,
            "event_bytes": size,
        }

    def row_counts(self) -> dict[str, int]:
        """Rows per table of the app DB and the billing store."""
        rows = {}
        for path, tables in (
            (self.paths.app_db, ("plans", "users", "subscriptions")),
            (self.paths.billing_db, ("invoices", "payments")),
        ):
            con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                for table in tables:
                    rows[table] = con.execute(f"select count(*) from {table}").fetchone()[0]  # noqa: S608
            finally:
                con.close()
        return rows

    # ------------------------------------------------------------------------------- the loop
    def _show_progress(self, days: int, scale: float) -> bool:
        if self.progress is not None:
            return self.progress
        if "PYTEST_CURRENT_TEST" in os.environ:
            return False
        return sys.stderr.isatty() or days * scale >= PROGRESS_WORK

    def _run(self, days: int) -> RunSummary:
        if days < 0:
            raise ValueError(f"days must be >= 0, got {days}")
        started = time.perf_counter()
        state = self.state()
        seed, scale, first = state["seed"], state["scale"], state["day"]
        fault_config = state["faults"]
        app = appdb.connect(self.paths.app_db)
        billing = billing_store.create_store(self.paths.billing_db)
        written = files = 0
        try:
            world = World(seed, scale, state["counters"])
            world.load(app, billing, first)
            show = self._show_progress(days, scale)
            for day in tqdm(
                range(first, first + days), desc="simulating", unit="day", disable=not show
            ):
                streams = [
                    np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(day, stream)))
                    for stream in (STREAM_LIFECYCLE, STREAM_EVENTS, STREAM_FAULTS)
                ]
                milestones = world.simulate_day(day, streams[STREAM_LIFECYCLE])
                population = events.Population(
                    created=np.array(world.created_sec, dtype=np.int64),
                    deleted=np.array(world.deleted_sec, dtype=np.int64),
                    zone=np.array(world.zone_index, dtype=np.int64),
                    subscribed=world.live_users_mask(),
                    traits=world.traits,
                )
                day_events = events.generate_day(
                    day, seed, population, milestones, streams[STREAM_EVENTS]
                )
                lines = events.format_lines(
                    day_events,
                    session_column=fault_catalogue.active(fault_config, "new_column", day)
                    is not None,
                    rename_platform=fault_catalogue.active(fault_config, "renamed_column", day)
                    is not None,
                )
                protected = [kind in LIFECYCLE_EVENTS for kind in day_events.event_type]
                dropped = drops.drop_day(
                    self.paths.events,
                    self.paths.pending,
                    day,
                    lines,
                    protected,
                    fault_config,
                    streams[STREAM_FAULTS],
                )
                tickets.drop_day(
                    self.paths.support,
                    self.paths.support_pending,
                    day,
                    population.created,
                    population.deleted,
                    population.subscribed,
                    np.random.default_rng(
                        np.random.SeedSequence(seed, spawn_key=(day, tickets.STREAM_TICKETS))
                    ),
                )
                written += len(lines)
                files += len(dropped)
                world.flush(app, billing)
                state.update(day=day + 1, counters=dict(world.counters))
                self._save_state(state)
        finally:
            app.close()
            billing.close()
        summary = RunSummary(
            first_day=first,
            days=days,
            clock=clock.read_clock_file(self.paths.clock)["now"],
            seconds=time.perf_counter() - started,
            events_written=written,
            event_files=files,
        )
        summary.rows = self.row_counts() if days else {}
        return summary
