"""Write-audit-publish: copy the checked marts into the serving database in one atomic swap.

Readers (the serving API, dashboards, notebooks) open only the published copy, so they never block
the pipeline's writer and never see marts whose tests have not passed. The copy is built beside
the old one and swapped in with ``os.replace`` (atomic on one filesystem): a failure at any point
leaves the last good published copy untouched.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

from sproutly import clock, paths
from sproutly.dbt import failed_nodes, manifest, mart_models, node_statuses, run_results


class PublishBlocked(RuntimeError):
    """The last dbt build has failing error-severity tests (or did not run): nothing is published."""


@dataclass(frozen=True, order=True)
class Relation:
    schema: str
    name: str


@dataclass(frozen=True)
class PublishResult:
    path: Path
    tables: dict[str, int]  # table -> rows
    published_at: str


def mart_relations(manifest_path: Path) -> list[Relation]:
    """Every model in the dbt project's ``marts`` folder, as built (schema, alias), but only the
    latest version of a versioned mart: the API reads that one (``dim_users``), and an older
    version (``dim_users_v1``, with e-mail) stays in the warehouse for the consumers pinned to it."""
    manifest_json = manifest(manifest_path)
    older = {
        node.get("alias")
        for node in manifest_json["nodes"].values()
        if node["resource_type"] == "model"
        and node.get("version") is not None
        and str(node["version"]) != str(node.get("latest_version"))
    }
    return [
        Relation(schema, name) for schema, name in mart_models(manifest_json) if name not in older
    ]


def audit(run_results_path: Path) -> None:
    """Refuse to publish unless the last dbt build's tests all passed (warnings are allowed):
    no node of ``run_results.json`` failed (``sproutly.dbt.failed_nodes``)."""
    if not run_results_path.exists():
        raise PublishBlocked(f"no dbt run results at {run_results_path}: run `dbt build` first")
    blocking = list(failed_nodes(node_statuses(run_results(run_results_path))))
    if blocking:
        raise PublishBlocked(f"{len(blocking)} blocking failure(s), e.g. {blocking[:3]}")


def publish(
    relations: list[Relation],
    warehouse: Path | None = None,
    serving: Path | None = None,
) -> PublishResult:
    """Copy ``relations`` from the warehouse into a fresh serving file, then swap it in."""
    warehouse = warehouse or paths.warehouse_path()
    serving = serving or paths.serving_path()
    paths.ensure(serving)
    staging = serving.with_name(serving.stem + ".next.duckdb")
    staging.unlink(missing_ok=True)
    published_at = clock.now().isoformat(sep=" ")
    tables: dict[str, int] = {}
    con = duckdb.connect(str(staging))
    try:
        con.execute("attach ? as warehouse (read_only)", [str(warehouse)])
        for rel in relations:
            source = f'warehouse."{rel.schema}"."{rel.name}"'
            con.execute(f'create table main."{rel.name}" as select * from {source}')  # noqa: S608
            tables[rel.name] = con.execute(f'select count(*) from main."{rel.name}"').fetchone()[0]  # noqa: S608
        con.execute(
            "create table main._published as select ?::timestamp as published_at, ? as warehouse, "
            "?::json as row_counts",
            [published_at, warehouse.name, json.dumps(tables, sort_keys=True)],
        )
        con.execute("detach warehouse")
        con.execute("checkpoint")
    finally:
        con.close()
    os.replace(staging, serving)
    return PublishResult(serving, tables, published_at)


def audit_and_publish(run_results_path: Path, relations: list[Relation]) -> PublishResult:
    """The last two steps of write-audit-publish: :func:`audit` the dbt run, then
    :func:`publish` ``relations``. A blocked audit raises :class:`PublishBlocked` and the
    published copy is not touched."""
    audit(run_results_path)
    return publish(relations)
