"""A versioned mart (dim_users v1/v2) in Dagster and in publish: each version is its own asset,
keyed by schema and relation like any model, and only the latest version is published."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg

from orchestration import publish
from orchestration.defs.dbt import SproutlyTranslator


def _model(name: str, alias: str, version: int | None = None, latest: int | None = None) -> dict:
    return {
        "resource_type": "model",
        "name": name,
        "alias": alias,
        "schema": "marts",
        "fqn": ["sproutly", "marts", "core", name, *([f"v{version}"] if version else [])],
        "version": version,
        "latest_version": latest,
        "config": {"schema": "marts"},
    }


def test_each_version_is_keyed_by_schema_and_relation() -> None:
    translator = SproutlyTranslator()
    v1 = _model("dim_users", "dim_users_v1", 1, 2)
    v2 = _model("dim_users", "dim_users", 2, 2)
    assert translator.get_asset_key(v2) == dg.AssetKey(["marts", "dim_users"])
    assert translator.get_asset_key(v1) == dg.AssetKey(["marts", "dim_users_v1"])


def test_only_the_latest_version_of_a_mart_is_published(tmp_path: Path) -> None:
    nodes = {
        "model.sproutly.dim_users.v1": _model("dim_users", "dim_users_v1", 1, 2),
        "model.sproutly.dim_users.v2": _model("dim_users", "dim_users", 2, 2),
        "model.sproutly.fct_x": _model("fct_x", "fct_x"),
    }
    (tmp_path / "manifest.json").write_text(json.dumps({"nodes": nodes}))
    assert publish.mart_relations(tmp_path / "manifest.json") == [
        publish.Relation("marts", "dim_users"),
        publish.Relation("marts", "fct_x"),
    ]
