"""One small section end to end: generate, then ingest, at a tiny scale (no timing asserted)."""

from __future__ import annotations

import duckdb

from bench import report, sections


def test_generate_and_ingest_at_a_tiny_scale(tmp_path):
    ctx = sections.Context(work=tmp_path, repeats=1)
    figures = sections.generate(ctx, 0.01) + sections.ingest(ctx, 0.01)
    by_label = {f.label: f for f in figures}
    assert all(f.verdict != "error" for f in figures), report.text_table(figures)
    events = by_label["events generated"].value
    assert events and events > 0
    for source in ("app", "billing", "events"):
        rate = by_label[f"ingestion rows/s: {source}"]
        assert rate.value > 0 and rate.runs == 1
        assert by_label[f"ingestion peak RSS: {source}"].value > 10  # a Python process, in MB
    assert by_label["ingestion rows/s: events"].note.startswith(f"{int(events):,} rows")
    # the raw-only template holds every generated event, for the dbt section
    raw_only = ctx.workspace(0.01).raw_only
    with duckdb.connect(str(raw_only), read_only=True) as con:
        assert con.execute("select count(*) from raw.events").fetchall()[0][0] == events
