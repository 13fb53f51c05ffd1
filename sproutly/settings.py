"""Every setting the project reads, in one validated object: the environment, then ``.env``.

    from sproutly.settings import settings
    settings().sproutly_target            # "dev" or "prod" ... (validated)
    settings().billing_api_token          # SecretStr | None: .get_secret_value() where it is sent

This module is the only place the project reads environment variables. Precedence, highest
first: a variable set in the process environment, then ``.env`` at the repository root, then the
default below. ``.env.example`` lists every variable this object knows (a test keeps them equal).

Why ``.env`` is *exported* into the process environment (once, when this module is imported,
never overriding a variable that is already set): dbt reads its profile with ``env_var()``,
Dagster's CLI and webserver load ``.env`` themselves, and the pipeline starts child processes
(dbt, the Snowflake emulator, Dagster). Exporting gives all of them the same values with the same
precedence as Dagster's own loader, so ``make ui`` and ``make run`` build the same target. The
object itself then reads ``os.environ`` only, so a test's ``monkeypatch.setenv`` or
:func:`sproutly.env.temporarily` changes it immediately (a snapshot of the known variables keys a
one-entry cache: reading a setting costs a few dictionary look-ups).

Errors name the variable and the accepted values; a secret's value never appears in a ``repr``,
``str``, log line or error message (``SecretStr``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from dotenv import dotenv_values
from pydantic import AfterValidator, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
#: The learner's own settings (git-ignored); ``.env.example`` is its template. Another file can
#: be named by ``SPROUTLY_ENV_FILE`` in the process environment (tests, several set-ups).
ENV_FILE_VARIABLE = "SPROUTLY_ENV_FILE"
ENV_FILE = Path(os.environ.get(ENV_FILE_VARIABLE) or REPO_ROOT / ".env")
ENV_EXAMPLE = REPO_ROOT / ".env.example"


def _iso_datetime(value: str | None) -> str | None:
    if value is not None:
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("not an ISO-8601 time") from None
    return value


def _http_url(value: str | None) -> str | None:
    if value is not None and not value.startswith(("http://", "https://")):
        raise ValueError("not an http(s) URL")
    return value


def _flag(value: str | None) -> str | None:
    if value is not None and value.lower() not in {"true", "false", "1", "0"}:
        raise ValueError("not a flag")
    return value


def _accepts(text: str) -> dict[str, Any]:
    return {"json_schema_extra": {"accepts": text}}


IsoDateTime = Annotated[str | None, AfterValidator(_iso_datetime)]
HttpUrl = Annotated[str | None, AfterValidator(_http_url)]
Flag = Annotated[str | None, AfterValidator(_flag)]
SECRET = "a non-empty string (secret)"


class SettingsError(ValueError):
    """A variable has a value the project cannot use. Names the variable and what it accepts."""


class Settings(BaseSettings):
    """The project's settings. Field ``x_y`` is read from the variable ``X_Y``."""

    model_config = SettingsConfigDict(
        case_sensitive=False, extra="ignore", env_ignore_empty=True, frozen=True
    )

    # --- where things are, which environment
    sproutly_env_file: Path | None = Field(None, **_accepts("a .env file path (environment only)"))
    sproutly_data_dir: Path | None = Field(None, **_accepts("a folder path (default ./data)"))
    sproutly_target: Literal["dev", "prod", "snowflake_emulated", "snowflake"] = Field(
        "dev", **_accepts("dev, prod, snowflake_emulated or snowflake")
    )
    sproutly_now: IsoDateTime = Field(None, **_accepts("an ISO-8601 time, e.g. 2026-05-01 00:00"))
    sproutly_checkpoint_dir: Path | None = Field(None, **_accepts("a folder path"))
    sproutly_ingestion_pause_before_commit: Path | None = Field(
        None, **_accepts("a file path (a test hook: ingestion waits for it before committing)")
    )
    sproutly_checks_ledger: Path | None = Field(
        None, **_accepts("a file path (a test hook: checks record their expected values there)")
    )
    # --- sources
    billing_api_url: HttpUrl = Field(None, **_accepts("an http(s) URL"))
    billing_api_token: SecretStr | None = Field(None, **_accepts(SECRET))
    billing_api_max_attempts: int = Field(5, ge=1, le=100, **_accepts("an integer 1..100"))
    # --- alerts, serving
    alert_webhook_url: SecretStr | None = Field(None, **_accepts("an http(s) URL (secret)"))
    serving_port: int = Field(8000, ge=0, le=65535, **_accepts("a port 0..65535 (0 = any)"))
    serving_max_lag_days: int = Field(1, ge=0, **_accepts("a whole number of days >= 0"))
    sproutly_pool_wait_seconds: float = Field(
        600, gt=0, **_accepts("seconds > 0 a run waits for the warehouse pool")
    )
    # --- tools' own variables the project reads
    dbt_target_path: Path | None = Field(None, **_accepts("a folder path"))
    dbt_indirect_selection: Literal["eager", "cautious", "buildable", "empty"] | None = Field(
        None, **_accepts("eager, cautious, buildable or empty")
    )
    dagster_home: Path | None = Field(None, **_accepts("an absolute folder path"))
    dbt_send_anonymous_usage_stats: Flag = Field(None, **_accepts("True or False"))
    dagster_disable_telemetry: Flag = Field(None, **_accepts("True or False"))
    # --- Snowflake (chapter 08)
    snowflake_account: str | None = Field(None, **_accepts("an account identifier"))
    snowflake_user: str | None = Field(None, **_accepts("a user name"))
    snowflake_private_key_path: Path | None = Field(None, **_accepts("a file path"))
    snowflake_private_key_passphrase: SecretStr | None = Field(None, **_accepts(SECRET))
    snowflake_role: str | None = Field(None, **_accepts("a role name"))
    snowflake_warehouse: str | None = Field(None, **_accepts("a warehouse name"))
    snowflake_database: str | None = Field(None, **_accepts("a database name"))
    snowflake_loader_user: str | None = Field(None, **_accepts("a user name"))
    snowflake_loader_private_key_path: Path | None = Field(None, **_accepts("a file path"))
    snowflake_loader_private_key_passphrase: SecretStr | None = Field(None, **_accepts(SECRET))
    snowflake_loader_role: str | None = Field(None, **_accepts("a role name"))
    snowflake_loader_rsa_public_key: str | None = Field(None, **_accepts("a PEM public key"))
    snowflake_transformer_rsa_public_key: str | None = Field(None, **_accepts("a PEM public key"))
    snowflake_reporter_rsa_public_key: str | None = Field(None, **_accepts("a PEM public key"))
    snowflake_disable_platform_detection: Flag = Field(None, **_accepts("true or false"))
    snowflake_emulator_host: str | None = Field(None, **_accepts("set by the emulator"))
    snowflake_emulator_port: int | None = Field(None, ge=0, le=65535, **_accepts("a port"))
    snowflake_emulator_database: str | None = Field(None, **_accepts("set by the emulator"))

    def plain(self, name: str) -> str | None:
        """The value of variable ``name`` as text (a secret revealed: only to hand it on)."""
        value = getattr(self, name.lower())
        if isinstance(value, SecretStr):
            return value.get_secret_value()
        return None if value is None else str(value)


