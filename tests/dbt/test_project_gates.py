"""The dbt project's gates (issue 18): the semantic layer answers what metrics_daily says, every
model is documented and keyed, model access is enforced, and a versioned mart keeps its
promise (dim_users v2 without e-mail, v1 deprecated and pinned only where it must be).

The dbt and mf command lines run on a copy of the project in a temporary folder: mf reads the
semantic manifest only from ``<project>/target/``, and nothing here may write the real project's
target folder. The built warehouse comes from the checkpoint cache (chapter 04's state: every
model built), so a warm cache keeps this module well under a minute.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from sproutly import paths

BIN = Path(sys.executable).parent
#: mf checks PyPI for a newer version at every start (update-checker, no switch): refuse it.
NO_CALL_HOME = {"https_proxy": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}


@dataclass(frozen=True)
class Parsed:
    project: Path
    data: Path
    env: dict[str, str]

    def run(self, *cli: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / cli[0]), *cli[1:]],
            cwd=self.project,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def json(self, name: str) -> dict:
        return json.loads((self.project / "target" / name).read_text(encoding="utf-8"))


def _project_copy(destination: Path, data: Path) -> Parsed:
    shutil.copytree(
        paths.DBT_PROJECT_DIR, destination, ignore=shutil.ignore_patterns("target", "logs")
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DBT_TARGET_PATH", "DBT_LOG_PATH", "SPROUTLY_NOW", "SPROUTLY_TARGET"}
    }
    env.update(
        SPROUTLY_DATA_DIR=str(data),
        DBT_PROJECT_DIR=str(destination),
        DBT_PROFILES_DIR=str(destination),
        DBT_SEND_ANONYMOUS_USAGE_STATS="False",
        DO_NOT_TRACK="1",
        **NO_CALL_HOME,
    )
    return Parsed(destination, data, env)


@pytest.fixture(scope="module")
def parsed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Parsed]:
    """A parsed copy of the project over a built warehouse (chapter 04's checkpoint)."""
    root = tmp_path_factory.mktemp("gates")
    copy = _project_copy(root / "project", root / "data")
    (root / "data").mkdir()
    built = subprocess.run(
        [sys.executable, "-c", "from workbook import checkpoint; checkpoint('04')"],
        env={**copy.env, "DBT_TARGET_PATH": str(root / "checkpoint_target")},
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    result = copy.run("dbt", "parse", "--no-partial-parse", "--quiet")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    yield copy


def test_every_metric_is_a_column_of_metrics_daily(parsed: Parsed) -> None:
    """One definition per metric: a semantic-layer metric is a simple metric over the
    metrics_daily column of the same name (docs/decisions/0001-...), never a second formula."""
    semantic = parsed.json("semantic_manifest.json")
    (model,) = semantic["semantic_models"]
    assert model["node_relation"]["alias"] == "metrics_daily"
    measures = {m["name"]: m for m in model["measures"]}
    for metric in semantic["metrics"]:
        assert metric["type"] == "simple", metric["name"]
        measure = measures[metric["type_params"]["measure"]["name"]]
        assert measure["name"] == metric["name"]
        assert measure.get("expr") in (None, metric["name"]), metric["name"]


def test_mf_query_equals_metrics_daily_for_every_metric(parsed: Parsed) -> None:
    metrics = sorted(m["name"] for m in parsed.json("semantic_manifest.json")["metrics"])
    out = parsed.project / "mf.csv"
    result = parsed.run(
        "mf", "query", "--metrics", ",".join(metrics), "--group-by", "metric_time__day",
        "--order", "metric_time__day", "--csv", str(out), "--quiet",
    )  # fmt: skip
    assert result.returncode == 0 and out.exists(), result.stdout[-3000:] + result.stderr[-3000:]
    with out.open(newline="") as f:
        served = {row["metric_time__day"][:10]: row for row in csv.DictReader(f)}

    warehouse = parsed.data / "warehouse" / "dev.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        table = con.sql(
            f"select cast(date_day as varchar) as day, {', '.join(metrics)} "  # noqa: S608
            "from marts.metrics_daily order by date_day"
        ).fetchall()
    assert len(table) > 30
    assert sorted(served) == [row[0] for row in table], "mf and metrics_daily cover other days"
    differences = [
        (day, name, expected, served[day][name])
        for day, *values in table
        for name, expected in zip(metrics, values, strict=True)
        if abs(float(served[day][name]) - float(expected)) > 1e-6
    ]
    assert not differences, f"{len(differences)} differences, e.g. {differences[:5]}"


def test_every_model_has_a_description_and_a_primary_key_test(parsed: Parsed) -> None:
    """The playbook's "untested temporary model" pitfall: each model says what a row is and
    tests its key (unique + not_null on one column, or unique_combination on the grain). A
    model without a key says why in ``meta.no_primary_key``."""
    manifest = parsed.json("manifest.json")
    models = {
        uid: node
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node["package_name"] == "sproutly"
    }
    tests: dict[str, set[tuple[str, str | None]]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] == "test" and node.get("test_metadata"):
            for parent in node["depends_on"]["nodes"]:
                tests.setdefault(parent, set()).add(
                    (node["test_metadata"]["name"], node.get("column_name"))
                )
    problems = []
    for uid, node in sorted(models.items()):
        if not node["description"].strip():
            problems.append(f"{node['name']}: no description")
        on = tests.get(uid, set())
        keyed = {c for t, c in on if t == "unique"} & {c for t, c in on if t == "not_null"}
        keyed |= {c for t, c in on if t == "unique_combination"}
        exempt = str(node["config"].get("meta", {}).get("no_primary_key", "")).strip()
        if not keyed and len(exempt) < 40:  # an exemption gives its reason
            problems.append(f"{node['name']}: no primary-key test")
    assert len(models) > 20
    assert not problems, problems


def test_a_private_model_cannot_be_read_from_outside_its_group(
    parsed: Parsed, tmp_path: Path
) -> None:
    copy = _project_copy(tmp_path / "project", parsed.data)
    (copy.project / "models" / "marts" / "core" / "reads_private.sql").write_text(
        "select * from {{ ref('int_subscription_periods') }}\n", encoding="utf-8"
    )
    result = copy.run("dbt", "parse", "--no-partial-parse")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-2000:]
    assert "private" in output and "int_subscription_periods" in output, output[-2000:]


