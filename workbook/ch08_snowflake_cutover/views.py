"""Chapter 08, PROOF: a cutover's result as small, deterministic, labelled tables and one plot.

``cutover.run.cutover()`` does the work (emulator, raw copy, two dbt builds, parity); this module
only *shows* its :class:`~cutover.run.CutoverResult`. Every view carries the result's label, so an
emulated run never passes for a real one::

    from cutover.run import cutover
    with quiet():
        result = cutover(target="snowflake_emulated", duckdb_target="dev")
    headline(result)          # one labelled sentence
    statuses(result)          # every model and snapshot, per engine
    parity(result)            # every mart: rows and order-independent hashes per side
    plot_build_times(result)  # wall-clock seconds (a plot only: they vary by machine)
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from cutover.run import CutoverResult

#: Warnings libraries print on their own schedule (an import-time version notice of the Snowflake
#: connector's vendored ``requests``, DuckDB's advice on Arrow copies). They say nothing about the
#: cutover and would make a notebook's output differ between environments.
_LIBRARY_WARNINGS = (
    (r".*doesn't match a supported version.*", Warning),
    (r"Arrow output on a DB-API result.*", UserWarning),
)


@contextmanager
def quiet() -> Iterator[None]:
    """Silence the library warnings above (and only those) for the duration of a block."""
    with warnings.catch_warnings():
        for message, category in _LIBRARY_WARNINGS:
            warnings.filterwarnings("ignore", message=message, category=category)
        yield


def _kind(unique_id: str) -> str:
    return unique_id.split(".", 1)[0]


def _name(unique_id: str) -> str:
    parts = unique_id.split(".")
    if _kind(unique_id) == "model":  # a model version keeps it: dim_users.v1, dim_users.v2
        return ".".join(parts[2:])
    return parts[2] if _kind(unique_id) in {"test", "unit_test"} else parts[-1]


def headline(result: CutoverResult) -> str:
    """One sentence: where it ran (labelled), what was built, what parity found."""
    models = sum(1 for k in result.statuses if _kind(k) in {"model", "snapshot"})
    tests = sum(1 for k in result.statuses if _kind(k) in {"test", "unit_test"})
    marts, equal = len(result.parity), int(result.parity["equal"].sum())
    verdict = "all equal" if result.parity_ok else f"{marts - equal} DIFFERENT"
    return (
        f"Snowflake cutover [{result.label}] on target {result.target}: "
        f"{models} models and snapshots, {tests} tests; "
        f"{'every node succeeded' if result.built else 'SOME NODES FAILED'}; "
        f"parity over {marts} marts: {verdict}."
    )


def statuses(result: CutoverResult) -> pd.DataFrame:
    """Every model and snapshot with its status on DuckDB and on Snowflake (labelled), in the
    project's layer order (staging, intermediate, marts, snapshots)."""
    column = f"snowflake ({result.label})"
    rows = [
        {
            "node": _name(uid),
            "type": _kind(uid),
            "duckdb": result.duckdb_statuses.get(uid, "-"),
            column: status,
        }
        for uid, status in result.statuses.items()
        if _kind(uid) in {"model", "snapshot"}
    ]
    frame = pd.DataFrame(rows, columns=["node", "type", "duckdb", column])
    layer = (
        frame["node"]
        .str.split("_")
        .str[0]
        .map({"stg": 0, "int": 1, "dim": 2, "fct": 2, "metrics": 2, "snap": 3})
    )
    frame = frame.assign(_layer=layer.fillna(4)).sort_values(["_layer", "node"])
    return frame.drop(columns="_layer").reset_index(drop=True)


def test_summary(result: CutoverResult) -> pd.DataFrame:
    """Tests per kind (data test, unit test) and status on each engine."""
    column = f"snowflake ({result.label})"
    rows = []
    for side, statuses_by_id in (("duckdb", result.duckdb_statuses), (column, result.statuses)):
        for uid, status in statuses_by_id.items():
            if _kind(uid) in {"test", "unit_test"}:
                rows.append(
                    {
                        "kind": _kind(uid).replace("test", "data test", 1)
                        if _kind(uid) == "test"
                        else "unit test",
                        "status": status,
                        "side": side,
                    }
                )
    frame = pd.DataFrame(rows, columns=["kind", "status", "side"])
    table = frame.pivot_table(
        index=["kind", "status"], columns="side", aggfunc="size", fill_value=0
    )
    table = table.reindex(columns=["duckdb", column], fill_value=0)
    table.columns.name = None
    return table.reset_index()


