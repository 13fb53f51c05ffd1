"""Each named fault produces its defect, only from its day, and leaves the clean data alone."""

from __future__ import annotations

import json
from collections import Counter

import httpx
import pytest
from mp_helpers import event_files

from microproduct import Simulation, running
from microproduct import faults as catalogue

DAYS = 12
SCALE = 0.3


def lines_by_folder(sim: Simulation) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for path in event_files(sim):
        out.setdefault(path.parent.name.removeprefix("date="), []).extend(
            path.read_text().splitlines()
        )
    return out


def all_lines(sim: Simulation) -> list[str]:
    return [line for lines in lines_by_folder(sim).values() for line in lines]


def build(tmp_path, name: str, faults: dict | None) -> Simulation:
    sim = Simulation(tmp_path / name, seed=11, scale=SCALE, progress=False)
    sim.init(days=DAYS, faults=faults)
    return sim


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Simulation:
    return build(tmp_path_factory.mktemp("clean"), "clean", None)


def test_clean_data_has_no_defects(clean):
    lines = all_lines(clean)
    records = [json.loads(line) for line in lines]  # every line parses
    assert len(records) > 500
    assert all(isinstance(r["user_id"], int) and "event_id" in r for r in records)
    assert max(Counter(r["event_id"] for r in records).values()) == 1
    assert all("platform" in r and "os" not in r and "session_id" not in r for r in records)
    assert all(r["received_at"][:10] == r["_f"] for r in _with_folder(clean))
    assert len(lines_by_folder(clean)) == DAYS
    assert not (clean.paths.pending).exists() or not any(clean.paths.pending.rglob("*.jsonl"))


def _with_folder(sim):
    for folder, lines in lines_by_folder(sim).items():
        for line in lines:
            yield json.loads(line) | {"_f": folder}


def test_malformed_lines(tmp_path, clean):
    sim = build(tmp_path, "m", {"malformed_lines": {"from_day": 5, "rate": 0.002}})
    for folder, lines in lines_by_folder(sim).items():
        bad = []
        for line in lines:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                bad.append("broken")
                continue
            if not isinstance(record["user_id"], int):
                bad.append("type")
            elif not {"event_id", "occurred_at"} <= set(record):
                bad.append("missing")
        day = int(folder[-2:]) - 1
        assert (len(bad) > 0) == (day >= 5), folder
    good = set(all_lines(clean))
    assert len(set(all_lines(sim)) - good) >= 7  # at least one bad line in each of 7 days


def test_duplicate_events(tmp_path, clean):
    sim = build(tmp_path, "d", {"duplicate_events": {"rate": 0.05}})
    folders = lines_by_folder(sim)
    ids = Counter()
    folder_of: dict[str, set] = {}
    for folder, lines in folders.items():
        for line in lines:
            event_id = json.loads(line)["event_id"]
            ids[event_id] += 1
            folder_of.setdefault(event_id, set()).add(folder)
    duplicated = [i for i, n in ids.items() if n > 1]
    assert len(duplicated) > 20
    assert any(len(folder_of[i]) > 1 for i in duplicated)  # some re-sent in another file
    assert any(len(folder_of[i]) == 1 for i in duplicated)  # some in the same file
    assert set(all_lines(sim)) == set(all_lines(clean))  # same events, only repeated


def test_late_files(tmp_path, clean):
    sim = build(tmp_path, "l", {"late_files": {"from_day": 2, "rate": 0.5, "delay_days": 3}})
    late = [r for r in _with_folder(sim) if r["received_at"][:10] < r["_f"]]
    assert late
    from datetime import date

    gaps = {
        (date.fromisoformat(r["_f"]) - date.fromisoformat(r["received_at"][:10])).days for r in late
    }
    assert gaps == {3}
    assert min(r["received_at"][:10] for r in late) >= "2026-01-03"  # from_day 2
    # nothing lost: clean lines = delivered + still pending (days 12..14 not simulated yet)
    pending = [
        line
        for p in sorted(sim.paths.pending.rglob("*.jsonl"))
        for line in p.read_text().splitlines()
    ]
    assert sorted(all_lines(sim) + pending) == sorted(all_lines(clean))