def test_dim_users_v2_drops_email_and_v1_is_deprecated(parsed: Parsed) -> None:
    """docs/decisions/0002-dim-users-v2.md: v2 (latest, relation dim_users) has no e-mail; v1
    (dim_users_v1) keeps it, with a deprecation date still ahead of the wall clock (dbt compares
    with it), and only the exposure that needs the address pins v1."""
    manifest = parsed.json("manifest.json")
    v1 = manifest["nodes"]["model.sproutly.dim_users.v1"]
    v2 = manifest["nodes"]["model.sproutly.dim_users.v2"]
    assert (v1["alias"], v2["alias"]) == ("dim_users_v1", "dim_users")
    assert str(v1["latest_version"]) == str(v2["latest_version"]) == "2"
    assert "email" in v1["columns"] and "email" not in v2["columns"]
    assert set(v1["columns"]) - {"email"} == set(v2["columns"])
    assert v1["contract"]["enforced"] and v2["contract"]["enforced"]
    assert v2["deprecation_date"] is None
    deprecation = dt.datetime.fromisoformat(v1["deprecation_date"])
    assert deprecation > dt.datetime.now(dt.UTC) + dt.timedelta(days=365), "retire v1 now"
    children = manifest["child_map"]["model.sproutly.dim_users.v1"]
    assert [c for c in children if not c.startswith("test.")] == [
        "exposure.sproutly.lifecycle_email_sync"
    ]
    api = manifest["exposures"]["exposure.sproutly.serving_api"]["depends_on"]["nodes"]
    assert "model.sproutly.dim_users.v2" in api  # an unpinned ref is the latest version


def test_the_gate_fails_once_a_version_is_past_its_deprecation_date(
    parsed: Parsed, tmp_path: Path
) -> None:
    """make dbt-gates turns dbt's DeprecatedModel warning (a version past its date, compared with
    the wall clock) into an error: the day v1 expires, CI says to remove it."""
    options = re.search(
        r"--warn-error-options '([^']+)'", (paths.REPO_ROOT / "Makefile").read_text()
    ).group(1)
    copy = _project_copy(tmp_path / "project", parsed.data)
    models = copy.project / "models" / "marts" / "core" / "_core__models.yml"
    text = models.read_text(encoding="utf-8")
    assert "deprecation_date: 2030-06-30" in text
    models.write_text(text.replace("deprecation_date: 2030-06-30", "deprecation_date: 2026-01-01"))
    result = copy.run("dbt", "--warn-error-options", options, "parse", "--no-partial-parse")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-2000:]
    assert "dim_users.v1 has passed its deprecation date" in output, output[-2000:]
