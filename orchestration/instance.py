"""The local Dagster instance: ``$DAGSTER_HOME`` inside the project's data folder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from sproutly import paths

TEMPLATE = Path(__file__).with_name("dagster.yaml")


def ensure_dagster_home() -> Path:
    """Create ``data/dagster_home`` with our dagster.yaml and point ``DAGSTER_HOME`` at it.

    An explicitly set ``DAGSTER_HOME`` wins (it must be absolute, as Dagster requires).
    """
    home = Path(os.environ.get("DAGSTER_HOME") or paths.dagster_home()).resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists() or config.read_text() != TEMPLATE.read_text():
        shutil.copyfile(TEMPLATE, config)
    os.environ["DAGSTER_HOME"] = str(home)
    return home
