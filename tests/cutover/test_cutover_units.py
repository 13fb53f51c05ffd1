"""Pure helpers of the cutover: parity fingerprints, Snowflake types, the dbt timeout."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import random
import sys
import types

import pyarrow as pa
import pytest

from cutover import run
from cutover.parity import NULL, canonical, compare, declared_decimals, fingerprint, mart_decimals
from ingestion.snowflake import ident, snowflake_type


def test_canonical_values():
    assert canonical(None) == NULL
    assert canonical(True) == "true"
    assert canonical(3) == canonical(decimal.Decimal("3.0000")) == canonical(3.0)
    assert canonical(-0.0) == canonical(0) == "0.000000"
    assert canonical(decimal.Decimal("1.23456789")) == "1.234568"
    utc_noon = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    berlin = dt.timezone(dt.timedelta(hours=1))
    assert canonical(dt.datetime(2026, 3, 1, 13, 0, tzinfo=berlin)) == canonical(utc_noon)
    assert canonical(utc_noon) == canonical(dt.datetime(2026, 3, 1, 12, 0))
    assert canonical(dt.date(2026, 3, 1)) == "2026-03-01"
    assert canonical("\\N") == NULL  # documented: real text never takes the marker ...
    assert canonical("") != NULL  # ... but the empty string is not NULL


def test_fingerprint_ignores_row_and_column_order_but_not_values():
    rows = [
        {"id": i, "amount": decimal.Decimal(i) / 4, "at": dt.datetime(2026, 1, i + 1)}
        for i in range(20)
    ]
    table = pa.Table.from_pylist(rows)
    shuffled = rows[:]
    random.Random(7).shuffle(shuffled)
    reordered = pa.Table.from_pylist(shuffled).select(["at", "id", "amount"])
    assert fingerprint(table) == fingerprint(reordered)
    changed = [dict(r) for r in rows]
    changed[5]["amount"] = decimal.Decimal("99")
    assert fingerprint(pa.Table.from_pylist(changed)) != fingerprint(table)
    assert fingerprint(pa.Table.from_pylist(rows[:-1]))[0] == 19


def test_compare_flags_missing_columns():
    left = {"m": pa.table({"a": [1], "b": [2]})}
    right = {"m": pa.table({"a": [1]})}
    report = compare(left, right)
    assert not report.loc[0, "columns_match"] and not report.loc[0, "equal"]


def test_type_mapping_and_identifiers():
    assert snowflake_type("TIMESTAMP") == "TIMESTAMP_NTZ"
    assert snowflake_type("json") == "VARIANT"
    assert snowflake_type("BIGINT") == "NUMBER(38, 0)"
    assert snowflake_type("DECIMAL(18,4)") == "NUMBER(18, 4)"
    with pytest.raises(ValueError, match="No Snowflake type"):
        snowflake_type("HUGEINT")
    assert ident("app_users") == '"APP_USERS"'  # what Snowflake makes of an unquoted app_users
    with pytest.raises(ValueError, match="Refusing identifier"):
        ident('x"; drop table y; --')


def test_a_hanging_dbt_is_stopped_and_the_running_model_named(tmp_path):
    script = tmp_path / "fake_dbt.py"
    script.write_text(
        "import time\n"
        "print('1 of 2 START sql table model marts.dim_plans ....... [RUN]', flush=True)\n"
        "print('1 of 2 OK created sql table model marts.dim_plans .. [SUCCESS 1 in 0.1s]', flush=True)\n"
        "print('2 of 2 START sql table model marts.fct_mrr_daily ... [RUN]', flush=True)\n"
        "time.sleep(60)\n"
    )
    with pytest.raises(run.DbtTimeout) as caught:
        run._stream([sys.executable, str(script)], {}, timeout=3, what="dbt build on test")
    message = str(caught.value)
    assert "within 3 s" in message
    assert (
        "marts.fct_mrr_daily" in message
        and "dim_plans" not in message.split("Still running")[1].split("Last")[0]
    )


def _rates(values: list) -> dict[str, pa.Table]:
    return {"fct_retention_cohorts": pa.table({"cohort": [1, 2, 3], "retention_rate": values})}


# What each mart's contract declares (mart_decimals reads it from the manifest).
DECLARED = {"fct_retention_cohorts": {"cohort": 0, "retention_rate": 6}}


def test_division_on_snowflake_and_duckdb_is_equal_at_the_declared_precision():
    duckdb_side = _rates([1 / 3, 1 / 128, 0.5])  # DuckDB: integer / integer is a double
    snowflake_side = _rates(  # Snowflake: NUMBER with 6 decimals, rounded half away from zero
        [decimal.Decimal("0.333333"), decimal.Decimal("0.007813"), decimal.Decimal("0.500000")]
    )
    assert compare(duckdb_side, snowflake_side, DECLARED).loc[0, "equal"]


def test_a_real_difference_counts_at_the_declared_precision():
    duckdb_side = _rates([1 / 3, 1 / 128, 0.5])
    snowflake_side = _rates(
        [decimal.Decimal("0.333334"), decimal.Decimal("0.007813"), decimal.Decimal("0.500000")]
    )
    assert not compare(duckdb_side, snowflake_side, DECLARED).loc[0, "equal"]
    money = {"m": pa.table({"mrr": [decimal.Decimal("12.3400")]})}
    changed = {"m": pa.table({"mrr": [decimal.Decimal("12.3401")]})}
    assert not compare(money, changed, {"m": {"mrr": 4}}).loc[0, "equal"]


def test_declared_types_give_the_decimal_places():
    assert declared_decimals("decimal(18,4)") == 4
    assert declared_decimals("DECIMAL(18, 2)") == 2
    assert declared_decimals("number(38,0)") == declared_decimals("bigint") == 0
    assert declared_decimals("double") == declared_decimals(None) == 6
    manifest = {
        "nodes": {
            "model.p.fct_x": {
                "resource_type": "model",
                "name": "fct_x",
                "columns": {"MRR": {"data_type": "decimal(18,4)"}, "n": {"data_type": "bigint"}},
            },
            "model.p.stg_y": {"resource_type": "model", "name": "stg_y", "columns": {}},
        }
    }
    assert mart_decimals(manifest, [("marts", "fct_x")]) == {"fct_x": {"mrr": 4, "n": 0}}


def _record_build(target: str, returncode: int = 0) -> dict[str, str]:
    """The artefacts ``run_dbt("build", target=...)`` leaves behind, written by hand."""
    statuses = {"model.sproutly.dim_plans": "success", "test.sproutly.unique_dim_plans": "pass"}
    target_path, _ = run.dbt_paths(target)
    target_path.mkdir(parents=True)
    results = [{"unique_id": k, "status": v} for k, v in statuses.items()]
    run_results = {"args": {"which": "build"}, "elapsed_time": 4.5, "results": results}
    (target_path / "run_results.json").write_text(json.dumps(run_results))
    (target_path / "manifest.json").write_text("{}")
    record = {"returncode": returncode, "wall_seconds": 9.0}
    (target_path / run.RECORDED_BUILD).write_text(json.dumps(record))
    return statuses


def test_a_recorded_build_is_read_back(tmp_path, monkeypatch):
    monkeypatch.setenv("SPROUTLY_DATA_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="No recorded dbt build on target 'dev'"):
        run.recorded_build("dev")
    statuses = _record_build("dev")
    build = run.recorded_build("dev")
    assert build.success and build.statuses == statuses
    assert (build.wall_seconds, build.elapsed_seconds) == (9.0, 4.5)


def test_the_cutover_reuses_the_recorded_duckdb_build(tmp_path, monkeypatch):
    """``rebuild_duckdb=False`` (chapter 08): dbt builds only on Snowflake; DuckDB's statuses
    and manifest are the recorded build's."""
    monkeypatch.setenv("SPROUTLY_DATA_DIR", str(tmp_path))
    warehouse = tmp_path / "warehouse" / "dev.duckdb"
    warehouse.parent.mkdir()
    warehouse.touch()
    statuses = _record_build("dev")
    builds: list[tuple[tuple[str, ...], str]] = []

    def fake_run_dbt(*args, target, timeout, env=None):
        builds.append((args, target))
        target_path, _ = run.dbt_paths(target)
        return run.DbtRun(target, args, 0, 1.0, "", target_path, {"model.sproutly.x": "success"})

    manifests = []
    monkeypatch.setattr(run, "run_dbt", fake_run_dbt)
    monkeypatch.setattr(run, "copy_raw_layer", lambda warehouse, destination: [])
    monkeypatch.setattr(
        run, "parity_report", lambda w, connect, manifest: manifests.append(manifest) or "report"
    )
    emulator = types.SimpleNamespace(connect=lambda: None, env=lambda: {})
    result = run.cutover(emulator=emulator, rebuild_duckdb=False, freshness=False)
    assert builds == [(("build",), "snowflake_emulated")]
    assert result.duckdb_statuses == statuses
    assert manifests == [run.dbt_paths("dev")[0] / "manifest.json"]
    assert result.timings["duckdb_build_wall_s"] == 9.0
