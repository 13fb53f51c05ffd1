"""Explicit typing: time zones and DST (fault 12), integers never rounded, hostile identifiers
(fault 22)."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import pytest
from ingestion_fixtures import event, query, snapshot, write_events

from ingestion import LoadFailed, load
from ingestion.schemas import Column, quote_identifier, validate_identifier
from ingestion.validate import stage_typed

HOSTILE = 'x"; drop table raw.events;--'


def _typed(values: list[str], type_: str, timezone: str = "UTC") -> list:
    con = duckdb.connect()
    con.execute(f"SET TimeZone = '{timezone}'")
    con.execute("CREATE TABLE lines (_n BIGINT, _line VARCHAR)")
    con.executemany(
        "INSERT INTO lines VALUES (?, ?)",
        [
            (i, '{"v": ' + (v if v.startswith(("[", "{")) else f'"{v}"') + "}")
            for i, v in enumerate(values)
        ],
    )
    stage_typed(con, "SELECT _n, _line FROM lines", {}, [Column("v", type_)])
    return [r[0] for r in con.execute("SELECT v FROM _ingestion_typed ORDER BY _n").fetchall()]


@pytest.mark.parametrize("zone", ["UTC", "America/Los_Angeles", "Asia/Kolkata"])
def test_timestamps_are_utc_whatever_the_session_zone(zone):
    values = [
        "2026-03-08T01:59:59-08:00",  # Los Angeles, last second of PST
        "2026-03-08T03:00:00-07:00",  # ... first second of PDT (02:xx does not exist)
        "2026-03-29T01:59:59+01:00",  # Berlin, last second of CET
        "2026-03-29T03:00:00+02:00",  # ... first second of CEST
        "2026-10-25T02:30:00+02:00",  # Berlin, the repeated hour, first pass
        "2026-10-25T02:30:00+01:00",  # ... second pass
        "2026-03-29T01:31:00Z",
        "2026-01-01 10:00:00",  # the app's naive text: UTC by contract
        "2026-01-01T10:00:00.250Z",
    ]
    assert _typed(values, "TIMESTAMP", zone) == [
        datetime(2026, 3, 8, 9, 59, 59),
        datetime(2026, 3, 8, 10, 0, 0),
        datetime(2026, 3, 29, 0, 59, 59),
        datetime(2026, 3, 29, 1, 0, 0),
        datetime(2026, 10, 25, 0, 30),
        datetime(2026, 10, 25, 1, 30),
        datetime(2026, 3, 29, 1, 31),
        datetime(2026, 1, 1, 10, 0),
        datetime(2026, 1, 1, 10, 0, 0, 250000),
    ]


def test_values_that_do_not_fit_are_null_never_rounded():
    assert _typed(["12", "-3", "1.5", "1e3", " 7", "abc", "99999999999999999999"], "BIGINT") == [
        12,
        -3,
        None,
        None,
        None,
        None,
        None,
    ]
    assert _typed(["1", "0", "true", "false", "2", "yes"], "BOOLEAN") == [
        True,
        False,
        True,
        False,
        None,
        None,
    ]
    assert _typed(["2026-02-30 10:00:00", "yesterday", "2026-03-29T03:30"], "TIMESTAMP") == [
        None,
        None,
        None,
    ]


def test_fault_12_events_load_in_utc_under_another_session_zone(data_dir, config):
    lines = [
        event(1, occurred_at="2026-03-29T01:59:59+01:00"),
        event(2, occurred_at="2026-03-29T03:00:00+02:00"),
        event(3, occurred_at="2026-03-08T01:59:59-08:00", received_at="2026-03-08T10:00:02Z"),
    ]
    write_events(data_dir, date(2026, 3, 29), "a.jsonl", lines)
    cfg = config(duckdb_settings={"TimeZone": "America/Los_Angeles"})

    (result,) = load("events", config=cfg)

    assert result.rows_loaded == 3
    rows = query(
        cfg.warehouse_path,
        "select occurred_at, received_at from raw.events order by event_id",
    )
    assert [r[0] for r in rows] == [
        datetime(2026, 3, 29, 0, 59, 59),
        datetime(2026, 3, 29, 1, 0, 0),
        datetime(2026, 3, 8, 9, 59, 59),
    ]
    assert rows[2][1] == datetime(2026, 3, 8, 10, 0, 2)
    types = query(
        cfg.warehouse_path,
        "select data_type from information_schema.columns where table_name = 'events' "
        "and column_name = 'occurred_at'",
    )
    assert types == [("TIMESTAMP",)]  # naive UTC, not TIMESTAMPTZ (no session zone involved)
    before = snapshot(cfg.warehouse_path)
    load("events", config=cfg)
    assert snapshot(cfg.warehouse_path) == before


def test_identifier_allow_list():
    assert validate_identifier("session_id") == "session_id"
    assert quote_identifier("os") == '"os"'
    for bad in [HOSTILE, "Platform", "1st", "a b", "", "x" * 64, None, 'a"b']:
        with pytest.raises(ValueError):
            validate_identifier(bad)


def test_fault_22_hostile_key_in_data_raises_and_catalog_is_unchanged(data_dir, config):
    write_events(data_dir, date(2026, 4, 29), "a.jsonl", [event(1)])
    cfg = config()
    load("events", config=cfg)
    catalog = (
        "select table_schema, table_name, column_name from information_schema.columns order by all"
    )
    columns_before = query(cfg.warehouse_path, catalog)
    before = snapshot(cfg.warehouse_path)
    write_events(data_dir, date(2026, 4, 30), "b.jsonl", [event(2, **{HOSTILE: "1"})])

    with pytest.raises(LoadFailed) as caught:
        load("events", config=cfg)

    assert isinstance(caught.value.__cause__, ValueError)
    assert "Refusing identifier" in caught.value.results[0].message
    assert query(cfg.warehouse_path, catalog) == columns_before
    assert snapshot(cfg.warehouse_path) == before
    # reserved names are refused too: a key can't pose as load metadata
    write_events(data_dir, date(2026, 4, 30), "b.jsonl", [event(2, _source="forged")])
    with pytest.raises(LoadFailed, match="reserved"):
        load("events", config=cfg)
    assert snapshot(cfg.warehouse_path) == before
