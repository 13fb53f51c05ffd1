"""Resources: built here only. Configuration comes from the environment, secrets via ``dg.EnvVar``."""

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

from orchestration.alerts import AlertSink
from sproutly import paths
from sproutly.settings import settings


class BillingAPIResource(dg.ConfigurableResource):
    """Where the billing API is. With no URL configured, the simulated API is started for the step.

    A real deployment sets ``BILLING_API_URL`` and ``BILLING_API_TOKEN`` (a secret, read from the
    environment only). Locally the project starts Sproutly's simulated API on 127.0.0.1 with
    ``BILLING_API_TOKEN`` when it is set, else a throw-away token (no secret is needed).
    """

    url: str | None = None
    token: str | None = None

    @contextmanager
    def connection(self) -> Iterator[tuple[str, str, str]]:
        """Yield ``(url, token, mode)``; mode is ``"configured"`` or ``"simulated"``."""
        if self.url:
            if not self.token:
                raise dg.Failure("BILLING_API_URL is set but BILLING_API_TOKEN is not: set both.")
            yield self.url, self.token, "configured"
            return
        from microproduct.billing_api import running  # simulated source, local mode only

        token = self.token or secrets.token_urlsafe(24)  # a configured token is kept
        with running(paths.billing_db_path(), token) as api:
            yield api.url, token, "simulated"


class AlertsResource(dg.ConfigurableResource):
    """Slack-compatible webhook (``ALERT_WEBHOOK_URL``) or, when unset, ``data/alerts.jsonl``."""

    webhook_url: str | None = None
    escalate_after: int = 3

    def sink(self) -> AlertSink:
        return AlertSink(webhook_url=self.webhook_url)


def _optional_env(name: str) -> str | dg.EnvVar | None:
    return dg.EnvVar(name) if settings().plain(name) else None


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "billing_api": BillingAPIResource(
                url=_optional_env("BILLING_API_URL"), token=_optional_env("BILLING_API_TOKEN")
            ),
            "alerts": AlertsResource(webhook_url=_optional_env("ALERT_WEBHOOK_URL")),
        }
    )
