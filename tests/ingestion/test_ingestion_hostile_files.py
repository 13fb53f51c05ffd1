"""Hostile event files (issue 14 items 1, 2, 5, 7 and cases of our own; docs/faults.md rows 26-).

Each case: the bytes of one line never fail the load; every line ends in raw or in quarantine
(``file:line`` and a reason); the good lines of the same file and the other new files of the same
load still load; running the load again adds nothing.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import date
from pathlib import Path

import pytest
from ingestion_fixtures import event, offered_equals_stored, query, snapshot, write_events

from ingestion import backfill_events, load, reconcile
from ingestion.__main__ import main
from ingestion.reconcile import all_events_reconciliation, partitions_reconciliation

DAY = date(2026, 4, 30)
D1, D2, D3 = date(2026, 4, 28), date(2026, 4, 29), date(2026, 4, 30)
GOOD = 20  # good lines around the bad one: 1 bad line of 41 stays under the 5 % reject ratio


def folder(data_dir: Path, day: date = DAY) -> Path:
    path = data_dir / "sources" / "landing" / "events" / f"date={day.isoformat()}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def line(i: int, **overrides) -> bytes:
    return json.dumps(event(i, **overrides), sort_keys=True).encode()


def write_with_bad_line(data_dir: Path, bad: bytes, eol: bytes = b"\n") -> None:
    """a.jsonl: 10 good lines, ``bad`` at line 11, 10 more good ones; b.jsonl: 20 good lines."""
    lines = [line(i) for i in range(1, 11)] + [bad] + [line(i) for i in range(11, 21)]
    (folder(data_dir) / "a.jsonl").write_bytes(b"".join(x + eol for x in lines))
    write_events(data_dir, DAY, "b.jsonl", [event(i) for i in range(100, 100 + GOOD)])


def quarantine(cfg) -> list[tuple[str, str]]:
    return query(cfg.warehouse_path, "select location, reason from meta.quarantine order by 1")


def load_twice(cfg):
    (result,) = load("events", config=cfg)
    before = snapshot(cfg.warehouse_path)
    (again,) = load("events", config=cfg)
    assert again.status == "noop" and again.rows_offered == 0
    assert snapshot(cfg.warehouse_path) == before  # re-running adds nothing
    offered_equals_stored(cfg.warehouse_path)
    return result


# -- item 1: the bytes of one line ----------------------------------------------------------------
BAD_LINES = {
    # case: (bytes of line 11, raw rows, quarantined, reason)
    "invalid_utf8": (line(50, platform="ios").replace(b"ios", b"i\xffs"), 40, 1, "invalid UTF-8"),
    "bare_cr_inside": (line(50).replace(b", ", b",\r "), 41, 0, None),
    "control_byte_0x01": (line(50, platform="i\x01s").replace(b"\\u0001", b"\x01"), 40, 1, "JSON"),
    "nul_byte": (line(50, platform="i\x00s").replace(b"\\u0000", b"\x00"), 40, 1, "JSON"),
    "line_over_2mb": (line(50, properties={"blob": "x" * 2_500_000}), 41, 0, None),
    "truncated_json": (line(50)[:40], 40, 1, "invalid JSON"),
}


@pytest.mark.parametrize("case", sorted(BAD_LINES))
def test_one_bad_line_is_quarantined_and_never_blocks_the_load(data_dir, config, case):
    bad, raw, quarantined, reason = BAD_LINES[case]
    write_with_bad_line(data_dir, bad)
    cfg = config()

    result = load_twice(cfg)

    assert result.status in ("success", "warn")
    assert (result.rows_offered, result.rows_loaded, result.rows_quarantined) == (
        41,
        raw,
        quarantined,
    )
    assert "2 file(s) loaded" in result.message
    if quarantined:
        ((location, why),) = quarantine(cfg)
        assert location == f"events/date={DAY}/a.jsonl:11"
        assert reason in why
    sources = query(cfg.warehouse_path, "select count(distinct _source) from raw.events")
    assert sources == [(raw,)]  # every loaded line has its own file:line


def test_mixed_crlf_and_lf_lines_all_load(data_dir, config):
    lines = [line(i) for i in range(1, 6)]
    (folder(data_dir) / "a.jsonl").write_bytes(lines[0] + b"\r\n" + b"\n".join(lines[1:]) + b"\n")
    cfg = config()
    result = load_twice(cfg)
    assert (result.rows_loaded, result.rows_quarantined) == (5, 0)
    assert query(cfg.warehouse_path, "select max(_source) from raw.events") == [
        (f"events/date={DAY}/a.jsonl:5",)
    ]


# -- item 7: values of the wrong JSON type --------------------------------------------------------
@pytest.mark.parametrize("value", [{"os": "ios"}, ["ios"]])
def test_object_or_array_where_a_string_is_declared_is_a_type_mismatch(data_dir, config, value):
    write_with_bad_line(data_dir, line(50, platform=value))
    cfg = config()
    result = load_twice(cfg)
    assert (result.rows_loaded, result.rows_quarantined) == (40, 1)
    ((location, why),) = quarantine(cfg)
    assert location.endswith("a.jsonl:11")
    assert "platform: type mismatch" in why
    # a string that merely looks like JSON is still a string
    assert query(
        cfg.warehouse_path, "select count(*) from raw.events where platform like '{%'"
    ) == [(0,)]


def test_a_string_starting_with_a_brace_is_still_a_string(data_dir, config):
    write_events(data_dir, DAY, "a.jsonl", [event(1, platform="{not an object")])
    cfg = config()
    result = load_twice(cfg)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 0)


# -- item 2: what the listing does not recognise is reported, never skipped -----------------------
def make_unrecognised(data_dir: Path) -> list[str]:
    write_events(data_dir, DAY, "good.jsonl", [event(1), event(2)])
    root = data_dir / "sources" / "landing" / "events"
    write_events(data_dir, DAY, "events-001.json", [event(3)])  # wrong extension
    (root / "date=2026-13-45").mkdir()  # not a date
    (root / "date=2026-13-45" / "events-000.jsonl").write_text(json.dumps(event(4)) + "\n")
    (root / "2026-04-29").mkdir()  # the folder name lacks date=
    (root / "2026-04-29" / "events-000.jsonl").write_text(json.dumps(event(5)) + "\n")
    (folder(data_dir) / "nested.jsonl").mkdir()  # a folder named like a file
    os.symlink(folder(data_dir) / "good.jsonl", folder(data_dir) / "link.jsonl")
    (root / "README.txt").write_text("not events\n")
    return [
        "events/2026-04-29",
        "events/README.txt",
        "events/date=2026-13-45",
        f"events/date={DAY}/events-001.json",
        f"events/date={DAY}/link.jsonl",
        f"events/date={DAY}/nested.jsonl",
    ]


def test_unrecognised_files_and_folders_are_reported(data_dir, config, capsys):
    expected = make_unrecognised(data_dir)
    cfg = config()

    (result,) = load("events", config=cfg)

    assert (result.status, result.rows_loaded) == ("warn", 2)
    assert "6 path(s) under events/ not loaded (unrecognised)" in result.message
    assert sum(path in result.message for path in expected) == 5  # the first five, then:
    assert result.message.endswith("; and 1 more")
    logged = query(cfg.warehouse_path, "select status, message from meta.loads")
    assert logged == [("warn", result.message)]  # the load log

    assert main(["load", "events"]) == 0  # the CLI summary names them too
    out = capsys.readouterr().out
    assert "not loaded (unrecognised)" in out and "events/README.txt" in out

    table = reconcile.unloaded_files(cfg)
    assert sorted(table["path"]) == sorted(expected)
    # the Dagster nothing_lost check reads this: the odd paths are rows that lose lines
    check = partitions_reconciliation([DAY.isoformat(), "2026-13-45"], cfg)
    losing = check[check["lost"] != 0]
    assert set(losing["partition"]) == set(expected)
    assert check[check["partition"] == DAY.isoformat()]["lost"].item() == 0
    assert all_events_reconciliation(cfg)["lost"].item() > 0


def test_a_file_name_that_is_not_utf8_is_reported_and_the_rest_loads(data_dir, config):
    write_events(data_dir, DAY, "good.jsonl", [event(1)])
    name = os.fsencode(folder(data_dir)) + b"/ev\xff.jsonl"
    with open(name, "wb") as handle:
        handle.write(line(2) + b"\n")
    cfg = config()
    (result,) = load("events", config=cfg)
    assert (result.status, result.rows_loaded) == ("warn", 1)
    assert "ev\\xff.jsonl (file name is not valid UTF-8)" in result.message


# -- item 5: a partition whose folder is gone is not replaced with nothing ------------------------
@pytest.fixture
def three_loaded_days(data_dir, config):
    for i, day in enumerate((D1, D2, D3)):
        write_events(data_dir, day, "a.jsonl", [event(10 * i + 1), event(10 * i + 2)])
    cfg = config()
    load("events", config=cfg)
    shutil.rmtree(folder(data_dir, D2))
    return cfg


def rows_per_day(cfg) -> dict[str, int]:
    rows = query(
        cfg.warehouse_path,
        "select substr(_source, 13, 10), count(*) from raw.events group by 1 order by 1",
    )
    return dict(rows)


def test_backfill_of_a_gone_folder_keeps_its_rows_unless_forced(three_loaded_days, capsys):
    cfg = three_loaded_days
    before = snapshot(cfg.warehouse_path)

    (result,) = backfill_events(D2, D2, config=cfg)

    assert result.status == "warn"
    assert "refused to replace partition(s) whose folder is gone" in result.message
    assert "2026-04-29" in result.message
    assert snapshot(cfg.warehouse_path) == before
    # explicitly forced (the CLI flag): the partition's rows go
    assert (
        main(["backfill", "events", "--start", "2026-04-29", "--end", "2026-04-29", "--force"]) == 0
    )
    assert "replaced 2 row(s)" in capsys.readouterr().out
    assert rows_per_day(cfg) == {"2026-04-28": 2, "2026-04-30": 2}


def test_full_refresh_with_a_partition_folder_missing_keeps_it_unless_forced(three_loaded_days):
    cfg = three_loaded_days

    (result,) = load("events", config=cfg, full_refresh=True)

    assert result.status == "warn"
    assert "refused to replace" in result.message and "2026-04-29" in result.message
    assert rows_per_day(cfg) == {"2026-04-28": 2, "2026-04-29": 2, "2026-04-30": 2}
    ((loaded,),) = query(cfg.warehouse_path, "select count(*) from meta.file_manifest")
    assert loaded == 3
    (forced,) = load("events", config=cfg, full_refresh=True, force=True)
    assert forced.status == "success"
    assert rows_per_day(cfg) == {"2026-04-28": 2, "2026-04-30": 2}


# -- cases of our own -------------------------------------------------------------------------------
def test_a_byte_order_mark_is_not_part_of_line_one(data_dir, config):
    (folder(data_dir) / "a.jsonl").write_bytes(b"\xef\xbb\xbf" + line(1) + b"\n" + line(2) + b"\n")
    cfg = config()
    result = load_twice(cfg)
    assert (result.rows_loaded, result.rows_quarantined) == (2, 0)
    assert query(cfg.warehouse_path, "select min(event_id) from raw.events") == [(f"{1:032x}",)]


def test_empty_files_blank_lines_and_a_last_line_without_newline(data_dir, config):
    (folder(data_dir) / "empty.jsonl").write_bytes(b"")
    (folder(data_dir) / "blank.jsonl").write_bytes(b"\n\r\n" + line(1) + b"\n")
    (folder(data_dir) / "cut.jsonl").write_bytes(line(2) + b"\n" + line(3))  # no final newline
    write_events(data_dir, DAY, "z.jsonl", [event(i) for i in range(10, 60)])
    cfg = config()
    result = load_twice(cfg)
    assert (result.rows_offered, result.rows_loaded, result.rows_quarantined) == (55, 53, 2)
    assert "4 file(s) loaded" in result.message
    assert quarantine(cfg) == [
        (f"events/date={DAY}/blank.jsonl:1", "empty line"),
        (f"events/date={DAY}/blank.jsonl:2", "empty line"),
    ]
    assert all_events_reconciliation(cfg)["lost"].item() == 0


def test_nan_and_infinity_are_not_integers(data_dir, config):
    lines = [line(i) for i in range(1, 40)]
    lines += [line(40).replace(b'"user_id": 6', b'"user_id": NaN')]
    lines += [line(41).replace(b'"user_id": 7', b'"user_id": -Infinity')]
    (folder(data_dir) / "a.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    cfg = config()
    result = load_twice(cfg)
    assert (result.rows_loaded, result.rows_quarantined) == (39, 2)
    # DuckDB's JSON reader accepts NaN/Infinity tokens; as an integer they are rejected
    assert [r for _, r in quarantine(cfg)] == [
        "user_id: NaN is not a valid BIGINT",
        "user_id: -Infinity is not a valid BIGINT",
    ]


def test_many_tiny_files_in_one_load(data_dir, config):
    for n in range(1500):
        (folder(data_dir) / f"e-{n:05d}.jsonl").write_bytes(line(n) + b"\n")
    cfg = config()
    result = load_twice(cfg)
    assert (result.rows_loaded, result.rows_quarantined) == (1500, 0)
    assert "1500 file(s) loaded" in result.message
