"""The portability gate's rules on hand-written SQL (fast: sqlfluff only, no dbt, no emulator).

The gate over the whole project runs in ``make lint`` (``make portability``).
"""

from __future__ import annotations

import pytest

from cutover.portability import check_manifest, problems

# name -> (SQL, the line the first problem is on)
DUCKDB_ONLY = {
    "aggregate filter": ("select\n    count(*) filter (where x > 1) as n\nfrom t", 2),
    "json type": ("select\n    cast(properties as json) as properties\nfrom t", 2),
    "unquoted interval": ("select\n    a + interval 1 day as b\nfrom t", 2),
    "interval expression": ("select *\nfrom t\nwhere a > b + interval (7) day", 3),
    "desc without nulls": (
        "select *\nfrom t\nqualify row_number() over (\n"
        "    partition by k order by updated_at desc, _source desc nulls last\n) = 1",
        4,
    ),
}

PORTABLE = {
    "count_if": "select count_if(x > 1) as n, sum(case when x > 1 then x end) as s from t",
    "variant": "select cast(properties as variant) as properties from t",
    "dateadd": "select dateadd(day, 7, a) as b from t",
    "quoted interval": "select a + interval '1 day' as b from t",
    "desc nulls last": "select * from t qualify row_number() over "
    "(partition by k order by updated_at desc nulls last, _source asc) = 1",
    "double division": "select cast(a as double) / cast(nullif(b, 0) as double) as rate from t",
}


@pytest.mark.parametrize("name", sorted(DUCKDB_ONLY))
def test_duckdb_only_sql_is_found_on_its_line(name):
    sql, line = DUCKDB_ONLY[name]
    found = problems(sql)
    assert found, f"{name}: the gate accepted it"
    assert found[0].line == line, found


@pytest.mark.parametrize("name", sorted(PORTABLE))
def test_portable_sql_passes(name):
    assert problems(PORTABLE[name]) == []


def test_only_the_desc_without_nulls_is_flagged():
    [found] = problems(DUCKDB_ONLY["desc without nulls"][0])
    assert "nulls" in found.message and (found.line, found.position) == (4, 40)


def test_a_manifest_report_names_file_line_and_node():
    manifest = {
        "nodes": {
            "model.p.bad": {
                "unique_id": "model.p.bad",
                "resource_type": "model",
                "compiled_path": "/tmp/x/target/compiled/p/models/bad.sql",
                "compiled_code": DUCKDB_ONLY["aggregate filter"][0],
            },
            "model.p.good": {
                "unique_id": "model.p.good",
                "resource_type": "model",
                "compiled_path": "/tmp/x/target/compiled/p/models/good.sql",
                "compiled_code": PORTABLE["count_if"],
            },
            "seed.p.s": {"unique_id": "seed.p.s", "resource_type": "seed", "compiled_code": "x y"},
        },
        "unit_tests": {},
    }
    result = check_manifest(manifest)
    assert result.statements == 2 and not result.ok
    assert result.files() == ["compiled/p/models/bad.sql"]
    assert result.summary().startswith("compiled/p/models/bad.sql:2:")
    assert "[model.p.bad]" in result.summary()
    assert "FAILED: 1 problems in 1 of 2 compiled statements" in result.summary()
    del manifest["nodes"]["model.p.bad"]
    assert check_manifest(manifest).ok
