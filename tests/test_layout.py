"""The repository's layout rules: no import cycles, the workbook by chapter, no renamed imports.

Read from the source text (``ast``), so a rule broken anywhere fails here, not in some chapter.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = (
    "sproutly",
    "microproduct",
    "ingestion",
    "orchestration",
    "serving",
    "workbook",
    "cutover",
    "bench",
    "tools",
)


def _modules(root: Path = REPO) -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (root / package).rglob("*.py"):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def import_graph(root: Path = REPO) -> dict[str, set[str]]:
    """module -> the project modules it imports, at module level or inside functions (a lazy
    import is still a dependency). A submodule importing its own parent package is not an edge."""
    modules = _modules(root)

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [resolve(alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [resolve(f"{node.module}.{alias.name}") for alias in node.names]
                targets.append(resolve(node.module))
            else:
                continue
            for target in targets:
                if target and target != name and not name.startswith(target + "."):
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_detector_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_in_the_project() -> None:
    found = cycles(import_graph())
    assert not found, f"import cycles (module-level or lazy imports): {found}"


def test_chapter_subpackages_are_named_after_notebooks_and_stay_apart() -> None:
    """``workbook/chNN_<slug>/`` serves ``notebooks/NN_<slug>.ipynb`` (or, for the capstone, which
    has no chapter, ``solutions/NN_<slug>.ipynb``); a chapter's package never imports another
    chapter's (what two chapters share belongs in the workbook's core)."""
    notebooks = {
        path.stem
        for folder in ("notebooks", "solutions")
        for path in (REPO / folder).glob("[0-9][0-9]_*.ipynb")
    }
    chapters = sorted(p.name for p in (REPO / "workbook").glob("ch[0-9][0-9]_*") if p.is_dir())
    assert chapters, "no chapter subpackages under workbook/"
    for chapter in chapters:
        assert chapter[2:] in notebooks, f"workbook/{chapter} serves no notebook"
    graph = import_graph()

    def chapter_of(module: str) -> str | None:
        found = re.match(r"workbook\.(ch\d\d_\w+?)(\.|$)", module)
        return found.group(1) if found else None

    for name, targets in graph.items():
        own = chapter_of(name)
        if own is None:
            continue
        others = {t for t in targets if chapter_of(t) not in (None, own)}
        assert not others, f"{name} imports another chapter's code: {sorted(others)}"
    core = [n for n in graph if n.startswith("workbook") and chapter_of(n) is None]
    for name in core:
        chapter_imports = {t for t in graph[name] if chapter_of(t)}
        assert not chapter_imports, f"the workbook's core {name} imports {chapter_imports}"


def test_notebooks_import_workbook_modules_without_renaming() -> None:
    """``from workbook.ch06_observability import drills, views`` reads like the chapter it serves;
    ``import ... as`` on the workbook hides where the code lives."""
    renamed = []
    for folder in ("notebooks", "solutions"):
        for path in sorted((REPO / folder).glob("*.ipynb")):
            for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
                if cell["cell_type"] != "code":
                    continue
                source = "".join(cell["source"])
                source = "\n".join(
                    line for line in source.splitlines() if not line.lstrip().startswith(("!", "%"))
                )
                try:
                    tree = ast.parse(source)
                except SyntaxError:
                    continue
                for node in ast.walk(tree):
                    if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                        "workbook"
                    ):
                        renamed += [
                            f"{path.name}: {node.module}.{a.name} as {a.asname}"
                            for a in node.names
                            if a.asname
                        ]
    assert not renamed, f"workbook imports renamed in notebooks: {renamed}"
