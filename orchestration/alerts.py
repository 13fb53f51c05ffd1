"""Failure alerts: Slack-compatible JSON to a webhook, or a local file when offline.

Policy (faults.md row 24, "retry storm"): one alert per failure *chain* — a run and its automatic
re-executions share ``dagster/root_run_id`` — and one escalation when a chain has retried
``escalate_after`` times. Everything else is deduplicated, so a flapping source cannot flood the
channel. The sink always records the alert in ``data/alerts.jsonl`` (the observability chapter reads
it) and also POSTs it when ``ALERT_WEBHOOK_URL`` is set (read by the sink itself, so every caller,
with or without the Dagster resource, honours it).

The webhook URL is a secret (a Slack webhook's path is its token): no message, log line, record or
exception this module writes contains it. A failed delivery is reported by status code or error
class and the webhook's scheme and host only.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

from sproutly import paths
from sproutly.settings import settings


@dataclass(frozen=True)
class Alert:
    kind: str  # "failure" | "escalation" | "freshness"
    title: str
    text: str
    chain_id: str  # dedupe key: the root run id of a failure chain, or a check's key
    run_id: str | None = None
    job_name: str | None = None
    details: dict = field(default_factory=dict)

    def slack_payload(self) -> dict:
        """The JSON body a Slack incoming webhook accepts (``text`` plus Block Kit blocks)."""
        icon = {"failure": ":red_circle:", "escalation": ":rotating_light:"}.get(
            self.kind, ":warning:"
        )
        fields = [
            {"type": "mrkdwn", "text": f"*{k}*\n{v}"} for k, v in sorted(self.details.items())
        ]
        blocks: list[dict] = [
            {"type": "header", "text": {"type": "plain_text", "text": f"{self.title}"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": f"{icon} {self.text}"}},
        ]
        if fields:
            blocks.append({"type": "section", "fields": fields[:10]})
        return {"text": f"{icon} {self.title}: {self.text}", "blocks": blocks}


@dataclass(frozen=True)
class FailedRun:
    """What the policy needs to know about one failed run."""

    run_id: str
    job_name: str
    root_run_id: str
    retry_number: int  # 0 for the first attempt of a chain
    step_retries: int  # step-level retries (RetryPolicy) inside this run
    error: str


def decide(
    failure: FailedRun, already_sent: Iterable[tuple[str, str]], escalate_after: int = 3
) -> list[Alert]:
    """Alerts to send for ``failure`` given the (kind, chain_id) pairs already sent."""
    sent = set(already_sent)
    chain = failure.root_run_id
    retries = failure.retry_number + failure.step_retries
    details = {
        "job": failure.job_name,
        "run": failure.run_id,
        "chain": chain,
        "retries so far": retries,
    }
    alerts: list[Alert] = []
    if ("failure", chain) not in sent:
        alerts.append(
            Alert(
                kind="failure",
                title=f"Run failed: {failure.job_name}",
                text=failure.error[:500],
                chain_id=chain,
                run_id=failure.run_id,
                job_name=failure.job_name,
                details=details,
            )
        )
    if retries >= escalate_after and ("escalation", chain) not in sent:
        alerts.append(
            Alert(
                kind="escalation",
                title=f"Retry storm: {failure.job_name}",
                text=f"{retries} retries in one failure chain; automatic recovery is not working.",
                chain_id=chain,
                run_id=failure.run_id,
                job_name=failure.job_name,
                details=details,
            )
        )
    return alerts


#: The environment variable that holds the webhook URL (a secret).
WEBHOOK_ENV = "ALERT_WEBHOOK_URL"


class WebhookFailed(RuntimeError):
    """The webhook did not accept an alert (the alert is recorded in the file regardless)."""


def _where(url: str) -> str:
    """The webhook's scheme and host, never its path or query (which carry the token)."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return "the webhook (an invalid URL)"
    return f"{parsed.scheme}://{parsed.host}"


class AlertSink:
    """Records alerts locally and, when a webhook URL is configured, posts them.

    ``webhook_url`` None (the default) reads ``ALERT_WEBHOOK_URL``; ``""`` means no webhook.
    """

    def __init__(
        self, webhook_url: str | None = None, path: Path | None = None, timeout: float = 5.0
    ):
        if webhook_url is None:
            webhook_url = settings().plain(WEBHOOK_ENV)
        self.webhook_url = webhook_url or None
        self.path = path or paths.alerts_path()
        self.timeout = timeout

    def sent(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines() if line.strip()]

    def sent_keys(self) -> set[tuple[str, str]]:
        return {(a["kind"], a["chain_id"]) for a in self.sent()}

    def _post(self, alert: Alert) -> tuple[int | str, str | None]:
        """POST the alert: (status code or error class, a failure message without the URL)."""
        assert self.webhook_url
        httpx_logger = logging.getLogger("httpx")  # its INFO line names the full URL
        level = httpx_logger.level
        httpx_logger.setLevel(logging.WARNING)
        try:
            response = httpx.post(
                self.webhook_url, json=alert.slack_payload(), timeout=self.timeout
            )
        except (httpx.HTTPError, httpx.InvalidURL) as exc:  # their text holds the URL
            name = type(exc).__name__
            return f"error: {name}", f"{name} posting to {_where(self.webhook_url)}"
        finally:
            httpx_logger.setLevel(level)
        if response.is_success:
            return response.status_code, None
        return (
            response.status_code,
            f"HTTP {response.status_code} from {_where(self.webhook_url)}",
        )

    def send(self, alert: Alert) -> None:
        """Post (if configured), then record. A webhook that fails is recorded, then raised
        (:class:`WebhookFailed`, whose text names the status and host, never the URL)."""
        delivered: int | str | None = None
        error: str | None = None
        if self.webhook_url:
            delivered, error = self._post(alert)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a") as f:
            f.write(
                json.dumps({**asdict(alert), "webhook_status": delivered}, sort_keys=True) + "\n"
            )
        print(f"ALERT [{alert.kind}] {alert.title}: {alert.text}")
        if error is not None:
            raise WebhookFailed(f"alert recorded in {self.path} but the webhook failed: {error}")
