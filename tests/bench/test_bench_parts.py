"""The probe, the output parsers, the plan of a run, and the data-folder copy."""

from __future__ import annotations

import os
import sys

import pytest

from bench import sections
from bench.__main__ import _parser, plan
from bench.probe import measure
from bench.workspace import DataFolder, base_env, copy_folder


def test_probe_reports_exit_code_output_and_the_childs_peak_memory():
    allocate = "b = bytearray(150 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096]); print('ok')"
    big = measure([sys.executable, "-c", allocate])
    small = measure([sys.executable, "-c", "import sys; sys.exit(3)"])
    assert big.ok and big.stdout.strip() == "ok" and big.peak_rss_mb >= 150
    assert small.returncode == 3 and not small.ok
    assert small.peak_rss_mb < 100  # its own child only, not the earlier 150 MB one


def test_probe_stops_a_command_at_its_timeout():
    done = measure([sys.executable, "-c", "import time; time.sleep(30)"], timeout=1)
    assert done.returncode == 124 and "timed out" in done.stderr


def test_parse_ingestion_lines():
    stdout = (
        "app.plans              success offered=4 loaded=4 quarantined=0\n"
        "events.events          warn offered=100 loaded=97 quarantined=3  2 file(s) loaded\n"
    )
    loads = sections.parse_loads(stdout)
    assert loads == {
        "app.plans": {"offered": 4, "loaded": 4, "quarantined": 0},
        "events.events": {"offered": 100, "loaded": 97, "quarantined": 3},
    }


def test_parse_latency_and_last_json():
    assert sections.parse_latency("... budget\np50_ms=3.21 p95_ms=18.50\n") == (3.21, 18.5)
    assert sections.parse_latency("server did not start") is None
    assert sections.last_json('log line\n{"a": 1}\n{"b": 2}\n') == {"b": 2}
    with pytest.raises(ValueError):
        sections.last_json("no json here")


def test_plan_orders_setup_then_scales_then_notebooks_and_make_test():
    steps = plan(_parser().parse_args([]))
    assert steps[0] == ("setup", None)
    assert steps[-2:] == [("notebooks", None), ("make_test", None)]
    assert [s for s in steps if s[1] == 45.0][0] == ("generate", 45.0)
    assert steps.index(("daily", 1.0)) < steps.index(("generate", 45.0))


def test_plan_only_and_quick():
    assert plan(_parser().parse_args(["--only", "dbt", "--scale", "1"])) == [("dbt", 1.0)]
    quick = plan(_parser().parse_args(["--quick"]))
    assert {name for name, _ in quick} == set(sections.SECTIONS) - set(sections.SCALE_FREE)
    assert {scale for _, scale in quick} == {0.05}
    assert ("make_test", None) not in plan(_parser().parse_args(["--no-make-test"]))
    with pytest.raises(SystemExit):
        plan(_parser().parse_args(["--only", "nope"]))


def test_runs_per_scale():
    ctx = sections.Context(work=None, repeats=3, heavy_repeats=2)
    assert (ctx.runs(1.0), ctx.runs(1.0, heavy=True), ctx.runs(45.0)) == (3, 2, 1)


def test_copy_folder_links_event_files_and_copies_the_rest(tmp_path):
    source = tmp_path / "a"
    (source / "sources" / "landing").mkdir(parents=True)
    (source / "sources" / "landing" / "x.jsonl").write_text("{}\n")
    (source / "sources" / "app.db").write_text("db")
    copy_folder(source, tmp_path / "b")
    event, db = (
        tmp_path / "b" / "sources" / "landing" / "x.jsonl",
        tmp_path / "b" / "sources" / "app.db",
    )
    assert os.path.samefile(event, source / "sources" / "landing" / "x.jsonl")
    assert not os.path.samefile(db, source / "sources" / "app.db") and db.read_text() == "db"


