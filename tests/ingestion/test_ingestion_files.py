"""Event-file faults: malformed lines, bad values, duplicates, late files, drift, re-runs."""

from __future__ import annotations

from datetime import date

import pytest
from ingestion_fixtures import event, offered_equals_stored, query, snapshot, write_events

from ingestion import LoadFailed, load
from ingestion.schemas import EVENTS

DAY = date(2026, 4, 30)


def test_fault_01_malformed_line_is_quarantined_with_file_and_line(data_dir, config):
    lines = [event(i) for i in range(1, 41)]
    lines[3] = '{"event_id": "broken'  # line 4
    write_events(data_dir, DAY, "events-000.jsonl", lines)
    cfg = config()

    (result,) = load("events", config=cfg)

    assert (result.status, result.rows_offered) == ("warn", 40)
    assert (result.rows_loaded, result.rows_quarantined) == (39, 1)
    wh = cfg.warehouse_path
    assert query(wh, "select location, reason, payload from meta.quarantine") == [
        ("events/date=2026-04-30/events-000.jsonl:4", "invalid JSON", '{"event_id": "broken')
    ]
    assert query(wh, "select count(*) from raw.events")[0][0] == 39
    assert query(wh, "select min(_source) from raw.events")[0][0].endswith("events-000.jsonl:1")
    offered_equals_stored(wh)
    before = snapshot(wh)
    (again,) = load("events", config=cfg)
    assert again.status == "noop"
    assert snapshot(wh) == before


def test_reject_ratio_exceeded_fails_and_leaves_state(data_dir, config):
    write_events(data_dir, DAY, "good.jsonl", [event(i) for i in range(10)])
    cfg = config()
    load("events", config=cfg)
    before = snapshot(cfg.warehouse_path)
    write_events(data_dir, DAY, "bad.jsonl", ["nope"] * 3 + [event(i) for i in range(100, 110)])

    with pytest.raises(LoadFailed) as caught:
        load("events", config=cfg)

    (failed,) = caught.value.results
    assert failed.status == "failed"
    assert "3 of 13 rows rejected" in failed.message
    assert "bad.jsonl:1: invalid JSON" in failed.message
    assert snapshot(cfg.warehouse_path) == before
    status = query(cfg.warehouse_path, "select status from meta.loads order by load_id")
    assert status == [("success",), ("failed",)]
    # a looser threshold accepts the same file
    (ok,) = load("events", config=config(reject_ratio=0.5))
    assert (ok.status, ok.rows_loaded, ok.rows_quarantined) == ("warn", 10, 3)


def test_fault_02_bad_value_far_past_any_sample_is_rejected_not_rounded(data_dir, config):
    lines = [event(i, user_id=i) for i in range(1, 30_002)]
    lines[29_999] = event(30_000, user_id="abc")  # line 30 000
    lines[10] = event(11, user_id=1.5)  # would round to 2 with a plain TRY_CAST
    write_events(data_dir, DAY, "big.jsonl", lines)
    cfg = config()

    (result,) = load("events", config=cfg)

    assert (result.rows_offered, result.rows_loaded, result.rows_quarantined) == (30_001, 29_999, 2)
    wh = cfg.warehouse_path
    rejected = query(wh, "select location, reason from meta.quarantine order by location")
    assert rejected == [
        ("events/date=2026-04-30/big.jsonl:11", "user_id: 1.5 is not a valid BIGINT"),
        ("events/date=2026-04-30/big.jsonl:30000", "user_id: abc is not a valid BIGINT"),
    ]
    expected_sum = sum(range(1, 30_002)) - 30_000 - 11
    assert query(wh, "select sum(user_id) from raw.events")[0][0] == expected_sum
    before = snapshot(wh)
    load("events", config=cfg)
    assert snapshot(wh) == before


def test_fault_04_duplicate_events_stay_in_raw(data_dir, config):
    write_events(data_dir, DAY, "a.jsonl", [event(1), event(2)])
    write_events(data_dir, DAY, "b.jsonl", [event(2, received_at="2026-04-30T00:00:01Z")])
    cfg = config()

    (result,) = load("events", config=cfg)

    assert (result.rows_offered, result.rows_loaded) == (3, 3)
    dupes = query(
        cfg.warehouse_path, "select count(*) from raw.events where event_id = ?", [f"{2:032x}"]
    )
    assert dupes == [(2,)]
    offered_equals_stored(cfg.warehouse_path)
    before = snapshot(cfg.warehouse_path)
    load("events", config=cfg)
    assert snapshot(cfg.warehouse_path) == before


