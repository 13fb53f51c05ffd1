"""Execute a notebook the way the tests need it: fresh kernel, own data folder, outputs kept."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

from workbook.testing import notebook_environment


def execute(path: Path, root: Path, *, allow_errors: bool, timeout: int = 600):
    """Run ``path`` from its own folder with its own data folder under ``root``; return the
    executed notebook (the file on disk is not changed)."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=allow_errors,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute(env=notebook_environment(root, path))
    return notebook


def errors(notebook) -> list[tuple[str, list[str], str, str]]:
    """``(cell id, tags, exception name, message)`` for every cell that raised."""
    found = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                tags = list(cell.get("metadata", {}).get("tags", []))
                found.append((cell.get("id", "?"), tags, output["ename"], output["evalue"]))
    return found
