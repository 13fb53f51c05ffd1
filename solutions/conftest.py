"""pytest --nbval: run each notebook with its own data folder (see workbook/testing.py)."""

from workbook.testing import pytest_runtest_setup, pytest_runtest_teardown  # noqa: F401
