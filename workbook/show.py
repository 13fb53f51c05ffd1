"""Show the project's real files in a notebook instead of pasting copies that drift.

Every helper returns a :class:`Shown` object, which Jupyter renders as a Markdown code block with
the file's path as a caption (its plain-text form is the code itself, so tests can compare it)::

    show.sql("stg_app__users")                 # finds dbt_project/models/**/stg_app__users.sql
    show.yaml("stg_app__users")                # the YAML file that documents that model
    show.python("orchestration.defs.ingest")   # a module, function, class or Dagster asset
    show.file("docs/contracts.md", lines=(1, 20))
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import textwrap
from dataclasses import dataclass
from pathlib import Path

from sproutly import paths

_SKIP_DIRS = {"target", "logs", "dbt_packages", "__pycache__", ".ipynb_checkpoints"}
_LANGUAGES = {
    ".sql": "sql",
    ".yml": "yaml",
    ".yaml": "yaml",
    ".py": "python",
    ".md": "markdown",
    ".json": "json",
    ".jsonl": "json",
    ".toml": "toml",
    ".cfg": "ini",
    ".txt": "text",
}


@dataclass(frozen=True)
class Shown:
    """A file (or part of one) to display: where it lives and what it says."""

    path: str
    language: str
    text: str

    def _repr_markdown_(self) -> str:
        fence = "````" if "```" in self.text else "```"
        return f"`{self.path}`\n\n{fence}{self.language}\n{self.text}\n{fence}\n"

    def __repr__(self) -> str:
        return f"# {self.path}\n{self.text}"


def _display_path(path: Path) -> str:
    """A path a reader can find: relative to the repository, or ``<data>/...`` for data files."""
    path = path.resolve()
    for root, label in ((paths.data_dir(), "<data>"), (paths.REPO_ROOT, None)):
        try:
            relative = path.relative_to(root)
        except ValueError:
            continue
        return f"{label}/{relative.as_posix()}" if label else relative.as_posix()
    return path.name


def _project_files(pattern: str, root: Path | None = None) -> list[Path]:
    root = root or paths.DBT_PROJECT_DIR
    return sorted(p for p in root.rglob(pattern) if not _SKIP_DIRS & set(p.relative_to(root).parts))


def _not_found(kind: str, name: str, candidates: list[str]) -> FileNotFoundError:
    close = difflib.get_close_matches(name, candidates, n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    return FileNotFoundError(f"No {kind} named {name!r} in the dbt project.{hint}")


def _cut(text: str, lines: tuple[int, int] | None) -> str:
    if lines is None:
        return text.rstrip("\n")
    start, end = lines
    return "\n".join(text.splitlines()[start - 1 : end])


def file(path: str | Path, lines: tuple[int, int] | None = None) -> Shown:
    """Show a file (relative paths are taken from the repository root); ``lines=(first, last)``."""
    path = Path(path)
    if not path.is_absolute():
        path = paths.REPO_ROOT / path
    if not path.exists():
        raise FileNotFoundError(f"{_display_path(path)} does not exist")
    text = path.read_text(encoding="utf-8")
    return Shown(_display_path(path), _LANGUAGES.get(path.suffix, "text"), _cut(text, lines))


def sql(name: str, lines: tuple[int, int] | None = None, project_dir: Path | None = None) -> Shown:
    """Show a dbt model, snapshot, test or macro file by name (``"stg_app__users"``)."""
    stem = name.removesuffix(".sql")
    matches = _project_files(f"{stem}.sql", project_dir)
    if not matches:
        raise _not_found("SQL file", stem, [p.stem for p in _project_files("*.sql", project_dir)])
    return file(matches[0], lines)


def yaml(name: str, lines: tuple[int, int] | None = None, project_dir: Path | None = None) -> Shown:
    """Show a YAML file by file name (``"_app__sources"``, ``"dbt_project"``) or the YAML file
    that documents a model (``"stg_app__users"``)."""
    root = project_dir or paths.DBT_PROJECT_DIR
    stem = name.removesuffix(".yml").removesuffix(".yaml")
    for pattern in (f"{stem}.yml", f"{stem}.yaml"):
        if matches := _project_files(pattern, root):
            return file(matches[0], lines)
    for candidate in _project_files("*.yml", root):
        text = candidate.read_text(encoding="utf-8")
        if f"name: {stem}\n" in text or f"name: {stem} " in text:
            return file(candidate, lines)
    names = [p.stem for p in _project_files("*.yml", root)]
    names += [p.stem for p in _project_files("*.sql", root)]
    raise _not_found("YAML file or documented model", stem, names)


def _unwrap(obj: object) -> object:
    """Reach the user's function inside decorators (including Dagster asset definitions)."""
    op = getattr(obj, "op", None)  # dagster AssetsDefinition -> OpDefinition
    compute_fn = getattr(op, "compute_fn", None) or getattr(obj, "compute_fn", None)
    decorated = getattr(compute_fn, "decorated_fn", None)
    if decorated is not None:
        return decorated
    return inspect.unwrap(obj) if callable(obj) else obj


def python(obj: object, lines: tuple[int, int] | None = None) -> Shown:
    """Show Python source: a module (object or dotted name), a function, a class, or a
    Dagster definition such as an ``@asset``."""
    if isinstance(obj, str):
        module_name, _, attribute = obj.partition(":")
        obj = importlib.import_module(module_name)
        if attribute:
            obj = getattr(obj, attribute)
    target = _unwrap(obj)
    source_file = Path(inspect.getsourcefile(target) or "")
    text = inspect.getsource(target)
    if inspect.ismodule(target):
        return Shown(_display_path(source_file), "python", _cut(text, lines))
    return Shown(_display_path(source_file), "python", _cut(textwrap.dedent(text), lines))
