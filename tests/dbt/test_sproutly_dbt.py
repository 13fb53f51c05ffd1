"""`sproutly.dbt`, the one way Python calls dbt: arguments, artefacts, and clear start-up errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from dbt_helpers import Project

from sproutly import dbt as sproutly_dbt
from sproutly.dbt import DbtStartError, build_args, node_statuses
from sproutly.env import temporarily


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


def test_build_args_leave_now_to_the_clock_file_on_duckdb(monkeypatch: pytest.MonkeyPatch) -> None:
    """On DuckDB the project's queries read <data>/clock.json themselves: no var, so a new
    simulated day does not invalidate dbt's partial parse. Snowflake cannot read the file."""
    monkeypatch.delenv("SPROUTLY_NOW", raising=False)
    monkeypatch.setattr(sproutly_dbt, "_now_var", lambda: "2026-05-01 00:00:00")
    for target in (None, "dev", "prod"):
        assert "--vars" not in build_args("build", target=target)
    args = build_args("build", target="snowflake_emulated")
    assert json.loads(args[args.index("--vars") + 1]) == {"sproutly_now": "2026-05-01 00:00:00"}


def test_build_args_without_a_clock(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.delenv("SPROUTLY_NOW", raising=False)
    monkeypatch.setenv("SPROUTLY_DATA_DIR", str(tmp_path))  # no clock.json there
    assert "--vars" not in build_args("build", quiet=False)
    assert "--quiet" not in build_args("build", quiet=False)


def test_node_statuses() -> None:
    results = {"results": [{"unique_id": "model.a", "status": "success"}]}
    assert node_statuses(results) == {"model.a": "success"}


RESULTS = {
    "results": [
        {"unique_id": "model.a", "status": "success", "message": "OK"},
        {"unique_id": "test.b", "status": "fail", "message": " Got 3 results \n"},
        {"unique_id": "test.c", "status": "warn", "message": "Got 1 result"},
        {"unique_id": "model.d", "status": "error", "message": "Binder Error"},
        {"unique_id": "model.e", "status": "skipped", "message": None},
        {"unique_id": "test.f", "status": "pass", "message": None},
        {"unique_id": "source.g", "status": "runtime error", "message": "no table"},
    ]
}


def test_one_definition_of_a_failed_node() -> None:
    """Failed = error, fail or runtime error (warn never blocks); skipped only when asked; in
    dbt's order. Messages come with the same filter; "unsuccessful" is anything but success/pass."""
    statuses = node_statuses(RESULTS)
    assert sproutly_dbt.failed_nodes(statuses) == {
        "test.b": "fail",
        "model.d": "error",
        "source.g": "runtime error",
    }
    assert list(sproutly_dbt.failed_nodes(statuses, skipped=True)) == [
        "test.b",
        "model.d",
        "model.e",
        "source.g",
    ]
    assert sproutly_dbt.failure_messages(RESULTS) == {
        "test.b": "Got 3 results",
        "model.d": "Binder Error",
        "source.g": "no table",
    }
    assert sproutly_dbt.failure_messages(RESULTS, skipped=True)["model.e"] == ""
    assert list(sproutly_dbt.unsuccessful_nodes(statuses)) == [
        "test.b",
        "test.c",
        "model.d",
        "model.e",
        "source.g",
    ]


def _source(identifier: str, warn: dict | None, error: dict | None) -> dict:
    return {"identifier": identifier, "freshness": {"warn_after": warn, "error_after": error}}


def test_freshness_thresholds_from_the_manifest() -> None:
    hours, day, unset = {"count": 12, "period": "hour"}, {"count": 2, "period": "day"}, None
    manifest = {
        "sources": {
            "source.sproutly.events.events": _source("events", hours, day),
            "source.sproutly.app.users": _source(
                "app_users", None, {"count": 30, "period": "minute"}
            ),
            "source.sproutly.app.plans": _source(
                "app_plans", {"count": None, "period": None}, unset
            ),
        }
    }
    assert sproutly_dbt.source_freshness_thresholds(manifest) == {
        "app_users": {"error_hours": 0.5},
        "events": {"warn_hours": 12.0, "error_hours": 48.0},
    }
    assert sproutly_dbt.freshness_sources(manifest) == {
        "source.sproutly.app.users": "app_users",
        "source.sproutly.events.events": "events",
    }
    assert sproutly_dbt.threshold_hours(hours) == 12 and sproutly_dbt.threshold_hours(unset) is None


def test_artefacts_are_read_from_a_target_folder_or_the_file(tmp_path) -> None:
    node = {"resource_type": "model", "schema": "marts", "name": "fct_x", "alias": "fct_x"}
    manifest = {
        "nodes": {
            "model.sproutly.fct_x": {**node, "fqn": ["sproutly", "marts", "fct_x"]},
            "model.sproutly.stg_y": {**node, "name": "stg_y", "fqn": ["sproutly", "staging", "y"]},
        }
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    (tmp_path / "sources.json").write_text(json.dumps(RESULTS))
    assert sproutly_dbt.manifest(tmp_path) == sproutly_dbt.manifest(tmp_path / "manifest.json")
    assert sproutly_dbt.mart_models(sproutly_dbt.manifest(tmp_path)) == [("marts", "fct_x")]
    assert node_statuses(sproutly_dbt.freshness_results(tmp_path))["test.b"] == "fail"
    with pytest.raises(FileNotFoundError):
        sproutly_dbt.run_results(tmp_path)


def test_exposures_are_not_results(tmp_path) -> None:
    """dbt 1.11 reports each exposure as a ``no-op`` result of a build: it ran nothing, so it is
    neither a success nor a failure of the build (a clean build has no unsuccessful node)."""
    rows = [
        {"unique_id": "model.sproutly.metrics_daily", "status": "success"},
        {"unique_id": "exposure.sproutly.serving_api", "status": "no-op"},
    ]
    (tmp_path / "run_results.json").write_text(json.dumps({"results": rows}))
    statuses = node_statuses(sproutly_dbt.run_results(tmp_path))
    assert statuses == {"model.sproutly.metrics_daily": "success"}
    assert sproutly_dbt.unsuccessful_nodes(statuses) == {}


def test_temporarily_sets_unsets_and_restores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPROUTLY_TEST_KEPT", "before")
    monkeypatch.delenv("SPROUTLY_TEST_NEW", raising=False)
    with (
        pytest.raises(RuntimeError),
        temporarily({"SPROUTLY_TEST_KEPT": None, "SPROUTLY_TEST_NEW": "set"}),
    ):
        assert "SPROUTLY_TEST_KEPT" not in os.environ
        assert os.environ["SPROUTLY_TEST_NEW"] == "set"
        raise RuntimeError("restored even so")
    assert os.environ["SPROUTLY_TEST_KEPT"] == "before"
    assert "SPROUTLY_TEST_NEW" not in os.environ


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


def test_a_plain_dbt_cli_reads_the_simulated_clock_and_keeps_its_partial_parse(tmp_path) -> None:
    """`dbt` typed in a terminal (or a notebook's `!dbt`) with only the three variables
    `checkpoint` exports sees the simulated now, not the wall clock; a new simulated day changes
    no var, so the next invocation reuses dbt's partial parse instead of re-parsing everything."""
    from sproutly import clock, paths

    data = tmp_path / "data"
    (data / "warehouse").mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k not in {"SPROUTLY_NOW", "SPROUTLY_TARGET"}}
    env |= {
        "SPROUTLY_DATA_DIR": str(data),
        "DBT_PROJECT_DIR": str(paths.DBT_PROJECT_DIR),
        "DBT_PROFILES_DIR": str(paths.DBT_PROJECT_DIR),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    }
    dbt_cli = [str(Path(sys.executable).with_name("dbt")), "--no-use-colors"]
    shown = []
    for day in ("2026-05-01 00:00:00", "2026-05-02 00:00:00"):
        clock.write_clock_file(clock.parse_utc(day), data / "clock.json")
        done = subprocess.run(
            [
                *dbt_cli,
                "--log-format",
                "json",
                "show",
                "--inline",
                "select {{ sproutly_now() }} as now",
                "--output",
                "json",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        shown.append(done.stdout)
    assert "2026-05-01" in shown[0] and "2026-05-02" in shown[1]
    # The second day: dbt reused its partial parse (a var change would have forced a full parse).
    assert "Unable to do partial parsing" not in shown[1], shown[1][-2000:]


def test_profile_secrets_reach_dbt_only_under_masked_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """dbt masks the values of DBT_ENV_SECRET_* variables in its logs: every secret the profile
    reads must use such a name, and sproutly.dbt hands it over from the settings."""
    import re

    profile = (sproutly_dbt.PROJECT_DIR / "profiles.yml").read_text()
    read = set(re.findall(r"env_var\('([A-Z0-9_]+)'", profile))
    secret_like = {n for n in read if re.search("PASSPHRASE|PASSWORD|TOKEN|SECRET|KEY$", n)}
    assert secret_like and all(n.startswith("DBT_ENV_SECRET_") for n in secret_like), secret_like
    monkeypatch.setenv("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE", "marker-passphrase")
    assert sproutly_dbt.secret_env() == {
        "DBT_ENV_SECRET_SNOWFLAKE_PRIVATE_KEY_PASSPHRASE": "marker-passphrase"
    }
    monkeypatch.delenv("SNOWFLAKE_PRIVATE_KEY_PASSPHRASE")
    assert sproutly_dbt.secret_env() == {}


def test_profile_checksum_is_the_one_dbt_computes(tmp_path: Path) -> None:
    """rehome_partial_parse swaps checksums it computes itself: they must be dbt's, byte for byte
    (fails when a dbt or dbt-duckdb upgrade changes the connection keys)."""
    import pprint

    from dbt.config.profile import Profile, read_profile
    from dbt.config.renderer import ProfileRenderer
    from dbt.contracts.files import FileHash
    from dbt_common.context import set_invocation_context

    for target in sorted(sproutly_dbt.DUCKDB_TARGETS):
        with temporarily({"SPROUTLY_DATA_DIR": str(tmp_path), "SPROUTLY_TARGET": target}):
            set_invocation_context(os.environ)
            raw = read_profile(str(sproutly_dbt.PROJECT_DIR))["sproutly"]
            name, data = Profile.render_profile(raw, "sproutly", None, ProfileRenderer({}))
            credentials = Profile._credentials_from_profile(data, "sproutly", name)
        expected = FileHash.from_contents(pprint.pformat(sorted(credentials.connection_info())))
        assert sproutly_dbt._profile_checksum(str(tmp_path), target) == expected.checksum


def test_partial_parsing_survives_a_copied_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A checkpoint copies a data folder (dbt_target included) to another path: without
    rehome_partial_parse dbt parses the whole project again there; with it, nothing."""
    origin = tmp_path / "origin"

    def parse_in(data: Path) -> str:
        monkeypatch.setenv("SPROUTLY_DATA_DIR", str(data))
        monkeypatch.setenv("DBT_TARGET_PATH", str(data / "dbt_target"))
        monkeypatch.setenv("DBT_LOG_PATH", str(data / "dbt_logs"))
        monkeypatch.delenv("SPROUTLY_NOW", raising=False)
        monkeypatch.delenv("SPROUTLY_TARGET", raising=False)
        assert sproutly_dbt.dbt("parse").success
        return (data / "dbt_logs" / "dbt.log").read_text()

    parse_in(origin)
    for name, rehome in (("moved", False), ("rehomed", True)):
        copy = tmp_path / name
        (copy / "warehouse").mkdir(parents=True)
        shutil.copytree(origin / "dbt_target", copy / "dbt_target")
        if rehome:
            changed = sproutly_dbt.rehome_partial_parse(copy, str(origin))
            assert changed == [copy / "dbt_target" / sproutly_dbt.PARTIAL_PARSE_FILE]
        log = parse_in(copy)
        assert ("profile has changed" in log) is not rehome, name
        assert ("no changes found" in log) is rehome, name
