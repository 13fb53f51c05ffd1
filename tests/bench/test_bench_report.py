"""The table, markdown and JSON writers."""

from __future__ import annotations

import json

from bench import report
from bench.figures import LARGE_SCALE, Figure

FIGURES = [
    Figure("setup", "setup.cold_s", "fresh clone, cold cache", 41.26, "s", runs=3, note="a|b"),
    Figure("dbt", "dbt.ratio_build_to_replay", "dbt / replay", 1.234, "x", scale=LARGE_SCALE),
    Figure("ingest", "ingest.rows_per_s", "rows/s: events", 123456.7, "rows/s", scale=1.0),
    Figure.failed("serving", "serving.p95_ms", "p95", "ms", "server did not start", scale=1.0),
]


def test_values_are_formatted_with_their_units():
    assert report.format_value(41.26, "s") == "41.3 s"
    assert report.format_value(1.234, "x") == "1.23x"
    assert report.format_value(123456.7, "rows/s") == "123,457 rows/s"
    assert report.format_value(3.456, "ms") == "3.46 ms"
    assert report.format_value(None, "s") == "—"


def test_rows_put_each_value_beside_its_target_and_verdict():
    cells = report.rows(FIGURES)
    assert cells[0][3:6] == ("41.3 s", "<= 30 s", "miss")
    assert cells[1][2:6] == ("45", "1.23x", "<= 1.5x", "pass")
    assert cells[2][4:6] == ("—", "info")
    assert cells[3][3:6] == ("—", "<= 20 ms", "error")


def test_text_table_has_a_header_a_rule_and_one_line_per_figure():
    lines = report.text_table(FIGURES).splitlines()
    assert lines[0].split()[:3] == ["section", "figure", "scale"]
    assert set(lines[1]) == {"-"}
    assert len(lines) == 2 + len(FIGURES)
    # columns line up: every row's value column starts where the header's does
    start = lines[0].index("value")
    assert lines[2][start:].startswith("41.3 s")


def test_markdown_is_one_table_with_escaped_pipes_and_a_tally():
    text = report.markdown(FIGURES, {"commit": "abc1234"})
    table = [line for line in text.splitlines() if line.startswith("|")]
    assert len(table) == 2 + len(FIGURES)
    assert all(line.count(" | ") == len(report.COLUMNS) - 1 for line in table[2:])
    assert "a\\|b" in text
    assert "- commit: abc1234" in text
    assert "Result: 1 pass, 1 miss, 1 info, 1 error" in text


def test_json_round_trips_and_carries_the_verdicts(tmp_path):
    report.write(FIGURES, tmp_path, {"commit": "abc1234"})
    document = json.loads((tmp_path / "results.json").read_text())
    assert document["summary"] == {"pass": 1, "miss": 1, "info": 1, "error": 1}
    assert [row["verdict"] for row in document["figures"]] == ["miss", "pass", "info", "error"]
    assert document["figures"][0]["target"] == "<= 30 s"
    assert report.load(tmp_path / "results.json") == FIGURES
    assert (tmp_path / "results.md").read_text().startswith("# `make bench` results")


def test_merge_keeps_order_and_lets_a_later_run_replace_a_figure(tmp_path):
    from bench.merge import main as merge_main

    first, second = tmp_path / "first", tmp_path / "second"
    report.write(FIGURES[:2], first, {"command": "python -m bench", "date (UTC)": "d1"})
    again = Figure("setup", "setup.cold_s", "fresh clone, cold cache", 25.0, "s", runs=3)
    notebook = Figure("notebooks", "notebooks.chapter_s", "chapter 00", 12.0, "s", scale=1.0)
    report.write([again, notebook], second, {"command": "python -m bench --only x"})
    assert merge_main([str(first / "results.json"), str(second / "results.json"),
                       "--out", str(tmp_path / "merged")]) == 0  # fmt: skip
    merged = report.load(tmp_path / "merged" / "results.json")
    assert merged == [again, FIGURES[1], notebook]
    text = (tmp_path / "merged" / "results.md").read_text()
    assert "- invocation 2: python -m bench --only x" in text
    assert "- command: python -m bench" in text