def parity(result: CutoverResult) -> pd.DataFrame:
    """The parity report, one row per mart, with the Snowflake side's columns labelled."""
    label = result.label
    report = result.parity[
        ["mart", "duckdb_rows", "snowflake_rows", "duckdb_hash", "snowflake_hash", "equal"]
    ]
    return report.rename(
        columns={
            "snowflake_rows": f"snowflake_rows ({label})",
            "snowflake_hash": f"snowflake_hash ({label})",
        }
    ).reset_index(drop=True)


def all_built(result: CutoverResult) -> bool:
    """Every node of the Snowflake build succeeded (models, snapshots) or passed (tests)."""
    return bool(result.built)


def plot_build_times(result: CutoverResult):
    """Wall-clock seconds of each build (start-up, parse and run) and dbt's own run time."""
    from workbook.plots import figure

    times = result.timings_frame()
    fig = figure((7, 3))
    ax = fig.add_subplot()
    y = range(len(times))
    ax.barh(
        [v - 0.2 for v in y],
        times["build_wall_s"],
        height=0.4,
        color="#90a4ae",
        label="wall clock (process start, parse, run)",
    )
    ax.barh(
        [v + 0.2 for v in y],
        times["dbt_elapsed_s"],
        height=0.4,
        color="#1e88e5",
        label="dbt's own run time",
    )
    ax.set_yticks(list(y), times["engine"])
    ax.invert_yaxis()
    ax.set_xlabel("seconds on this machine")
    ax.set_title(f"dbt build of the whole project: DuckDB vs Snowflake ({result.label})")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=2, frameon=False)
    fig.tight_layout()
    return fig


def snowflake_check() -> str:
    """What ``make snowflake-check`` (``python -m cutover check --no-gate``) prints, run in this
    process: the cutover against a real account when the ``SNOWFLAKE_*`` variables are set,
    otherwise a skip naming the missing variables. The portability gate, which ``make
    snowflake-check`` runs first, is skipped: the chapter runs it on its own. Returns the exit
    code and the printed text."""
    from cutover.__main__ import main

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), quiet():
        code = main(["check", "--no-gate"])
    return f"exit code {code}\n{printed.getvalue().strip()}"


def sql_section(path: str, number: int):
    """One numbered section of a SQL script in ``cutover/`` (``-- 2. Roles: ...`` up to the next
    ``-- N.``), or its header comment for ``number=0``: long files are shown by the part that
    matters, and the lines follow the file when it changes."""
    import re

    from sproutly import paths
    from workbook import show

    lines = (paths.REPO_ROOT / path).read_text(encoding="utf-8").splitlines()
    heading = re.compile(r"-- (\d+)\. ")
    starts = [i for i, line in enumerate(lines) if heading.match(line)]
    if number == 0:
        first, last = 0, next(i for i, line in enumerate(lines) if not line.strip())
    else:
        found = [i for i in starts if heading.match(lines[i]).group(1) == str(number)]
        if not found:
            raise ValueError(f"{path} has no section '-- {number}. '")
        first = found[0]
        last = next((i for i in starts if i > first), len(lines))
    while last > first and not lines[last - 1].strip():
        last -= 1
    return show.file(path, lines=(first + 1, last))


def profile_targets(first: str = "snowflake_emulated"):
    """``dbt_project/profiles.yml`` from the comment above the target ``first`` to the end: the
    Snowflake targets, without the DuckDB ones chapter 07 shows."""
    from sproutly import paths
    from workbook import show

    path = paths.DBT_PROJECT_DIR / "profiles.yml"
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == f"{first}:")
    while start > 0 and lines[start - 1].strip().startswith("#"):
        start -= 1
    return show.file(path, lines=(start + 1, len(lines)))