def test_new_and_renamed_columns(tmp_path):
    sim = build(tmp_path, "c", {"new_column": {"from_day": 4}, "renamed_column": {"from_day": 8}})
    for record in _with_folder(sim):
        day = int(record["_f"][-2:]) - 1
        assert ("session_id" in record) == (day >= 4)
        assert ("os" in record) == (day >= 8) and ("platform" in record) == (day < 8)


def test_stale_source(tmp_path):
    sim = build(tmp_path, "s", {"stale_source": {"from_day": 7}})
    assert sorted(lines_by_folder(sim)) == [f"2026-01-{d:02d}" for d in range(1, 8)]
    assert sim.day == DAYS  # the product keeps running; only the drops stop


def test_faults_do_not_change_the_databases(tmp_path, clean):
    sim = build(tmp_path, "all", {name: {} for name in catalogue.FAULTS})
    for db in ("app_db", "billing_db"):
        assert getattr(sim.paths, db).read_bytes() == getattr(clean.paths, db).read_bytes()


def test_inject_mid_run_persists(tmp_path):
    sim = build(tmp_path, "i", None)
    params = sim.inject("renamed_column")
    assert params == {"from_day": DAYS}
    Simulation(tmp_path / "i", progress=False).advance(2)  # a new object reads the stored faults
    folders = lines_by_folder(sim)
    assert all('"os":' in line for line in folders["2026-01-13"] + folders["2026-01-14"])
    assert not any('"os":' in line for line in folders["2026-01-12"])


def test_fault_config_is_validated():
    with pytest.raises(ValueError, match="unknown fault 'nope'"):
        catalogue.normalise({"nope": {}})
    with pytest.raises(ValueError, match="no parameter"):
        catalogue.normalise({"late_files": {"speed": 1}})
    assert catalogue.normalise({"api_outage": {"from_day": "3", "to_day": 5}}) == {
        "api_outage": {"from_day": 3, "to_day": 5}
    }
    assert catalogue.parse_cli("late_files:rate=0.5,delay_days=2") == (
        "late_files",
        {"rate": 0.5, "delay_days": 2},
    )


def test_api_faults_follow_the_simulated_day(tmp_path):
    sim = Simulation(tmp_path / "api", seed=2, scale=0.1, progress=False)
    sim.init(days=3, faults={"api_outage": {"from_day": 4, "to_day": 5}, "api_429": {"rate": 1.0}})
    headers = {"Authorization": "Bearer t"}
    with running(sim.paths.billing_db, "t", faults=sim.faults, retry_after=1) as api:
        first = httpx.get(f"{api.url}/v1/invoices", headers=headers)
        assert first.status_code == 429 and first.headers["Retry-After"] == "1"
        sim.advance(1)  # day 4: outage
        assert httpx.get(f"{api.url}/v1/invoices", headers=headers).status_code == 503
        sim.advance(1)  # day 5: outage over, 429s continue
        assert httpx.get(f"{api.url}/v1/invoices", headers=headers).status_code == 429
    with running(sim.paths.billing_db, "t") as api:  # the same store without faults
        assert httpx.get(f"{api.url}/v1/invoices", headers=headers).status_code == 200


def test_one_list_of_faults_each_with_its_catalogue_row():
    """microproduct/faults.py states every injectable fault once: the source switches and the
    raw defects, with distinct names and a row of the fault catalogue (shared/faults.md, 25 rows)."""
    assert not set(catalogue.FAULTS) & set(catalogue.RAW_DEFECTS)
    assert all(1 <= f.catalogue_row <= 25 for f in catalogue.FAULTS.values())
    rows = [d.catalogue_row for d in catalogue.RAW_DEFECTS.values() if d.catalogue_row is not None]
    assert all(1 <= row <= 25 for row in rows) and len(rows) >= 3
    for name, defect in catalogue.RAW_DEFECTS.items():
        assert defect.name == name and defect.table.startswith("raw.") and defect.statements
