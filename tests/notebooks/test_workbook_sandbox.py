"""Sandboxes: a learner's model is written and built in a private copy, and checks judge it."""

from __future__ import annotations

import os
import re
from pathlib import Path

import duckdb
import pytest

from workbook import checks, paths, sandbox

MODEL = "stg_app__plans"


NOW = "2026-03-01 00:00:00"

RAW_PLANS = """
create schema raw;
create table raw.app_plans (
    plan_id varchar, plan_name varchar, tier varchar, billing_interval varchar,
    price_cents bigint, currency varchar, is_active boolean, created_at timestamp,
    updated_at timestamp, _load_id varchar, _loaded_at timestamp, _source varchar);
insert into raw.app_plans
select plan_id, plan_id, split_part(plan_id, '_', 1),
       case when plan_id like '%annual' then 'year' else 'month' end,
       price_cents, 'USD', true, timestamp '2026-01-01', timestamp '2026-01-01',
       'app_plans-1', timestamp '2026-02-28 23:00:00', 'app.db:plans'
from (values ('basic_monthly', 499), ('basic_annual', 4790), ('pro_monthly', 1099),
             ('pro_annual', 9590)) plans(plan_id, price_cents);
"""


def _create_raw_plans(warehouse: Path) -> None:
    """Only what ``stg_app__plans`` reads: ``raw.app_plans`` per docs/contracts.md §2."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(RAW_PLANS)


def test_sandbox_files_are_private(data_dir: Path) -> None:
    sb = sandbox("01_files", todo=[MODEL])
    assert sb.project_dir == data_dir / "sandboxes" / "01_files" / "dbt_project"
    assert "TODO" in sb.path(MODEL).read_text()
    assert (
        "TODO"
        not in (paths.DBT_PROJECT_DIR / sb.path(MODEL).relative_to(sb.project_dir)).read_text()
    )
    assert not (sb.project_dir / "target").exists()
    written = sb.write_model("stg_app__extra", "select 1 as x", folder="staging/app")
    assert written == sb.project_dir / "models" / "staging" / "app" / "stg_app__extra.sql"
    with pytest.raises(FileNotFoundError, match="say where it goes"):
        sb.write_model("brand_new", "select 1")
    with pytest.raises(ValueError, match="outside the sandbox"):
        sb.write_file("../escape.sql", "select 1")
    assert (
        sandbox("01_files").path(MODEL).read_text()
        == (paths.DBT_PROJECT_DIR / "models" / "staging" / "app" / f"{MODEL}.sql").read_text()
    )  # fresh=True starts over from the real project


@pytest.mark.slow  # executes notebooks / dbt: ~20 s each on 2 busy cores
def test_check_fails_unsolved_and_passes_solved(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SPROUTLY_NOW", NOW)
    _create_raw_plans(paths.warehouse_path())
    sb = sandbox("03_staging", todo=[MODEL])
    with pytest.raises(AssertionError) as failure:
        checks.model_builds(sb, MODEL)
    # the model errors; its own tests are skipped (how many is the dbt project's business)
    assert re.search(
        rf"building '{MODEL}' failed \(1 error\(s\), [1-9]\d* node\(s\) skipped\)",
        str(failure.value),
    )
    assert "TODO: stg_app__plans is yours to write" in str(failure.value)
    reference = (paths.DBT_PROJECT_DIR / "models" / "staging" / "app" / f"{MODEL}.sql").read_text()
    sb.write_model(MODEL, reference)
    checks.model_builds(sb, MODEL)
    plans = sb.query(f"select plan_id, price_amount from staging.{MODEL} order by plan_id")
    assert plans["plan_id"].tolist() == [
        "basic_annual",
        "basic_monthly",
        "pro_annual",
        "pro_monthly",
    ]
    broken = reference.replace(
        "{{ cents_to_amount('price_cents') }}", "cast(price_cents / 10.0 as decimal(18, 2))"
    )
    sb.write_model(MODEL, broken)
    sb.dbt("run", "--select", MODEL)
    mine = sb.query(f"select plan_id, price_amount from staging.{MODEL}")
    with pytest.raises(AssertionError, match="column 'price_amount' is wrong in 4 of 4 rows"):
        checks.same_rows(mine, plans, key="plan_id")
    assert capfd.readouterr().out == ""  # silent: nothing time-stamped reaches a notebook


def test_an_exercise_sandbox_removes_the_answer_and_becomes_the_working_folder(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse = paths.warehouse_path()
    _create_raw_plans(warehouse)
    with duckdb.connect(str(warehouse)) as con:  # as if staging had been built
        con.execute(f"create schema staging; create view staging.{MODEL} as select 1 as x")
    answer = f"models/staging/app/{MODEL}.sql"
    monkeypatch.chdir(paths.REPO_ROOT / "tests")
    course = {name: os.environ.get(name) for name in ("SPROUTLY_DATA_DIR", "DBT_TARGET_PATH")}
    sb = sandbox(
        "ex02-1",
        remove=[answer],
        copy=["ingestion"],
        write=[answer],
        command=f"dbt build --select {MODEL}",
    )
    assert capsys.readouterr().out == (
        "Sandbox ex02-1: your working folder is <data>/sandboxes/ex02-1\n"
        f"  write: <data>/sandboxes/ex02-1/dbt_project/{answer}\n"
        f"  run:   !dbt build --select {MODEL}\n"
    )
    reference = (paths.DBT_PROJECT_DIR / answer).read_bytes()
    inside = [p for p in sb.root.rglob("*") if p.is_file() and p.read_bytes() == reference]
    assert inside == []  # the answer is nowhere in the sandbox
    assert (
        sb.query(
            "select count(*) as n from information_schema.tables where table_name = ?", [MODEL]
        )["n"][0]
        == 0
    )
    assert sb.reference(f"select x from staging.{MODEL}")["x"].tolist() == [1]  # the course's
    assert Path.cwd() == sb.root.resolve()
    assert sb.file(answer) == Path("dbt_project") / answer
    assert sb.file("ingestion/cursor.py") == Path("ingestion/cursor.py")
    assert os.environ["DBT_PROJECT_DIR"] == str(sb.project_dir.resolve())
    assert os.environ["SPROUTLY_DATA_DIR"] == str(sb.data_dir.resolve())
    assert os.environ["DBT_TARGET_PATH"] == str((sb.project_dir / "target").resolve())
    assert os.environ["PYTHONPATH"] == str(sb.root.resolve())  # its ingestion/ comes first
    second = sandbox("ex02-2", write=["models/x.sql"])  # never nested in the first
    assert second.root == data_dir / "sandboxes" / "ex02-2"
    second.leave()
    assert Path.cwd() == paths.REPO_ROOT / "tests"
    assert {name: os.environ.get(name) for name in course} == course
    assert "PYTHONPATH" not in os.environ or os.environ["PYTHONPATH"] != str(sb.root.resolve())
    with pytest.raises(FileNotFoundError, match="nothing to remove"):
        sandbox("ex02-3", remove=["models/nope.sql"])


@pytest.mark.slow  # two real dg processes (~40 s)
def test_a_dagster_sandbox_is_a_dg_project_with_its_own_instance(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Exercises 05/06 run ``!dg scaffold`` and ``!dg check defs`` in the sandbox: it must be a dg
    project root, and dg must find a DAGSTER_HOME whose dagster.yaml turns telemetry off (without
    one, dg writes usage logs and a telemetry id under ~/.dagster)."""
    import subprocess
    import tomllib

    from workbook.ch05_orchestration import exercises

    monkeypatch.chdir(paths.REPO_ROOT / "tests")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    sb = exercises.orchestration_sandbox("ex05-1", exercises.SCHEDULE_PATH)
    home = Path(os.environ["DAGSTER_HOME"])
    assert home == sb.data_dir.resolve() / "dagster_home"
    assert "enabled: false" in (home / "dagster.yaml").read_text()
    dg_table = tomllib.loads((sb.root / "pyproject.toml").read_text())["tool"]["dg"]
    assert dg_table["project"]["defs_module"] == "orchestration.defs"
    assert sb.commands == (exercises.SCAFFOLD, "dg check defs")
    scaffold = subprocess.run(exercises.SCAFFOLD.split(), capture_output=True, text=True)
    assert scaffold.returncode == 0, scaffold.stderr[-2000:]
    assert "def morning_schedule(" in (sb.root / exercises.SCHEDULE_PATH).read_text()
    check = subprocess.run(["dg", "check", "defs"], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr[-2000:]
    assert "All definitions loaded successfully." in check.stdout
    assert not (tmp_path / "home" / ".dagster").exists()  # no telemetry id, no usage log
    sb.leave()
    assert "DAGSTER_HOME" not in os.environ
