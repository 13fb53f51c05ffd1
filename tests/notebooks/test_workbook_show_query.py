"""``show`` finds the project's real files; ``query`` is read-only, short-lived and explains locks."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from workbook import WarehouseLocked, paths, query, row_counts, show


def test_show_sql_finds_the_model_file() -> None:
    shown = show.sql("stg_app__users")
    assert shown.path == "dbt_project/models/staging/app/stg_app__users.sql"
    assert shown.text == (paths.REPO_ROOT / shown.path).read_text().rstrip("\n")
    assert shown._repr_markdown_().startswith(f"`{shown.path}`\n\n```sql\n")


def test_show_suggests_close_names() -> None:
    with pytest.raises(FileNotFoundError, match="Did you mean stg_app__users"):
        show.sql("stg_app_users")


def test_show_yaml_by_model_and_by_file() -> None:
    assert show.yaml("stg_app__users").path.endswith("staging/app/_app__models.yml")
    assert show.yaml("dbt_project").path == "dbt_project/dbt_project.yml"


def test_show_file_lines_and_python() -> None:
    assert show.file("docs/contracts.md", lines=(1, 1)).text == "# Contracts between the rooms"
    shown = show.python("sproutly.dbt:node_statuses")
    assert shown.path == "sproutly/dbt.py"
    assert shown.text.startswith("def node_statuses(")
    assert show.python(show).path == "workbook/show.py"


def test_query_duckdb_is_read_only_and_closed(data_dir: Path) -> None:
    warehouse = paths.warehouse_path()
    paths.ensure(warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create table t as select * from range(3) r(i)")
    df = query("select i from t where i >= ? order by i", [1])
    assert df["i"].tolist() == [1, 2]
    with pytest.raises(duckdb.Error, match="read-only"):
        query("insert into t values (9)")
    with duckdb.connect(str(warehouse)) as con:  # a writer can open it right after: not held
        assert con.execute("select count(*) from t").fetchall() == [(3,)]


def test_row_counts(data_dir: Path) -> None:
    warehouse = paths.warehouse_path()
    paths.ensure(warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema raw")
        con.execute("create table raw.b as select * from range(3)")
        con.execute("create table raw.a as select * from range(5)")
        con.execute("create view raw.v as select 1")
    counts = row_counts("raw")
    assert counts.to_dict("list") == {"table_name": ["a", "b"], "row_count": [5, 3]}
    with pytest.raises(ValueError, match="not a schema name"):
        row_counts('raw"; drop table raw.a; --')


def test_query_missing_warehouse_says_what_to_do(data_dir: Path) -> None:
    with pytest.raises(FileNotFoundError, match="checkpoint\\('02'\\)"):
        query("select 1")


def test_query_app_sqlite_and_memory(data_dir: Path) -> None:
    paths.ensure(paths.app_db_path())
    with sqlite3.connect(paths.app_db_path()) as con:
        con.execute("create table users (user_id integer, country_code text)")
        con.execute("insert into users values (1, 'DE'), (2, 'FR')")
    df = query("select user_id from users where country_code = ?", ["DE"], database="app")
    assert df["user_id"].tolist() == [1]
    assert query("select 42 as x", database="memory")["x"].tolist() == [42]
    with pytest.raises(ValueError, match="database must be one of"):
        query("select 1", database="nope")


def test_query_names_the_lock_holder(data_dir: Path) -> None:
    warehouse = paths.warehouse_path()
    paths.ensure(warehouse)
    duckdb.connect(str(warehouse)).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
                import duckdb, sys, time
                con = duckdb.connect({str(warehouse)!r})
                print("held", flush=True)
                sys.stdin.read()
            """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(WarehouseLocked, match=f"locked by process {holder.pid}"):
            query("select 1")
    finally:
        holder.communicate("")


def test_show_python_unwraps_a_dagster_asset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dg = pytest.importorskip("dagster")
    module = tmp_path / "learner_assets.py"
    module.write_text(
        textwrap.dedent('''
            import dagster as dg


            @dg.asset
            def plants_per_user() -> int:
                """A tiny asset."""
                return 3
        ''')
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import learner_assets

    assert isinstance(learner_assets.plants_per_user, dg.AssetsDefinition)
    shown = show.python(learner_assets.plants_per_user)
    assert shown.text.startswith("@dg.asset\ndef plants_per_user() -> int:")
    assert shown.path == "learner_assets.py"
