"""What a dbt command did, as small sorted tables (no log lines, no timings, no ids).

dbt records every command in ``run_results.json`` (``sproutly.dbt.run_results()``); a senior
engineer reads that file, not the log. Chapters 02-04 and 07 look at it through these views::

    status_counts(node_statuses(run_results()))     # nodes per resource type and status
    nodes = node_table(run_results(), manifest())   # one row per node: layer, type, name, status
    layer_summary(nodes)                            # statuses per layer, in pipeline order
    failures(nodes)                                 # only what failed or errored
    test_table(run_results())                       # each test and its status
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from sproutly.dbt import BLOCKING_STATUSES

#: The order layers are listed in.
LAYERS = ("staging", "intermediate", "marts", "snapshots", "tests")


def status_counts(statuses: dict[str, str]) -> pd.DataFrame:
    """``node_statuses(...)`` counted by resource type and status (e.g. model / success / 6)."""
    frame = pd.DataFrame(
        [(uid.split(".")[0], status) for uid, status in statuses.items()],
        columns=["resource_type", "status"],
    )
    counted = frame.groupby(["resource_type", "status"]).size().rename("nodes").reset_index()
    return counted.sort_values(["resource_type", "status"]).reset_index(drop=True)


def _layer(unique_id: str, manifest_json: dict[str, Any]) -> str:
    node = manifest_json["nodes"].get(unique_id) or manifest_json.get("unit_tests", {}).get(
        unique_id
    )
    if node is None:
        return "?"
    if node["resource_type"] in {"test", "unit_test"}:
        return "tests"
    return node["fqn"][1] if len(node["fqn"]) > 2 else node["resource_type"]


def _name(unique_id: str) -> str:
    """A node's name; a model version keeps its version (``dim_users.v1``, as ``dbt ls`` says)."""
    parts = unique_id.split(".")
    return ".".join(parts[2:]) if parts[0] == "model" else parts[2]


def node_table(run_results: dict[str, Any], manifest_json: dict[str, Any]) -> pd.DataFrame:
    """One row per node of the last command: layer, resource type, name, status (no timings),
    sorted by layer then name."""
    rows = []
    for row in run_results["results"]:
        unique_id = row["unique_id"]
        rows.append(
            {
                "layer": _layer(unique_id, manifest_json),
                "resource_type": unique_id.split(".")[0],
                "name": _name(unique_id),
                "status": row["status"],
            }
        )
    frame = pd.DataFrame(rows, columns=["layer", "resource_type", "name", "status"])
    frame["_order"] = frame["layer"].map({k: i for i, k in enumerate(LAYERS)}).fillna(len(LAYERS))
    return frame.sort_values(["_order", "name"]).drop(columns="_order").reset_index(drop=True)


def layer_summary(nodes: pd.DataFrame) -> pd.DataFrame:
    """Counts of each status per layer (rows: layers in pipeline order; columns: statuses)."""
    table = nodes.pivot_table(index="layer", columns="status", aggfunc="size", fill_value=0)
    ordered = [layer for layer in LAYERS if layer in table.index]
    table = table.loc[ordered, sorted(table.columns)]
    table.columns.name = None
    return table.reset_index()


def failures(nodes: pd.DataFrame) -> pd.DataFrame:
    """Only the nodes that failed or errored (``sproutly.dbt.BLOCKING_STATUSES``)."""
    return nodes[nodes["status"].isin(sorted(BLOCKING_STATUSES))].reset_index(drop=True)


def test_table(run_results: dict) -> pd.DataFrame:
    """dbt's ``run_results.json`` as ``test``/``status`` rows (no timings, no ids), sorted."""
    rows = [
        {"test": row["unique_id"].split(".")[2], "status": row["status"]}
        for row in run_results["results"]
        if row["unique_id"].startswith("test.")
    ]
    return pd.DataFrame(rows, columns=["test", "status"]).sort_values("test", ignore_index=True)
