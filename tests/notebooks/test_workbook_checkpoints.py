"""``checkpoint()``: builds each rung once, restores it from the cache afterwards, says what it did."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from workbook import checkpoint, checkpoints, paths


@pytest.fixture
def fake_ladder(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Two cheap rungs: "sources" writes a clock and a file, "raw" adds a second file."""
    calls: list[str] = []

    def sources(settings: checkpoints.Settings) -> None:
        calls.append("sources")
        (paths.data_dir() / "sources").mkdir()
        (paths.data_dir() / "sources" / "seed.txt").write_text(str(settings.seed))
        paths.clock_path().write_text(json.dumps({"now": "2026-05-01 00:00:00"}))

    def raw(settings: checkpoints.Settings) -> None:
        calls.append("raw")
        assert (paths.data_dir() / "sources" / "seed.txt").exists()  # built on the rung below
        (paths.data_dir() / "raw.txt").write_text("loaded")

    monkeypatch.setattr(
        checkpoints,
        "RUNGS",
        [
            checkpoints.Rung(
                "sources", "sources generated, nothing loaded", sources, ("workbook",)
            ),
            checkpoints.Rung("raw", "raw layer loaded", raw, ("ingestion",)),
        ],
    )
    monkeypatch.setattr(checkpoints, "CHAPTERS", {"00": "sources", "01": "sources", "02": "raw"})
    return calls


