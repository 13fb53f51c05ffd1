"""Configuration of a load: where things are, what time it is, how patient to be.

Every knob has a default; :meth:`IngestionConfig.from_env` fills paths from :mod:`sproutly.paths`
and the billing API's location and token from the environment. Tests and notebooks override single
fields (``IngestionConfig.from_env(now=..., reject_ratio=0.1)``) instead of editing globals.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sproutly import clock, paths
from sproutly.settings import settings

TOKEN_ENV = "BILLING_API_TOKEN"
URL_ENV = "BILLING_API_URL"


class MissingSetting(RuntimeError):
    """A required setting (usually an environment variable) is not set. Names it, never its value."""


@dataclass(frozen=True)
class IngestionConfig:
    warehouse_path: Path
    app_db_path: Path
    landing_dir: Path
    billing_api_url: str | None = None
    # repr=False: printing the config (in a notebook, a log line, a traceback) never shows the secret.
    billing_api_token: str | None = field(default=None, repr=False)
    now: datetime | None = None  # None: the simulated clock, read when a load starts
    lookback: timedelta = timedelta(hours=1)
    reject_ratio: float = 0.05
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_attempts: int = 5
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    retry_after_cap: float = 60.0
    page_size: int = 500
    max_pages: int = 10_000  # billing: pages per load
    load_deadline: float = 1800.0  # billing: seconds for all pages of one load
    body_deadline: float = 120.0  # billing: seconds to receive one response body
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    duckdb_settings: Mapping[str, str] = field(default_factory=dict)
    progress: bool | None = None  # None: a progress bar only when stderr is a terminal

    @classmethod
    def from_env(cls, **overrides) -> IngestionConfig:
        """Defaults from ``sproutly.paths`` and the environment, then ``overrides`` on top."""
        base = cls(
            warehouse_path=paths.warehouse_path(),
            app_db_path=paths.app_db_path(),
            landing_dir=paths.landing_dir(),
            billing_api_url=settings().billing_api_url,
            billing_api_token=settings().plain(TOKEN_ENV),
        )
        base = dataclasses.replace(base, max_attempts=settings().billing_api_max_attempts)
        return dataclasses.replace(base, **overrides)

    def resolved_now(self) -> datetime:
        """The injected "now": the explicit value, else the simulated clock (never the wall clock)."""
        return self.now if self.now is not None else clock.now()

    def require_billing(self) -> tuple[str, str]:
        """URL and token of the billing API, or an error naming what is missing (not its value)."""
        if not self.billing_api_url:
            raise MissingSetting(
                f"{URL_ENV} is not set: the billing loader does not know where the API is. "
                f"Set {URL_ENV} (e.g. in .env) or pass billing_api_url=..."
            )
        if not self.billing_api_token:
            raise MissingSetting(
                f"{TOKEN_ENV} is not set: the billing API needs a bearer token. "
                f"Set {TOKEN_ENV} in the environment (see .env.example)."
            )
        return self.billing_api_url, self.billing_api_token