#: The variables the settings object knows, as written in the environment.
NAMES: tuple[str, ...] = tuple(name.upper() for name in Settings.model_fields)
_cache: dict[tuple, Settings] = {}


def _message(error: ValidationError) -> str:
    lines = []
    for item in error.errors(include_url=False, include_input=False):
        field = str(item["loc"][0]) if item["loc"] else "?"
        info = Settings.model_fields.get(field)
        extra = (info.json_schema_extra or {}) if info else {}
        accepts = extra.get("accepts", "see .env.example")
        reason = item["msg"].removeprefix("Value error, ")
        lines.append(f"{field.upper()}: {reason}; accepted: {accepts}")
    return "invalid setting(s) (environment or .env):\n  " + "\n  ".join(lines)


def _snapshot() -> tuple:
    """The known variables' current values: the key of the one-entry cache."""
    return tuple(map(os.environ.get, NAMES))


def settings() -> Settings:
    """The current settings, validated (raises :class:`SettingsError` naming the variable)."""
    snapshot = _snapshot()
    cached = _cache.get(snapshot)
    if cached is not None:
        return cached
    try:
        current = Settings()
    except ValidationError as error:
        raise SettingsError(_message(error)) from None
    _cache.clear()
    _cache[snapshot] = current
    return current


def environ() -> dict[str, str]:
    """The known variables that are set, as plain text (for code that takes a mapping)."""
    current = settings()
    values = {name: current.plain(name) for name in NAMES}
    return {name: value for name, value in values.items() if value is not None}


def export_dotenv(path: Path = ENV_FILE, environment: Mapping[str, str] | None = None) -> list[str]:
    """Put the variables of ``path`` that are not already set into ``os.environ`` (for dbt,
    Dagster and child processes). Returns their names. A missing file is no error."""
    target = os.environ if environment is None else environment
    if not path.is_file():
        return []
    exported = []
    for name, value in dotenv_values(path).items():
        if value is not None and name not in target:
            target[name] = value  # type: ignore[index]
            exported.append(name)
    return exported


export_dotenv()
