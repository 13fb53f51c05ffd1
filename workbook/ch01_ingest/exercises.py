"""Support and reference behind chapter 01's exercises (reading this file spoils them).

- :func:`user_with_versions` picks the user exercise 1 asks about: one with several raw versions
  written by different loads, so "the newest version" is a real choice;
- :func:`check_users_loader` runs the learner's ``load_users`` (``loaders/users.py`` in the
  sandbox) on private copies of the sandbox's app database and warehouse: a first run loads every
  user, a re-run adds nothing, a change inside the lookback window is picked up once;
- :func:`check_test_has_teeth` runs the learner's pytest file on their loader (it must pass) and on
  a loader that forgets to skip rows it already has (it must fail).
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from workbook.query import query

if TYPE_CHECKING:
    from workbook.sandbox import Sandbox

LOADER = "loaders/users.py"
TEST = "loaders/test_users.py"
COMMAND = "python -m pytest loaders -q"


def user_with_versions() -> int:
    """The user with the most rows in ``raw.app_users`` among those written by at least two
    different loads (ties: the smallest ``user_id``)."""
    found = query(
        """
        select user_id from raw.app_users
        group by user_id
        having count(distinct _load_id) >= 2
        order by count(*) desc, user_id
        limit 1
        """
    )
    if found.empty:
        raise LookupError("no user has raw versions from two loads yet: advance and load again")
    return int(found["user_id"].iloc[0])


def _fail(message: str, hint: str) -> None:
    raise AssertionError(f"{message}\nHint: {hint}")


def _import_loader(sb: Sandbox):
    import importlib.util

    path = sb.root / LOADER
    if not path.exists() or "def load_users" not in path.read_text(encoding="utf-8"):
        _fail(
            f"{sb.shown(LOADER)} has no function load_users yet.",
            "write it (the %%writefile cell or JupyterLab's editor), then run the tests.",
        )
    spec = importlib.util.spec_from_file_location("learner_users_loader", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.load_users


def _count(warehouse: Path) -> int:
    import duckdb

    with duckdb.connect(str(warehouse)) as con:
        return con.execute("select count(*) from exercise.app_users").fetchone()[0]


def check_users_loader(sb: Sandbox) -> None:
    """``load_users`` loads every user once, adds nothing on a re-run, and picks up a change
    whose ``updated_at`` is inside the lookback window (30 min before the cursor)."""
    load_users = _import_loader(sb)
    with tempfile.TemporaryDirectory() as folder:
        app_db = Path(folder) / "app.db"
        warehouse = Path(folder) / "warehouse.duckdb"
        shutil.copy2(sb.data_dir / "sources" / "app.db", app_db)
        with sqlite3.connect(app_db) as con:
            users, newest = con.execute("select count(*), max(updated_at) from users").fetchone()
        first = load_users(app_db, warehouse)
        if _count(warehouse) != users or first != users:
            _fail(
                f"a first run into an empty warehouse stored {_count(warehouse)} row(s) and "
                f"returned {first!r}: not one row per user of the app database.",
                "with no cursor yet (empty table), read every row; return how many you inserted.",
            )
        again = load_users(app_db, warehouse)
        if again != 0 or _count(warehouse) != users:
            _fail(
                f"a second run with nothing new returned {again!r} and left {_count(warehouse)} "
                "row(s): a re-run must add nothing (idempotent).",
                "rows re-read in the lookback window that the table already has (same user_id "
                "and updated_at) must be skipped.",
            )
        with sqlite3.connect(app_db) as con:  # a late commit: older than the cursor, in the window
            con.execute(
                "update users set email = 'late@example.com', "
                "updated_at = datetime(?, '-30 minutes') "
                "where user_id = (select min(user_id) from users)",
                [newest],
            )
        late = load_users(app_db, warehouse)
        if late != 1:
            _fail(
                f"a change committed late (updated_at 30 minutes before the cursor) made the "
                f"next run return {late!r}: it must load exactly that one new version.",
                "read from the cursor minus the lookback (>=), not from the cursor.",
            )


#: What the learner's loader becomes for the teeth check: every re-read row is inserted again.
FORGETFUL = """
import {module} as _learner

def load_users(app_db, warehouse, lookback=None):
    import duckdb
    inserted = _learner.load_users(app_db, warehouse) if lookback is None else \\
        _learner.load_users(app_db, warehouse, lookback)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("insert into exercise.app_users select * from exercise.app_users "
                    "qualify row_number() over (order by updated_at desc) = 1")
    return inserted + 1
"""


def check_test_has_teeth(sb: Sandbox) -> None:
    """The learner's test passes on their loader and fails on one that inserts a re-read row
    again."""
    if not (sb.root / TEST).exists():
        _fail(f"{sb.shown(TEST)} does not exist yet.", "write your idempotency test there.")
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "loaders"
        shutil.copytree(sb.root / "loaders", copy)
        passed = sb.pytest(copy, copy.parent)
        if passed.returncode != 0:
            tail = "\n".join(passed.stdout.strip().splitlines()[-15:])
            _fail(
                f"your tests do not pass on your loader:\n{tail}", f"run !{COMMAND} and fix them."
            )
        (copy / "learner_users.py").write_text((copy / "users.py").read_text())
        (copy / "users.py").write_text(FORGETFUL.format(module="loaders.learner_users"))
        broken = sb.pytest(copy, copy.parent)
        if broken.returncode == 0:
            _fail(
                "your tests still pass on a loader that inserts a re-read row a second time.",
                "run load_users twice on the same data and assert the second run adds no row "
                "(the return value and the table's row count).",
            )
