"""The file sensor: new drops request their partition once; nothing new means a skip."""

import dagster as dg

from orchestration.defs.sensors import new_event_files


def drop(data_dir, day: str, name: str) -> None:
    folder = data_dir / "sources" / "landing" / "events" / f"date={day}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text('{"event_id": "x"}\n')


def evaluate(cursor=None):
    context = dg.build_sensor_context(cursor=cursor)
    return new_event_files(context), context


def test_new_files_request_their_partitions_then_skip(data_dir):
    result, _ = evaluate()
    assert isinstance(result, dg.SkipReason)

    drop(data_dir, "2026-01-01", "events-000.jsonl")
    drop(data_dir, "2026-01-02", "events-000.jsonl")
    result, _ = evaluate()
    assert [r.partition_key for r in result.run_requests] == ["2026-01-01", "2026-01-02"]

    cursor = result.cursor
    again, _ = evaluate(cursor)
    assert isinstance(again, dg.SkipReason), "the same files must not start a second run"

    drop(data_dir, "2026-01-01", "events-001.jsonl")  # a late file in an old partition
    late, _ = evaluate(cursor)
    assert [r.partition_key for r in late.run_requests] == ["2026-01-01"]
    assert late.run_requests[0].run_key != result.run_requests[0].run_key


def test_only_what_the_loader_loads_becomes_a_partition(data_dir):
    """The sensor lists drops with the loader's own rule: a folder whose date is not a date, or a
    file that is not *.jsonl, is the loader's "unrecognised" report, not a run request."""
    drop(data_dir, "2026-01-01", "events-000.jsonl")
    drop(data_dir, "2026-13-45", "events-000.jsonl")
    drop(data_dir, "2026-01-02", "events-000.csv")
    result, _ = evaluate()
    assert [r.partition_key for r in result.run_requests] == ["2026-01-01"]