def test_builds_once_then_restores(
    fake_ladder: list[str], data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = checkpoint("02", seed=7, scale=0.5)
    assert fake_ladder == ["sources", "raw"]
    assert first.from_cache is False
    (data_dir / "stray.txt").write_text("learner's leftovers")
    (data_dir / "raw.txt").write_text("changed by a learner")
    second = checkpoint("02", seed=7, scale=0.5)
    assert fake_ladder == ["sources", "raw"]  # nothing rebuilt
    assert second.from_cache is True
    assert not (data_dir / "stray.txt").exists()
    assert (data_dir / "raw.txt").read_text() == "loaded"
    lines = capsys.readouterr().out.splitlines()
    expected = "checkpoint 02: raw layer loaded (seed=7, scale=0.5); simulated now 2026-05-01 00:00"
    assert lines == [expected, expected]  # same text whether built or restored
    assert (
        repr(first) == repr(second) == ("Checkpoint(chapter='02', rung='raw', seed=7, scale=0.5)")
    )


def test_lower_rung_restores_and_drops_upper_state(fake_ladder: list[str], data_dir: Path) -> None:
    checkpoint("02")
    checkpoint("00")
    assert fake_ladder == ["sources", "raw"]
    assert not (data_dir / "raw.txt").exists()
    assert (data_dir / "sources" / "seed.txt").read_text() == "42"


def test_seed_is_part_of_the_key(fake_ladder: list[str], data_dir: Path) -> None:
    checkpoint("00", seed=1)
    checkpoint("00", seed=2)
    assert fake_ladder == ["sources", "sources"]
    assert (data_dir / "sources" / "seed.txt").read_text() == "2"


def test_readme_and_cache_inside_data_are_kept(
    fake_ladder: list[str], data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPROUTLY_CHECKPOINT_DIR", str(data_dir / ".checkpoints"))
    (data_dir / "README.md").write_text("keep me")
    checkpoint("00")
    checkpoint("01")
    assert (data_dir / "README.md").read_text() == "keep me"
    cached = sorted(p.name for p in (data_dir / ".checkpoints").iterdir() if p.name != ".locks")
    assert len(cached) == 1 and cached[0].startswith("sources-seed42-scale1-days120-")


def test_unknown_chapter(fake_ladder: list[str]) -> None:
    with pytest.raises(ValueError, match="no checkpoint for chapter 09"):
        checkpoint("9")


def test_real_sources_rung(data_dir: Path) -> None:
    """The real first rung with the simulator at a tiny scale."""
    state = checkpoint("00", seed=3, scale=0.02)
    assert state.rung == "sources"
    assert paths.app_db_path().exists()
    assert json.loads(paths.clock_path().read_text())["seed"] == 3
    assert sorted(paths.landing_dir().glob("events/date=*/*.jsonl"))


def test_cache_built_from_older_code_is_pruned(
    fake_ladder: list[str], data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkpoint("00")
    monkeypatch.setattr(checkpoints, "_code_hash", lambda folders: "0" * 64)  # "the code changed"
    checkpoint("00")
    assert fake_ladder == ["sources", "sources"]
    cached = [p.name for p in checkpoints.cache_dir().iterdir() if not p.name.startswith(".")]
    assert cached == ["sources-seed42-scale1-days120-000000000000"]


#: The cache ``make test`` shares between its steps (``make checkpoints`` built the course's rungs
#: into it), read before the ``data_dir`` fixture points the variable at a private one.
SHARED_CACHE = os.environ.get("SPROUTLY_CHECKPOINT_DIR")


@pytest.mark.slow  # the real pipeline up to a Dagster run, unless make checkpoints built it (~1 min)
def test_real_ladder_up_to_a_dagster_run(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real rungs up to a Dagster run (the course's parameters, where chapter 07 starts),
    then a lower rung restored over it. Under ``make test`` they come from the cache that
    ``make checkpoints`` filled from scratch in the same run (the build is proven there);
    alone, this test builds them."""
    import functools
    import sqlite3

    # The code is taken as fixed for the test's duration (the repository may change under a
    # long test while it is being edited; CI's checkout does not).
    monkeypatch.setattr(checkpoints, "_code_hash", functools.cache(checkpoints._code_hash))
    if SHARED_CACHE:
        monkeypatch.setenv("SPROUTLY_CHECKPOINT_DIR", SHARED_CACHE)

    from workbook import query

    state = checkpoint("07")
    assert state.rung == "dagster_run"
    loads = query("select distinct status from meta.loads order by status")["status"].tolist()
    assert "failed" not in loads
    marts = query("select table_name from information_schema.tables where table_schema = 'marts'")[
        "table_name"
    ].tolist()
    assert "fct_mrr_daily" in marts
    with sqlite3.connect(paths.dagster_home() / "history" / "runs.db") as runs:
        statuses = [row[0] for row in runs.execute("select status from runs")]
    assert statuses == ["SUCCESS"]
    assert paths.serving_path().exists()
    keys = checkpoints._keys(checkpoints.Settings(seed=42, scale=1.0))
    below = ["sources", "raw", "staging", "marts", "dbt_build", "dagster_run"]
    assert all((checkpoints.cache_dir() / keys[rung]).is_dir() for rung in below)
    again = checkpoint("03")
    assert again.from_cache is True
    schemas = set(query("select schema_name from information_schema.schemata")["schema_name"])
    assert "staging" in schemas and "marts" not in schemas
    assert not paths.dagster_home().exists()


def test_parallel_workers_build_a_state_once(fake_ladder, data_dir, tmp_path, monkeypatch):
    """Two workers sharing a cache ask for the same rung at once: one builds it (holding the
    lock), the other waits and restores the cached copy instead of building it again."""
    import threading
    import time

    started = threading.Event()
    original = checkpoints.RUNGS[0].step

    def slow_sources(settings: checkpoints.Settings) -> None:
        started.set()
        time.sleep(0.5)  # long enough for the second worker to arrive while this one builds
        original(settings)

    monkeypatch.setattr(
        checkpoints, "RUNGS", [checkpoints.Rung("sources", "sources", slow_sources, ("workbook",))]
    )
    settings = checkpoints.Settings(seed=1, scale=0.1)
    outcomes: dict[str, bool] = {}

    def worker(name: str) -> None:
        outcomes[name] = checkpoints.prepare("sources", settings)

    first = threading.Thread(target=worker, args=("first",))
    first.start()
    started.wait(5)
    second = threading.Thread(target=worker, args=("second",))
    second.start()
    first.join(10)
    second.join(10)
    assert fake_ladder == ["sources"], "the state must be built exactly once"
    assert outcomes == {"first": False, "second": True}


def test_history_key_covers_the_daemon_replay(monkeypatch: pytest.MonkeyPatch) -> None:
    """The week of history is replayed by ``orchestration/runs.py``: a change there (or anywhere
    in ``orchestration/``) must rebuild the ``dagster_history`` rung, not restore a stale one."""
    hashed: list[tuple[str, ...]] = []
    monkeypatch.setattr(checkpoints, "_code_hash", lambda folders: hashed.append(folders) or "0")
    checkpoints._keys(checkpoints.Settings(seed=42, scale=1.0))
    history = hashed[[r.name for r in checkpoints.RUNGS].index("dagster_history")]
    assert "orchestration" in history and "workbook/ch06_observability/history" in history
    assert (paths.REPO_ROOT / "orchestration" / "runs.py").exists()


def test_chapter_08_starts_from_a_recorded_duckdb_build(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chapter 08 compares Snowflake with the DuckDB build its checkpoint recorded instead of
    repeating it: the rung is the week of runs plus that build, and a change in ``cutover/``
    (which records and reads it) rebuilds it."""
    hashed: list[tuple[str, ...]] = []
    monkeypatch.setattr(checkpoints, "_code_hash", lambda folders: hashed.append(folders) or "0")
    checkpoints._keys(checkpoints.Settings(seed=42, scale=1.0))
    names = [r.name for r in checkpoints.RUNGS]
    assert checkpoints.CHAPTERS["08"] == "cutover_reference"
    assert names.index("cutover_reference") == names.index("dagster_history") + 1
    assert "cutover" in hashed[names.index("cutover_reference")]
    assert "cutover" not in hashed[names.index("dagster_history")]