def test_commands_get_their_own_data_folder_and_no_inherited_pointers(tmp_path, monkeypatch):
    monkeypatch.setenv("DBT_TARGET_PATH", "/elsewhere")
    env = DataFolder(tmp_path).env()
    assert env["SPROUTLY_DATA_DIR"] == str(tmp_path)
    assert env["DBT_TARGET_PATH"] == str(tmp_path / "dbt_target")
    assert "DBT_TARGET_PATH" not in base_env()
    assert base_env()["PYTHONHASHSEED"] == "0"


def test_make_test_summary_takes_only_pytest_totals() -> None:
    stdout = "\n".join(
        [
            "\x1b[32m2026-11-24 06:16:02 +0000\x1b[0m - dagster - INFO - All code locations passed validation.",
            "All checks passed!",
            "391 passed, 10 warnings in 668.30s (0:11:08)",
            "=========== 289 passed in 196.15s (0:03:16) ===========",
        ]
    )
    picked = [
        line.strip("= ") for line in stdout.splitlines() if sections.PYTEST_SUMMARY.match(line)
    ]
    assert picked == [
        "391 passed, 10 warnings in 668.30s (0:11:08)",
        "289 passed in 196.15s (0:03:16)",
    ]


def test_dbt_profile_sums_the_runs_nodes_by_kind(tmp_path):
    import json

    target = tmp_path / "dbt_target" / "dagster"
    target.mkdir(parents=True)
    assert sections.dbt_profile(tmp_path) is None  # no run yet
    nodes = {
        "model.p.fct_events": {"resource_type": "model", "config": {"materialized": "incremental"}},
        "model.p.dim_users": {"resource_type": "model", "config": {"materialized": "table"}},
        "test.p.not_null_x.abc": {"resource_type": "test", "config": {}},
    }
    (target / "manifest.json").write_text(json.dumps({"nodes": nodes}))
    timings = {"model.p.fct_events": 2.0, "model.p.dim_users": 0.5, "test.p.not_null_x.abc": 1.25}
    (target / "run_results.json").write_text(json.dumps({
        "elapsed_time": 6.0,
        "results": [{"unique_id": k, "execution_time": v} for k, v in timings.items()],
    }))  # fmt: skip
    profile = sections.dbt_profile(tmp_path)
    assert profile["kinds"] == {"incremental models": 2.0, "other models": 0.5, "tests": 1.25}
    assert profile["slowest"].startswith("fct_events 2.0 s, abc 1.2 s")
    rows = {f.label: f.value for f in sections.profile_figures({"one new day": (10.0, profile)}, 1)}
    assert rows["one new day: dbt build inside the run"] == 6.0
    assert rows["one new day: rest of the run"] == 4.0
    assert rows["one new day: dbt tests (own execution)"] == 1.25


def test_make_test_profile_reads_the_steps_and_the_junit_files(tmp_path):
    import json

    (tmp_path / "make-test.json").write_text(
        json.dumps({"command": "make test", "seconds": 9, "steps": {"lint": 3, "unit": 6}})
    )
    (tmp_path / "junit-unit.xml").write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase classname="tests.notebooks.test_exercises" name="a" time="4.0"/>'
        '<testcase classname="tests.dbt.test_x" name="b" time="1.5"/>'
        '<testcase classname="notebooks.05_orchestration.ipynb" name="Cell 1" time="2.0"/>'
        "</testsuite></testsuites>"
    )
    rows = {f.label: (f.value, f.note) for f in sections.make_test_profile(tmp_path)}
    assert rows["make test step: lint"][0] == 3.0 and rows["make test step: unit"][0] == 6.0
    assert rows["worker-seconds: exercise proofs (unsolved fail, no answer leaks)"][0] == 4.0
    assert rows["worker-seconds: tests: dbt"] == (1.5, "1 tests; slowest 2 s")
    assert rows["worker-seconds: chapters under nbval"][0] == 2.0
