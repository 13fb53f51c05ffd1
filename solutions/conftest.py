"""pytest --nbval: each notebook runs with its own data folder (tests/notebooks/nbval_plugin.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "notebooks"))
from nbval_plugin import (  # noqa: E402, F401
    pytest_runtest_makereport,
    pytest_runtest_setup,
    pytest_runtest_teardown,
)
