"""The one settings object (sproutly.settings): .env reaches the pipeline, errors name the
variable, secrets never print, and .env.example lists exactly the variables it knows."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from sproutly import paths

EXAMPLE = paths.REPO_ROOT / ".env.example"
SECRET = "s3cret-sentinel-7f2b"


def example_names() -> set[str]:
    """Every ``NAME=`` of .env.example, set or commented out."""
    return set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", EXAMPLE.read_text(), flags=re.MULTILINE))


def test_env_example_lists_exactly_the_known_variables():
    from sproutly.settings import NAMES

    assert example_names() == set(NAMES), (
        f"missing from .env.example: {sorted(set(NAMES) - example_names())}; "
        f"unknown to sproutly.settings: {sorted(example_names() - set(NAMES))}"
    )


def test_a_value_set_only_in_dotenv_reaches_the_pipeline(tmp_path):
    """SPROUTLY_TARGET and SPROUTLY_DATA_DIR only in a .env file: the simulator and the loader
    (separate processes, like `make run`) write prod.duckdb under that folder, and child
    processes (dbt reads its profile with env_var()) see the same target."""
    data = tmp_path / "data"
    dotenv = tmp_path / ".env"
    dotenv.write_text(f"SPROUTLY_TARGET=prod\nSPROUTLY_DATA_DIR={data}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SPROUTLY_", "DBT_"))}
    env["SPROUTLY_ENV_FILE"] = str(dotenv)
    run = [sys.executable, "-m"]
    for command in (
        ["microproduct", "init", "--seed", "1", "--scale", "0.01", "--days", "2"],
        ["ingestion", "load", "app"],
    ):
        done = subprocess.run(
            run + command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr[-2000:]
    assert (data / "warehouse" / "prod.duckdb").exists()
    assert not (data / "warehouse" / "dev.duckdb").exists()
    child = subprocess.run(
        [sys.executable, "-c", "import sproutly.paths, os; print(os.environ['SPROUTLY_TARGET'])"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert child.stdout.strip() == "prod"


def test_the_environment_wins_over_dotenv(tmp_path):
    from sproutly.settings import export_dotenv

    dotenv = tmp_path / ".env"
    dotenv.write_text("SPROUTLY_TARGET=prod\nSERVING_PORT=9000\n")
    environment = {"SPROUTLY_TARGET": "dev"}
    assert export_dotenv(dotenv, environment) == ["SERVING_PORT"]
    assert environment == {"SPROUTLY_TARGET": "dev", "SERVING_PORT": "9000"}


@pytest.mark.parametrize(
    ("name", "value", "accepted"),
    [
        ("SPROUTLY_TARGET", "staging", "dev, prod, snowflake_emulated or snowflake"),
        ("BILLING_API_MAX_ATTEMPTS", "two", "an integer 1..100"),
        ("BILLING_API_MAX_ATTEMPTS", "0", "an integer 1..100"),
        ("SERVING_PORT", "70000", "a port 0..65535"),
        ("SPROUTLY_NOW", "yesterday", "an ISO-8601 time"),
        ("BILLING_API_URL", "ftp://x", "an http(s) URL"),
    ],
)
def test_an_invalid_value_names_the_variable_and_the_accepted_values(
    monkeypatch, name, value, accepted
):
    from sproutly.settings import SettingsError, settings

    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as error:
        settings()
    assert name in str(error.value) and accepted in str(error.value)
    assert repr(value) not in str(error.value)  # values never appear (they could be secrets)


SECRETS = (
    "BILLING_API_TOKEN",
    "ALERT_WEBHOOK_URL",
    "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE",
    "SNOWFLAKE_LOADER_PRIVATE_KEY_PASSPHRASE",
)


def test_no_secret_prints(monkeypatch, capsys):
    from sproutly.settings import SettingsError, settings

    for name in SECRETS:
        monkeypatch.setenv(name, f"{SECRET}-{name}")
    current = settings()
    print(current, repr(current), current.model_dump(), current.model_dump_json())
    assert current.plain("BILLING_API_TOKEN") == f"{SECRET}-BILLING_API_TOKEN"  # handed on
    monkeypatch.setenv("SPROUTLY_TARGET", "nope")
    with pytest.raises(SettingsError) as error:
        settings()
    printed = capsys.readouterr().out + str(error.value) + repr(error.value)
    assert SECRET not in printed


def test_a_configured_token_is_kept_for_the_simulated_billing_api(monkeypatch, tmp_path):
    """BILLING_API_TOKEN without BILLING_API_URL: the simulated API uses that token (it used to
    be replaced by a random one)."""
    from orchestration.defs.resources import BillingAPIResource

    monkeypatch.setenv("SPROUTLY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SPROUTLY_NOW", "2026-01-02 00:00:00")
    resource = BillingAPIResource(url=None, token=SECRET)
    with resource.connection() as (url, token, mode):
        assert (token, mode) == (SECRET, "simulated")