def test_fault_07_late_file_in_an_old_folder_loads_exactly_once(data_dir, config):
    write_events(data_dir, date(2026, 4, 29), "a.jsonl", [event(1)])
    write_events(data_dir, DAY, "a.jsonl", [event(2)])
    cfg = config()
    load("events", config=cfg)
    write_events(data_dir, date(2026, 4, 20), "late.jsonl", [event(3), event(4)])

    (result,) = load("events", config=cfg)

    assert (result.rows_offered, result.rows_loaded) == (2, 2)
    assert "1 file(s) loaded, 2 already loaded" in result.message
    wh = cfg.warehouse_path
    assert query(wh, "select count(*) from raw.events where event_id = ?", [f"{3:032x}"]) == [(1,)]
    offered_equals_stored(wh)
    before = snapshot(wh)
    (again,) = load("events", config=cfg)
    assert (again.status, again.rows_offered) == ("noop", 0)
    assert snapshot(wh) == before


def test_fault_09_new_and_renamed_keys_become_columns_and_are_logged(data_dir, config):
    write_events(data_dir, date(2026, 4, 28), "a.jsonl", [event(1)])
    cfg = config()
    load("events", config=cfg)
    renamed = event(3, session_id="s-3", os="android")
    del renamed["platform"]
    write_events(data_dir, date(2026, 4, 29), "b.jsonl", [event(2, session_id="s-2"), renamed])

    (result,) = load("events", config=cfg)

    assert result.rows_loaded == 2
    assert "new column(s): os, session_id" in result.message
    wh = cfg.warehouse_path
    changes = query(wh, "select entity, column_name, change from meta.schema_changes order by 2")
    assert changes == [("events", "os", "added"), ("events", "session_id", "added")]
    rows = query(wh, "select event_id, platform, os, session_id from raw.events order by event_id")
    assert [r[1:] for r in rows] == [
        ("ios", None, None),
        ("ios", None, "s-2"),
        (None, "android", "s-3"),
    ]
    # the column is now known: a later file fills it without another schema change
    write_events(data_dir, DAY, "c.jsonl", [event(4, session_id="s-4")])
    load("events", config=cfg)
    assert query(wh, "select session_id from raw.events where event_id = ?", [f"{4:032x}"]) == [
        ("s-4",)
    ]
    assert len(query(wh, "select * from meta.schema_changes")) == 2
    before = snapshot(wh)
    load("events", config=cfg)
    assert snapshot(wh) == before


def test_empty_and_blank_and_non_object_lines(data_dir, config):
    write_events(data_dir, DAY, "empty.jsonl", [])
    write_events(data_dir, DAY, "odd.jsonl", [event(1), "", "[1, 2]", event(2, event_id=None)])
    cfg = config(reject_ratio=1.0)

    (result,) = load("events", config=cfg)

    reasons = query(cfg.warehouse_path, "select location, reason from meta.quarantine order by 1")
    assert reasons == [
        ("events/date=2026-04-30/odd.jsonl:2", "empty line"),
        ("events/date=2026-04-30/odd.jsonl:3", "not a JSON object"),
        ("events/date=2026-04-30/odd.jsonl:4", "missing required key event_id"),
    ]
    assert (result.rows_offered, result.rows_loaded) == (4, 1)
    manifest = query(cfg.warehouse_path, "select path, size from meta.file_manifest order by 1")
    assert manifest[0] == ("events/date=2026-04-30/empty.jsonl", 0)


def test_changed_file_is_not_reloaded_silently(data_dir, config):
    path = write_events(data_dir, DAY, "a.jsonl", [event(1)])
    cfg = config()
    load("events", config=cfg)
    path.write_text(path.read_text() + "{}\n")

    (result,) = load("events", config=cfg)

    assert result.status == "warn"
    assert "events/date=2026-04-30/a.jsonl" in result.message
    assert query(cfg.warehouse_path, "select count(*) from raw.events") == [(1,)]


def test_events_schema_declares_required_columns():
    required = {c.name for c in EVENTS.columns if c.required}
    assert required == {"event_id", "event_type", "user_id", "occurred_at"}


def test_last_line_without_newline_and_several_files_keep_exact_line_numbers(data_dir, config):
    import json

    a = write_events(data_dir, DAY, "a.jsonl", [event(1), event(2)])
    b = write_events(data_dir, DAY, "b.jsonl", [event(3), "oops", event(4)])
    b.write_text(b.read_text().rstrip("\n"))  # a writer that forgets the final newline
    cfg = config(reject_ratio=0.5)

    (result,) = load("events", config=cfg)

    assert (result.rows_loaded, result.rows_quarantined) == (4, 1)
    sources = query(cfg.warehouse_path, "select _source from raw.events order by _source")
    assert [s[0].rsplit("/", 1)[1] for s in sources] == [
        "a.jsonl:1",
        "a.jsonl:2",
        "b.jsonl:1",
        "b.jsonl:3",
    ]
    assert json.loads(a.read_text().splitlines()[1])["event_id"] == f"{2:032x}"
    assert query(cfg.warehouse_path, "select location from meta.quarantine") == [
        ("events/date=2026-04-30/b.jsonl:2",)
    ]
