"""`sproutly.dbt`, the one way Python calls dbt: arguments, artefacts, and clear start-up errors."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import duckdb
import pytest
from dbt_helpers import Project

from sproutly import dbt as sproutly_dbt
from sproutly.dbt import DbtStartError, build_args, node_statuses


def test_build_args_pass_the_simulated_now_and_project(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPROUTLY_NOW", "2026-05-01T00:00:00Z")
    args = build_args("build", "--select", "staging", target="prod", vars={"x": 1})
    assert args[:4] == ["--no-use-colors", "--no-send-anonymous-usage-stats", "--quiet", "build"]
    assert args[args.index("--project-dir") + 1] == str(sproutly_dbt.PROJECT_DIR)
    assert json.loads(args[args.index("--vars") + 1]) == {
        "sproutly_now": "2026-05-01 00:00:00",
        "x": 1,
    }
    assert args[args.index("--target") + 1] == "prod"


def test_build_args_without_a_clock(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.delenv("SPROUTLY_NOW", raising=False)
    monkeypatch.setenv("SPROUTLY_DATA_DIR", str(tmp_path))  # no clock.json there
    assert "--vars" not in build_args("build", quiet=False)
    assert "--quiet" not in build_args("build", quiet=False)


def test_node_statuses() -> None:
    results = {"results": [{"unique_id": "model.a", "status": "success"}]}
    assert node_statuses(results) == {"model.a": "success"}


def test_lock_held_by_another_process_raises_clear_error(project: Project) -> None:
    """faults.md row 17 from dbt's side: another process holds the warehouse file."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('held', flush=True);"
            " time.sleep(60)",
            str(project.warehouse),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(DbtStartError) as raised:
            project.dbt("run", "--select", "stg_app__plans")
        message = str(raised.value)
        assert "lock" in message.lower() and str(holder.pid) in message
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.1)
    assert project.dbt("run", "--select", "stg_app__plans").success  # lock released: runs again


@pytest.mark.parametrize("outcome", ["success", "failing node"])
def test_the_file_is_released_when_dbt_returns(project: Project, outcome: str) -> None:
    """dbt keeps the warehouse open for the whole invocation (keep_open: true), and releases it
    when the call returns, failed or not: another process can open the file read-write and sees
    what the call built (a handle kept across calls would lock the file, or -- once a test has
    replaced the file -- keep writing to the old one)."""
    project.sql("drop view staging.stg_app__plans")
    if outcome == "failing node":
        project.sql("alter table raw.app_plans drop column tier")
    result = project.dbt("run", "--select", "stg_app__plans")
    assert result.success is (outcome == "success")
    query = "select count(*) from staging.stg_app__plans" if result.success else "select 1"
    opened = subprocess.run(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; con = duckdb.connect(sys.argv[1]); con.sql(sys.argv[2]).fetchall()",
            str(project.warehouse),
            query,
        ],
        capture_output=True,
        text=True,
    )
    assert opened.returncode == 0, opened.stderr
    # and in this process (a notebook's read-only connection after a dbt call)
    with duckdb.connect(str(project.warehouse), read_only=True) as con:
        assert con.sql(query).fetchall()


def test_docs_generate(project: Project) -> None:
    assert project.dbt("docs", "generate").success
    catalog = json.loads((sproutly_dbt.target_dir() / "catalog.json").read_text())
    assert "model.sproutly.metrics_daily" in catalog["nodes"]
    assert "source.sproutly.events.events" in catalog["sources"]


def test_main_exit_codes(project: Project) -> None:
    """`python -m sproutly.dbt ...` (what a Makefile calls): 0 on success, 1 on a failing node."""
    assert sproutly_dbt.main(["run", "--select", "stg_app__plans"]) == 0
    project.sql("alter table raw.app_plans drop column tier")
    assert sproutly_dbt.main(["run", "--select", "stg_app__plans"]) == 1
    assert sproutly_dbt.main([]) == 2
