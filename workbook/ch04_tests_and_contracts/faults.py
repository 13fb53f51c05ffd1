"""Chapter 04 helpers: what the project tests, bad data to inject, and what dbt did about it.

A data test is only worth something if you have seen it fail. These helpers let a chapter

- list every test the dbt project declares, by kind (built-in generic, in-project generic macro,
  singular, unit) and every enforced contract, straight from dbt's ``manifest.json``;
- inject a named defect (a null key, a negative amount, a renamed column...) into the *raw* layer
  of a sandbox copy, never into the chapter's own warehouse;
- turn ``run_results.json`` into a small table of node statuses (no log lines, no timings);
- fingerprint the marts (row count + content hash per table) to prove a failed build left them
  exactly as the last good build did.

    sb = sandbox("04_tests")
    inject(sb, "null_payment_id", "negative_invoice_amount")
    sb.dbt("build", "--select", "stg_billing__payments+")
    node_table(sb.run_results(), manifest(sb.project_dir / "target"))
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from microproduct.faults import RAW_DEFECTS
from sproutly import paths
from sproutly.dbt import manifest as manifest  # the chapter reads it as faults.manifest(...)

if TYPE_CHECKING:
    from workbook.sandbox import Sandbox

#: Generic tests that ship with dbt itself (everything else generic is a macro in this project).
BUILT_IN_TESTS = ("accepted_values", "not_null", "relationships", "unique")


# -- what the project declares ---------------------------------------------------------------
def test_kind(node: dict[str, Any]) -> tuple[str, str]:
    """``(kind, test)`` of a test node: kind is ``built-in generic``, ``project generic``,
    ``singular`` or ``unit``; test is the generic test's name or the node's own name."""
    if node["resource_type"] == "unit_test":
        return "unit", node["name"]
    metadata = node.get("test_metadata") or {}
    if not metadata:
        return "singular", node["name"]
    name = metadata["name"]
    return ("built-in generic" if name in BUILT_IN_TESTS else "project generic"), name


def test_inventory(manifest_json: dict[str, Any]) -> pd.DataFrame:
    """One row per (kind, test): how many times the project uses it and on how many models."""
    rows = []
    nodes = [*manifest_json["nodes"].values(), *manifest_json.get("unit_tests", {}).values()]
    for node in nodes:
        if node["resource_type"] not in {"test", "unit_test"} or node["package_name"] != "sproutly":
            continue
        kind, test = test_kind(node)
        attached = node.get("attached_node") or node.get("model") or ""
        if not attached and node["resource_type"] == "unit_test":
            attached = node.get("model", "")
        # model.sproutly.<name>[.v<version>]: each version of a model is a model of its own
        rows.append({"kind": kind, "test": test, "model": ".".join(attached.split(".")[2:])})
    frame = pd.DataFrame(rows, columns=["kind", "test", "model"])
    order = {
        k: i for i, k in enumerate(["built-in generic", "project generic", "singular", "unit"])
    }
    summary = (
        frame.groupby(["kind", "test"])
        .agg(uses=("model", "size"), models=("model", "nunique"))
        .reset_index()
    )
    summary["_order"] = summary["kind"].map(order)
    return summary.sort_values(["_order", "test"]).drop(columns="_order").reset_index(drop=True)


def contracts(manifest_json: dict[str, Any]) -> pd.DataFrame:
    """Models with an enforced contract: layer, model, declared columns (sorted by layer, model)."""
    rows = [
        {
            "layer": node["fqn"][1],
            "model": _versioned_name(node),
            "declared_columns": len(node["columns"]),
            "materialized": node["config"]["materialized"],
        }
        for node in manifest_json["nodes"].values()
        if node["resource_type"] == "model" and node["config"].get("contract", {}).get("enforced")
    ]
    return pd.DataFrame(rows).sort_values(["layer", "model"]).reset_index(drop=True)


def _versioned_name(node: dict[str, Any]) -> str:
    """``dim_users.v1`` for a model version (as ``dbt ls`` names it), else the model's name."""
    return node["name"] if node.get("version") is None else f"{node['name']}.v{node['version']}"


def versions(manifest_json: dict[str, Any], model: str) -> pd.DataFrame:
    """The versions of ``model`` from dbt's manifest: the relation each builds, which is the
    latest (what an unpinned ``ref`` means), its deprecation date, how many columns its contract
    declares and the columns the other versions' contracts do not have."""
    nodes = [
        node
        for node in manifest_json["nodes"].values()
        if node["resource_type"] == "model" and node["name"] == model
    ]
    columns = {str(node["version"]): set(node["columns"]) for node in nodes}
    rows = [
        {
            "version": f"v{node['version']}",
            "relation": node["alias"],
            "latest": str(node["version"]) == str(node["latest_version"]),
            "deprecation_date": (node.get("deprecation_date") or "")[:10] or "-",
            "contract": bool(node["contract"]["enforced"]),
            "columns": len(node["columns"]),
            "only_in_this_version": ", ".join(
                sorted(
                    columns[str(node["version"])].difference(
                        *(c for v, c in columns.items() if v != str(node["version"]))
                    )
                )
            )
            or "-",
        }
        for node in nodes
    ]
    return pd.DataFrame(rows).sort_values("version").reset_index(drop=True)


