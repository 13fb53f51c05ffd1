"""Exercise sandboxes: a private copy of the project where a learner's artefact is written.

An exercise never edits the real ``dbt_project/``. ``sandbox("03_staging")`` copies the dbt
project and the chapter's warehouse into ``<data>/sandboxes/03_staging/``; the learner's model is
written there and built there, in-process, against that copy::

    sb = sandbox("03_staging", todo=["stg_app__plans"])   # the model to write is blanked
    sb.write_model("stg_app__plans", my_sql)
    sb.dbt("build", "--select", "stg_app__plans")
    checks.model_builds(sb, "stg_app__plans", build=False)

Models listed in ``todo`` are replaced by a placeholder that fails with "TODO" when dbt builds
it, so an unsolved exercise fails its check instead of quietly using the reference answer.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Iterable, Iterator
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

    def __init__(self, name: str, root: Path) -> None:
        self.name = name
        self.root = root
        self.project_dir = root / "dbt_project"
        self.data_dir = root / "data"

    def __repr__(self) -> str:
        return f"Sandbox({self.name!r})"

    # -- files ------------------------------------------------------------------------------
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

    def query(self, sql: str, params: Any = None) -> pd.DataFrame:
        """A read-only query against the sandbox's own warehouse."""
        from workbook.query import query

        return query(
            sql, params, database=self.data_dir / "warehouse" / paths.warehouse_path().name
        )


def sandbox(name: str, *, todo: Iterable[str] = (), fresh: bool = True) -> Sandbox:
    """Create (or, with ``fresh=True``, recreate) the sandbox ``name`` for an exercise.

    Copies ``dbt_project/`` (without target/ and logs/), the current warehouse and the simulated
    clock into ``<data>/sandboxes/<name>/``. Each name in ``todo`` becomes a placeholder model.
    """
    root = paths.data_dir() / "sandboxes" / name
    if fresh and root.exists():
        shutil.rmtree(root)
    sb = Sandbox(name, root)
    if not sb.project_dir.exists():
        shutil.copytree(paths.DBT_PROJECT_DIR, sb.project_dir, ignore=_IGNORED)
        warehouse = paths.warehouse_path()
        sb.data_dir.mkdir(parents=True, exist_ok=True)
        if warehouse.exists():
            (sb.data_dir / "warehouse").mkdir(exist_ok=True)
            shutil.copy2(warehouse, sb.data_dir / "warehouse" / warehouse.name)
        if paths.clock_path().exists():
            shutil.copy2(paths.clock_path(), sb.data_dir / "clock.json")
        for model in todo:
            sb.path(model).write_text(TODO_MODEL.format(name=model), encoding="utf-8")
    return sb
