"""Issue 14 item 8: no secret in any exception text, log, run or tick history.

Every secret the project reads (``.env.example``: the token part of ``ALERT_WEBHOOK_URL``,
``BILLING_API_TOKEN``, ``SNOWFLAKE_PRIVATE_KEY_PASSPHRASE``,
``SNOWFLAKE_LOADER_PRIVATE_KEY_PASSPHRASE``) gets a marker value. Then each failure path runs for
real on the project's Dagster instance: the billing API rejects the token (401, 403, 404), the
webhook answers 4xx or 5xx, refuses the connection, or is not a valid URL — and the run-failure
sensor alerts through it as the daemon would, its error serialised as the daemon stores it in
the tick history. No marker may appear in the errors, the captured stdout/stderr and logs, or
any file of the data folder (the warehouse, ``alerts.jsonl``, every SQLite database and log in
``DAGSTER_HOME``).
"""

import logging
import socket

import dagster as dg
import pytest
from dagster._utils.error import serializable_error_info_from_exc_info

from orchestration import runs
from orchestration.alerts import AlertSink
from orchestration.defs.resources import AlertsResource, BillingAPIResource

MARKERS = {
    "BILLING_API_TOKEN": "billingTokenMarker41x",
    "SNOWFLAKE_PRIVATE_KEY_PASSPHRASE": "snowflakePassphraseMarker41x",
    "SNOWFLAKE_LOADER_PRIVATE_KEY_PASSPHRASE": "loaderPassphraseMarker41x",
}
WEBHOOK_TOKEN = "webhookTokenMarker41x"
SECRETS = [*MARKERS.values(), WEBHOOK_TOKEN]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_no_secret_in_errors_logs_or_history(data_dir, local_server, monkeypatch, capfd, caplog):
    from orchestration.defs.ingest import billing_api

    caplog.set_level(logging.INFO)
    monkeypatch.setenv("SPROUTLY_NOW", "2026-05-01 00:00:00")
    for name, value in MARKERS.items():
        monkeypatch.setenv(name, value)
    path = f"/services/T0000/B0000/{WEBHOOK_TOKEN}"
    webhooks = [
        f"{local_server(500).url}{path}",
        f"{local_server(404).url}{path}",
        f"http://127.0.0.1:{closed_port()}{path}",  # connection refused
        f"htp://127.0.0.1{path}",  # not a URL httpx can post to
    ]
    errors: list[str] = []
    with runs.project_instance() as instance:
        for status, webhook in zip((401, 403, 404, 401), webhooks, strict=True):
            api = local_server(status)
            monkeypatch.setenv("ALERT_WEBHOOK_URL", webhook)
            result = dg.materialize(
                [billing_api],
                resources={
                    "billing_api": BillingAPIResource(
                        url=api.url, token=dg.EnvVar("BILLING_API_TOKEN")
                    )
                },
                instance=instance,
                raise_on_error=False,
            )
            assert not result.success and api.requests
            with pytest.raises(RuntimeError, match="webhook failed") as failed:
                runs.alert_on_failure(instance, result, alerts=AlertsResource(webhook_url=webhook))
            # what the daemon writes into the tick history (schedules.db) for a failed sensor
            errors.append(
                serializable_error_info_from_exc_info(
                    (failed.type, failed.value, failed.tb)
                ).to_string()
            )
            errors.append(str(failed.value))
    out, err = capfd.readouterr()
    texts = {"exceptions": "\n".join(errors), "stdout": out, "stderr": err, "logs": caplog.text}
    files = sorted(p for p in data_dir.rglob("*") if p.is_file())
    assert any(p.name == "runs.db" for p in files), files  # the run history was written
    for p in files:
        texts[str(p.relative_to(data_dir))] = p.read_bytes().decode("latin-1")
    leaks = sorted({(where, s) for where, text in texts.items() for s in SECRETS if s in text})
    assert not leaks, leaks
    # every path was taken (recorded, then raised)
    assert [a["webhook_status"] for a in AlertSink().sent()] == [
        500,
        404,
        "error: ConnectError",
        "error: UnsupportedProtocol",
    ]
