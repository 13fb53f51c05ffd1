"""``python -m cutover check`` without credentials, and the real account's settings."""

from __future__ import annotations

import os
import subprocess
import sys
from types import SimpleNamespace

import pytest

from cutover import portability, run
from cutover.__main__ import main
from cutover.portability import GateResult, Problem
from sproutly import paths


@pytest.fixture
def no_snowflake(monkeypatch):
    for name in [n for n in os.environ if n.startswith("SNOWFLAKE_")]:
        monkeypatch.delenv(name)


@pytest.fixture
def gate(monkeypatch):
    """The portability gate replaced by a stub (the real one runs in `make lint`): records its
    calls and reports the problems a test puts in ``gate.problems``."""
    stub = SimpleNamespace(calls=0, problems=[])

    def fake_gate(timeout: float = 600) -> GateResult:
        stub.calls += 1
        return GateResult(statements=1, problems=list(stub.problems))

    monkeypatch.setattr(portability, "gate", fake_gate)
    return stub


def test_check_runs_the_gate_then_names_every_missing_variable(no_snowflake, gate, capsys):
    assert main(["check"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert gate.calls == 1 and out[0].startswith("portability gate: 1 compiled statements")
    assert out[-1].startswith(
        "skipped: missing SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER, SNOWFLAKE_PRIVATE_KEY_PATH "
        "(names only;"
    )


def test_check_stops_when_the_gate_fails(no_snowflake, gate, capsys):
    gate.problems = [Problem(3, 9, "unparsable: 'x'", path="compiled/m.sql")]
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert "compiled/m.sql:3:9: unparsable: 'x'" in out and "skipped" not in out


def test_check_skips_from_the_command_line(no_snowflake):
    result = subprocess.run(  # noqa: S603 - our own module
        [sys.executable, "-m", "cutover", "check", "--no-gate"],
        capture_output=True,
        text=True,
        cwd=str(paths.REPO_ROOT),
        env={k: v for k, v in os.environ.items() if not k.startswith("SNOWFLAKE_")},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "skipped: missing SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER" in result.stdout


def test_a_partial_configuration_names_what_is_missing(no_snowflake, monkeypatch, capsys):
    monkeypatch.setenv("SNOWFLAKE_ACCOUNT", "xy12345")
    assert run.missing_real_settings() == ["SNOWFLAKE_USER", "SNOWFLAKE_PRIVATE_KEY_PATH"]
    assert main(["check", "--no-gate"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("skipped: missing SNOWFLAKE_USER, SNOWFLAKE_PRIVATE_KEY_PATH (")
    assert "xy12345" not in out  # names only, never a value
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
