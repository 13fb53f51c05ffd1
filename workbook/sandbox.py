"""Exercise sandboxes: a private copy of the project where the learner writes real files.

An exercise never edits the real ``dbt_project/``. ``sandbox(...)`` copies the dbt project (no
``target/`` or ``logs/``), the chapter's warehouse and the simulated clock into
``<data>/sandboxes/<name>/``, deletes the artefact the learner is to write, and makes that folder
the working folder of the notebook, with the variables a terminal there would have
(``DBT_PROJECT_DIR``, ``DBT_PROFILES_DIR``, ``SPROUTLY_DATA_DIR``, dbt's target and log folders,
``PYTHONPATH`` when it holds Python, ``DAGSTER_HOME`` when it holds ``orchestration/``). The learner writes the file and runs the real command::

    sb = sandbox("ex02-1", remove=["models/staging/app/stg_app__plans.sql"],
                 write=["models/staging/app/stg_app__plans.sql"],
                 command="dbt build --select stg_app__plans")

    %%writefile {sb.file("models/staging/app/stg_app__plans.sql")}
    with source as (...) select ...

    !dbt build --select stg_app__plans --quiet

    checks.dbt_passed(sb, "stg_app__plans")          # reads the sandbox's run_results.json

``sb.leave()`` (or the next ``checkpoint()`` or ``sandbox()``) goes back to the course's folder
and variables. A sandbox created without ``write``/``command``/``remove``/``copy`` (the older,
in-process style: ``sb.write_model(...)``, ``sb.dbt(...)``) changes neither.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from sproutly import paths
from sproutly.env import temporarily

_IGNORED = shutil.ignore_patterns("target", "logs", "dbt_packages", ".user.yml", "__pycache__")

TODO_MODEL = """\
{{% if execute %}}
{{{{ exceptions.raise_compiler_error("TODO: {name} is yours to write: sb.write_model('{name}', sql)") }}}}
{{% endif %}}
select 1 as todo
"""


class Sandbox:
    """A per-exercise copy of ``dbt_project/`` plus its own warehouse copy."""

    def __init__(self, name: str, root: Path, course_data_dir: Path | None = None) -> None:
        self.name = name
        self.root = root
        self.project_dir = root / "dbt_project"
        self.data_dir = root / "data"
        #: the sandbox's Dagster instance (``$DAGSTER_HOME``), made when ``orchestration/`` is
        #: copied: the project's dagster.yaml (telemetry off), or the copied history's
        self.dagster_home = self.data_dir / "dagster_home"
        #: the course's data folder (where the reference answers are computed from)
        self.course_data_dir = course_data_dir or root.parent.parent
        #: repository folders copied beside ``dbt_project/`` (``ingestion``, ``tests/...``)
        self.copied: tuple[str, ...] = ()
        self.write: tuple[str, ...] = ()
        self.commands: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"Sandbox({self.name!r})"

    # -- files ------------------------------------------------------------------------------
    def _absolute(self, relative_path: str | Path) -> Path:
        """A sandbox file: relative to the sandbox folder when it starts with a copied folder
        (``ingestion/...``) or ``dbt_project/``, otherwise relative to the dbt project."""
        relative = Path(relative_path)
        first = relative.parts[0] if relative.parts else ""
        copied = {Path(c).parts[0] for c in self.copied} | {"dbt_project", "data"}
        target = (self.root if first in copied else self.project_dir) / relative
        if self.root.resolve() not in target.resolve().parents:
            raise ValueError(f"{relative_path} is outside the sandbox")
        return target

    def file(self, relative_path: str | Path) -> Path:
        """The path to give ``%%writefile`` for a sandbox file (its folder is created).

        Relative to the sandbox folder while it is the working folder (so the cell's output
        reads ``Writing dbt_project/models/...``), absolute otherwise."""
        target = self._absolute(relative_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        if Path.cwd().resolve() == self.root.resolve():
            return target.relative_to(self.root)
        return target

    def shown(self, relative_path: str | Path) -> str:
        """A sandbox file as a learner finds it in JupyterLab's file browser (no tmp paths):
        ``data/sandboxes/<name>/...`` under the repository's data folder, else
        ``<data>/sandboxes/<name>/...``."""
        target = self._absolute(relative_path)
        inside = target.resolve().relative_to(self.course_data_dir.resolve()).as_posix()
        if self.course_data_dir.resolve() == (paths.REPO_ROOT / "data").resolve():
            return f"data/{inside}"
        return f"<data>/{inside}"

    def path(self, name: str) -> Path:
        """The sandbox's file for a model / test / macro name (``"stg_app__plans"``)."""
        stem = name.removesuffix(".sql")
        for folder in ("models", "snapshots", "tests", "macros"):
            matches = sorted((self.project_dir / folder).rglob(f"{stem}.sql"))
            if matches:
                return matches[0]
        raise FileNotFoundError(f"{stem}.sql is not in sandbox {self.name!r}")

    def display_path(self, name: str) -> str:
        """Where a model lives, as a learner would find it (``<data>/sandboxes/...``)."""
        try:
            target = self.path(name)
        except FileNotFoundError:
            target = self.project_dir / "models" / f"{name}.sql"
        return "<data>/" + target.relative_to(paths.data_dir()).as_posix()

    def write_model(self, name: str, sql: str, folder: str | None = None) -> Path:
        """Write (or overwrite) ``<name>.sql``: an existing model is replaced in place; a new one
        goes into ``models/<folder>/``."""
        if folder is None:
            try:
                target = self.path(name)
            except FileNotFoundError:
                raise FileNotFoundError(
                    f"{name} is a new model: say where it goes, e.g. "
                    f"sb.write_model({name!r}, sql, folder='staging/app')"
                ) from None
        else:
            target = self.project_dir / "models" / folder / f"{name}.sql"
        return self.write_file(target.relative_to(self.project_dir), sql)

    def write_file(self, relative_path: str | Path, text: str) -> Path:
        """Write any project file (a YAML, a singular test) relative to the sandbox project."""
        target = self.project_dir / relative_path
        if self.project_dir.resolve() not in target.resolve().parents:
            raise ValueError(f"{relative_path} is outside the sandbox project")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).strip() + "\n", encoding="utf-8")
        return target

    # -- running ----------------------------------------------------------------------------
    @contextmanager
    def _active(self) -> Iterator[None]:
        """Point ``sproutly.dbt`` and the data root at the sandbox for the duration of a call."""
        import sproutly.dbt as sproutly_dbt

        saved_project = sproutly_dbt.PROJECT_DIR
        sproutly_dbt.PROJECT_DIR = self.project_dir
        try:
            with temporarily(
                {
                    "SPROUTLY_DATA_DIR": str(self.data_dir),
                    "DBT_TARGET_PATH": str(self.project_dir / "target"),
                    "DBT_LOG_PATH": str(self.project_dir / "logs"),
                }
            ):
                yield
        finally:
            sproutly_dbt.PROJECT_DIR = saved_project

    def dbt(self, *args: str, silent: bool = True, **kwargs: Any):
        """Run a dbt command (in-process, via ``sproutly.dbt.dbt``) on the sandbox project and
        warehouse. Returns dbt's result; inspect :meth:`statuses` or :meth:`failures`.

        ``silent=True`` adds ``--log-level none``: even ``--quiet`` dbt prints errors with
        wall-clock timestamps, and a notebook's output must not change from run to run. The
        errors are in :meth:`failures` (and the checks print them).
        """
        from sproutly.dbt import dbt

        extra = ("--log-level", "none") if silent else ()
        with self._active():
            return dbt(*args, *extra, **kwargs)

    def run_results(self) -> dict:
        """The sandbox's last ``run_results.json``."""
        from sproutly.dbt import run_results

        return run_results(self.project_dir / "target")

    def statuses(self) -> dict[str, str]:
        """``unique_id -> status`` of the sandbox's last dbt command."""
        from sproutly.dbt import node_statuses

        try:
            return node_statuses(self.run_results())
        except FileNotFoundError:
            return {}

    def failures(self) -> str:
        """dbt's messages for every node that failed (``sproutly.dbt.failure_messages``), one
        per line."""
        from sproutly.dbt import failure_messages

        try:
            messages = failure_messages(self.run_results())
        except FileNotFoundError:
            return ""
        return "\n".join(f"{unique_id}: {message}" for unique_id, message in messages.items())

    def manifest(self) -> dict:
        """The sandbox's last ``manifest.json`` (written by any dbt command run there)."""
        from sproutly.dbt import manifest

        return manifest(self.project_dir / "target")

    def reference(self, sql: str, params: Any = None) -> pd.DataFrame:
        """A read-only query against the *course's* warehouse (the reference answers), whatever
        the sandbox has exported."""
        from workbook.query import query

        return query(
            sql,
            params,
            database=self.course_data_dir / "warehouse" / paths.warehouse_path().name,
        )

    # -- the working folder -----------------------------------------------------------------
    def pytest(self, target: Path, root: Path) -> subprocess.CompletedProcess:
        """``python -m pytest <target>`` as the learner's ``!`` command runs it: this sandbox's
        variables, ``root`` as the working folder and first on the import path (a check may run
        the learner's test against a copy of their files). Never raises: read ``returncode``."""
        return subprocess.run(
            [sys.executable, "-m", "pytest", str(target), "-q", "-p", "no:cacheprovider"],
            cwd=root,
            env={
                **os.environ,
                **self.environment(),
                "PYTHONPATH": str(root),
                "PY_COLORS": "0",
                "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",  # the learner's test needs none: faster
            },
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def environment(self) -> dict[str, str]:
        """The variables a terminal in this sandbox has (dbt and Python find the sandbox)."""
        variables = {
            "SPROUTLY_DATA_DIR": str(self.data_dir.resolve()),
            "DBT_PROJECT_DIR": str(self.project_dir.resolve()),
            "DBT_PROFILES_DIR": str(self.project_dir.resolve()),
            "DBT_TARGET_PATH": str((self.project_dir / "target").resolve()),
            "DBT_LOG_PATH": str((self.project_dir / "logs").resolve()),
        }
        if self.copied:  # Python the learner's command imports (copied or written there)
            variables["PYTHONPATH"] = str(self.root.resolve())
            variables["PY_COLORS"] = "0"  # pytest's summary without colour codes (sanitisable)
        if self.dagster_home.exists():  # `dg` and `dagster` read this instance (telemetry off)
            variables["DAGSTER_HOME"] = str(self.dagster_home.resolve())
        return variables

    def enter(self) -> Sandbox:
        """Make this sandbox the working folder, with its variables exported (for ``!`` cells)."""
        leave()
        _ACTIVE["saved"] = {name: os.environ.get(name) for name in _EXPORTED}
        _ACTIVE["cwd"] = os.getcwd()
        _ACTIVE["sandbox"] = self
        os.environ.update(self.environment())
        os.chdir(self.root)
        return self

    def leave(self) -> None:
        """Back to the course's working folder and variables."""
        if _ACTIVE.get("sandbox") is self:
            leave()

    def panel(self) -> str:
        """What to write and what to run, as the learner sees it (deterministic)."""
        lines = [
            f"Sandbox {self.name}: your working folder is {self.shown('dbt_project').removesuffix('/dbt_project')}"
        ]
        for relative in self.write:
            lines.append(f"  write: {self.shown(relative)}")
        for command in self.commands:
            lines.append(f"  run:   !{command}")
        return "\n".join(lines)

    def query(self, sql: str, params: Any = None) -> pd.DataFrame:
        """A read-only query against the sandbox's own warehouse."""
        from workbook.query import query

        return query(
            sql, params, database=self.data_dir / "warehouse" / paths.warehouse_path().name
        )


#: What :meth:`Sandbox.enter` exports (and :func:`leave` restores).
_EXPORTED = (
    "SPROUTLY_DATA_DIR",
    "DBT_PROJECT_DIR",
    "DBT_PROFILES_DIR",
    "DBT_TARGET_PATH",
    "DBT_LOG_PATH",
    "PYTHONPATH",
    "PY_COLORS",
    "DAGSTER_HOME",
)
_ACTIVE: dict[str, Any] = {}


def leave() -> None:
    """Leave the active sandbox, if any: the working folder and the exported variables are the
    course's again. ``checkpoint()`` calls it first."""
    if "sandbox" not in _ACTIVE:
        return
    saved = _ACTIVE.pop("saved")
    cwd = _ACTIVE.pop("cwd")
    _ACTIVE.pop("sandbox")
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    os.chdir(cwd)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _drop_relation(sb: Sandbox, name: str) -> None:
    """Drop a removed model's table or view from the sandbox warehouse (any schema)."""
    import duckdb

    warehouse = sb.data_dir / "warehouse" / paths.warehouse_path().name
    if not warehouse.exists():
        return
    with duckdb.connect(str(warehouse)) as con:
        found = con.execute(
            "select table_schema, table_name, table_type from information_schema.tables"
            " where table_name = ?",
            [name],
        ).fetchall()
        for schema, table, kind in found:
            what = "view" if kind == "VIEW" else "table"
            con.execute(f'drop {what} if exists "{schema}"."{table}"')


def sandbox(
    name: str,
    *,
    remove: Iterable[str] = (),
    copy: Iterable[str] = (),
    data: Iterable[str] = (),
    folders: Iterable[str] = (),
    write: Iterable[str] = (),
    command: str | Sequence[str] = (),
    todo: Iterable[str] = (),
    fresh: bool = True,
) -> Sandbox:
    """Create (``fresh=True``: recreate) the sandbox ``name`` in ``<course data>/sandboxes/``.

    Copies ``dbt_project/`` (without target/ and logs/), the current warehouse and the simulated
    clock; ``copy`` adds repository folders or files (``"ingestion"``, ``"tests/ingestion"``) and
    ``data`` files or folders of the data folder (``"sources/app.db"``); ``folders`` creates empty
    folders at the sandbox root for Python the learner writes (``"loaders"``). Every ``remove`` path (relative to the
    dbt project, or to the sandbox for copied folders) is deleted, with any other file of the
    same content and, for a model, its relation in the warehouse: the answer is nowhere in the
    sandbox. ``write`` and ``command`` are shown in the printed panel (the files to write, the
    commands to run).

    An exercise sandbox (any of ``remove``, ``copy``, ``write``, ``command``) becomes the
    working folder with its variables exported (see :meth:`Sandbox.enter`), so ``!dbt build``
    and ``!python -m pytest`` run there. Each name in ``todo`` (older style) becomes a
    placeholder model that fails with "TODO".
    """
    leave()  # a second sandbox never nests inside the first
    commands = (command,) if isinstance(command, str) else tuple(command)
    remove, copy, data, write = tuple(remove), tuple(copy), tuple(data), tuple(write)
    folders = tuple(folders)
    course = paths.data_dir()
    root = course / "sandboxes" / name
    if fresh and root.exists():
        shutil.rmtree(root)
    sb = Sandbox(name, root, course)
    sb.copied, sb.write, sb.commands = copy + folders, write, commands
    if not sb.project_dir.exists():
        shutil.copytree(paths.DBT_PROJECT_DIR, sb.project_dir, ignore=_IGNORED)
        for relative in copy:
            source = paths.REPO_ROOT / relative
            if source.is_dir():
                shutil.copytree(source, root / relative, ignore=_IGNORED)
            else:
                (root / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, root / relative)
        warehouse = paths.warehouse_path()
        sb.data_dir.mkdir(parents=True, exist_ok=True)
        if warehouse.exists():
            (sb.data_dir / "warehouse").mkdir(exist_ok=True)
            shutil.copy2(warehouse, sb.data_dir / "warehouse" / warehouse.name)
        if paths.clock_path().exists():
            shutil.copy2(paths.clock_path(), sb.data_dir / "clock.json")
        for relative in data:
            source = course / relative
            (sb.data_dir / relative).parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, sb.data_dir / relative)
            elif source.exists():
                shutil.copy2(source, sb.data_dir / relative)
        for folder in folders:
            (root / folder).mkdir(parents=True, exist_ok=True)
        template = root / "orchestration" / "dagster.yaml"
        if template.exists() and not (sb.dagster_home / "dagster.yaml").exists():
            # without it `dg` writes usage logs and a telemetry id to ~/.dagster
            sb.dagster_home.mkdir(parents=True, exist_ok=True)
            shutil.copy2(template, sb.dagster_home / "dagster.yaml")
        _remove(sb, remove)
        for model in todo:
            sb.path(model).write_text(TODO_MODEL.format(name=model), encoding="utf-8")
    if remove or copy or folders or write or commands:
        sb.enter()
        print(sb.panel())
    return sb


def _remove(sb: Sandbox, remove: Sequence[str]) -> None:
    digests = set()
    for relative in remove:
        target = sb._absolute(relative)
        if not target.exists():
            raise FileNotFoundError(f"{relative} is not in sandbox {sb.name!r}: nothing to remove")
        if target.is_dir():
            shutil.rmtree(target)
            continue
        digests.add(_digest(target))
        target.unlink()
        if target.suffix == ".sql" and "models" in target.relative_to(sb.root).parts:
            _drop_relation(sb, target.stem)
    if digests:  # no second copy of a removed file anywhere in the sandbox (code, not data)
        for path in sb.root.rglob("*"):
            if path.is_file() and sb.data_dir not in path.parents and _digest(path) in digests:
                path.unlink()
