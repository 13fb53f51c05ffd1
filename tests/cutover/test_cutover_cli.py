"""``python -m cutover check`` without credentials, and the real account's settings."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from cutover import run
from cutover.__main__ import main
from sproutly import paths


@pytest.fixture
def no_snowflake(monkeypatch):
    for name in [n for n in os.environ if n.startswith("SNOWFLAKE_")]:
        monkeypatch.delenv(name)


def test_check_skips_without_an_account(no_snowflake, capsys):
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        "skipped: SNOWFLAKE_ACCOUNT not set (set SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER"
    )


def test_check_skips_from_the_command_line(no_snowflake):
    result = subprocess.run(  # noqa: S603 - our own module
        [sys.executable, "-m", "cutover", "check"],
        capture_output=True,
        text=True,
        cwd=str(paths.REPO_ROOT),
        env={k: v for k, v in os.environ.items() if not k.startswith("SNOWFLAKE_")},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "skipped: SNOWFLAKE_ACCOUNT not set" in result.stdout


def test_a_partial_configuration_names_what_is_missing(no_snowflake, monkeypatch, capsys):
    monkeypatch.setenv("SNOWFLAKE_ACCOUNT", "xy12345")
    assert run.missing_real_settings() == ["SNOWFLAKE_USER", "SNOWFLAKE_PRIVATE_KEY_PATH"]
    assert main(["check"]) == 0
    assert capsys.readouterr().out.startswith("skipped: SNOWFLAKE_USER not set")
    with pytest.raises(RuntimeError, match="SNOWFLAKE_USER, SNOWFLAKE_PRIVATE_KEY_PATH"):
        run.real_connect_args()


def test_real_connection_uses_key_pair_and_the_loader_identity(no_snowflake, monkeypatch):
    monkeypatch.setenv("SNOWFLAKE_ACCOUNT", "xy12345")
    monkeypatch.setenv("SNOWFLAKE_USER", "SPROUTLY_TRANSFORMER")
    monkeypatch.setenv("SNOWFLAKE_PRIVATE_KEY_PATH", "/keys/transformer.p8")
    dbt_side = run.real_connect_args()
    assert dbt_side["authenticator"] == "SNOWFLAKE_JWT"
    assert dbt_side["role"] == "TRANSFORMER" and "password" not in dbt_side
    assert run.real_connect_args(loader=True)["user"] == "SPROUTLY_TRANSFORMER"  # falls back
    monkeypatch.setenv("SNOWFLAKE_LOADER_USER", "SPROUTLY_LOADER")
    monkeypatch.setenv("SNOWFLAKE_LOADER_ROLE", "LOADER")
    monkeypatch.setenv("SNOWFLAKE_LOADER_PRIVATE_KEY_PATH", "/keys/loader.p8")
    loader = run.real_connect_args(loader=True)
    assert (loader["user"], loader["role"], loader["private_key_file"]) == (
        "SPROUTLY_LOADER",
        "LOADER",
        "/keys/loader.p8",
    )


def test_profiles_take_the_real_account_from_the_environment_only():
    import yaml

    outputs = yaml.safe_load((paths.DBT_PROJECT_DIR / "profiles.yml").read_text())["sproutly"][
        "outputs"
    ]
    real = outputs["snowflake"]
    assert real["type"] == "snowflake" and "password" not in real
    for key in ("account", "user", "role", "warehouse", "database", "private_key_path"):
        assert "env_var('SNOWFLAKE_" in real[key], key
    emulated = outputs["snowflake_emulated"]
    assert emulated["protocol"] == "http" and emulated["connect_retries"] == 0
    assert "SNOWFLAKE_EMULATOR_PORT" in emulated["port"]