# -- bad data --------------------------------------------------------------------------------
#: The defects a chapter can inject: the raw defects of the project's one list of faults
#: (``microproduct.faults.RAW_DEFECTS``, each with its row in the fault catalogue).
DEFECTS = RAW_DEFECTS


def warehouse_of(sb: Sandbox) -> Path:
    """The sandbox's own warehouse file."""
    return sb.data_dir / "warehouse" / paths.warehouse_path().name


def inject(sb: Sandbox, *names: str) -> pd.DataFrame:
    """Apply the named :data:`DEFECTS` to the sandbox's raw layer in ONE transaction (all or
    nothing), then close the connection so dbt can open the file. Returns what was done."""
    import duckdb

    unknown = [n for n in names if n not in DEFECTS]
    if unknown:
        raise ValueError(f"unknown defect(s) {unknown}; choose from {sorted(DEFECTS)}")
    connection = duckdb.connect(str(warehouse_of(sb)))
    rows = []
    try:
        connection.begin()
        for name in names:
            defect = DEFECTS[name]
            for statement in defect.statements:
                connection.execute(statement)
            rows.append({"defect": name, "table": defect.table, "what": defect.description})
        connection.commit()
    except Exception:
        connection.rollback()
        raise
    finally:
        connection.close()
    return pd.DataFrame(rows, columns=["defect", "table", "what"])


def keep_clean_copy(sb: Sandbox) -> Path:
    """Save the sandbox warehouse beside itself (``*.clean``) so :func:`restore_clean` can undo
    injected defects."""
    clean = warehouse_of(sb).with_suffix(".clean")
    shutil.copy2(warehouse_of(sb), clean)
    return clean


def restore_clean(sb: Sandbox) -> None:
    """Put back the warehouse saved by :func:`keep_clean_copy`."""
    shutil.copy2(warehouse_of(sb).with_suffix(".clean"), warehouse_of(sb))


# -- the incident drill: the dbt command line on a sandbox -------------------------------------
#: What ``!dbt ...`` in a cell reads: the project, the profile, the warehouse (the profile's
#: ``SPROUTLY_DATA_DIR``) and where dbt writes run_results.json and its log.
SHELL_VARIABLES = (
    "DBT_PROJECT_DIR",
    "DBT_PROFILES_DIR",
    "SPROUTLY_DATA_DIR",
    "DBT_TARGET_PATH",
    "DBT_LOG_PATH",
)
_saved_shell: dict[str, str | None] = {}


def shell_in_sandbox(name: str | None) -> Sandbox | None:
    """A fresh sandbox ``name``, with ``!dbt ...`` in the following cells running on its project
    and warehouse (as a terminal opened in that copy would); ``shell_in_sandbox(None)`` points the
    shell back at the chapter's own project and data. Safe to call again in any order."""
    import os

    from workbook.sandbox import sandbox

    for variable, value in _saved_shell.items():
        if value is None:
            os.environ.pop(variable, None)
        else:
            os.environ[variable] = value
    _saved_shell.clear()
    if name is None:
        print("!dbt runs in the chapter's own dbt_project/ and warehouse again")
        return None
    sb = sandbox(name)
    _saved_shell.update({variable: os.environ.get(variable) for variable in SHELL_VARIABLES})
    os.environ.update(
        {
            "DBT_PROJECT_DIR": str(sb.project_dir),
            "DBT_PROFILES_DIR": str(sb.project_dir),
            "SPROUTLY_DATA_DIR": str(sb.data_dir),
            "DBT_TARGET_PATH": str(sb.project_dir / "target"),
            "DBT_LOG_PATH": str(sb.project_dir / "logs"),
        }
    )
    print(f"!dbt now runs in <data>/sandboxes/{name}/ (a fresh copy of the project and warehouse)")
    return sb


def failed_tests(results: dict[str, Any]) -> pd.DataFrame:
    """The tests that failed in a dbt command (its ``run_results.json``): the test, how many rows
    it returned, dbt's message, and the table ``--store-failures`` kept those rows in."""
    rows = [
        {
            "test": r["unique_id"].split(".")[2],
            "failures": r["failures"],
            "message": r["message"],
            "stored_in": r.get("relation_name"),
        }
        for r in results["results"]
        if r["unique_id"].startswith("test.") and r["status"] in {"fail", "error"}
    ]
    frame = pd.DataFrame(rows, columns=["test", "failures", "message", "stored_in"])
    return frame.sort_values("test").reset_index(drop=True)
