"""Issue 14 item 9: every failed run alerts exactly once through the configured sink.

A real webhook receiver on 127.0.0.1 stands in for Slack. Runs of the CLI (`make run`, daily,
backfill) alert themselves; runs the daemon launches (a schedule tick, the file sensor, a UI
backfill) alert through the run-failure sensor, evaluated here with the resource the definitions
build, and a retry of a run stays in its chain. Where the course calls
``runs.alert_on_failure`` without a resource, ``ALERT_WEBHOOK_URL`` is honoured all the same.
A terminal loader error (billing 401) is not retried by the asset's RetryPolicy, so the first alert
names the cause, not a retry storm.

No ``from __future__ import annotations`` here: Dagster reads the ``context`` annotation.
"""

import dagster as dg
import pytest
import stub_pipeline

from orchestration import runs
from orchestration.__main__ import main
from orchestration.alerts import AlertSink


@pytest.fixture
def webhook(local_server, monkeypatch):
    server = local_server(200)
    monkeypatch.setenv("ALERT_WEBHOOK_URL", f"{server.url}/services/T0/B0/token")
    return server


@pytest.fixture
def failing_stub(data_dir, monkeypatch):
    """``python -m orchestration`` over a one-step ``daily_pipeline`` that fails."""
    import orchestration.definitions

    monkeypatch.setattr(orchestration.definitions, "defs", stub_pipeline.defs)
    monkeypatch.setenv("STUB_STEP", "fail")
    stub_pipeline.land_one_file()


@pytest.mark.parametrize(
    "argv",
    [
        ["run"],
        ["daily", "--date", stub_pipeline.DAY],
        ["backfill", "--start", stub_pipeline.DAY, "--end", stub_pipeline.DAY],
    ],
    ids=["run", "daily", "backfill"],
)
def test_a_failed_cli_run_alerts_once_through_the_webhook(argv, failing_stub, webhook):
    assert main(argv) == 1
    assert [p["text"][:40] for p in webhook.received] == [
        ":red_circle: Run failed: daily_pipeline:"
    ]
    assert [a["webhook_status"] for a in AlertSink().sent()] == [200]


DAEMON_TAGS = {
    "schedule": {"dagster/schedule_name": "daily_pipeline_schedule"},
    "sensor": {"dagster/sensor_name": "new_event_files"},
    "backfill": {"dagster/backfill": "bkfl0001"},
}


@pytest.mark.parametrize("launched_by", sorted(DAEMON_TAGS))
def test_a_failed_daemon_run_alerts_once_per_chain(launched_by, data_dir, webhook):
    from orchestration.defs.resources import resources
    from orchestration.defs.sensors import alert_on_run_failure

    alerts = resources().resources["alerts"]  # as the daemon builds it: ALERT_WEBHOOK_URL
    job = stub_pipeline.defs().resolve_job_def("daily_pipeline")
    instance = dg.DagsterInstance.ephemeral()
    tags = {**DAEMON_TAGS[launched_by], "STUB": "fail"}
    root = None
    for _attempt in (0, 1):  # the run and its automatic re-execution: one chain
        chain = {} if root is None else {"dagster/root_run_id": root, "dagster/retry_number": "1"}
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("STUB_STEP", "fail")
            result = job.execute_in_process(
                partition_key=stub_pipeline.DAY,
                instance=instance,
                tags={**tags, **chain},
                raise_on_error=False,
            )
        assert not result.success
        root = root or result.run_id
        failure = next(
            e for e in result.all_events if e.event_type == dg.DagsterEventType.RUN_FAILURE
        )
        context = dg.build_run_status_sensor_context(
            sensor_name=alert_on_run_failure.name,
            dagster_instance=instance,
            dagster_run=instance.get_run_by_id(result.run_id),
            dagster_event=failure,
            resources={"alerts": alerts},
        ).for_run_failure()
        alert_on_run_failure(context)
    assert len(webhook.received) == 1, webhook.received
    assert webhook.received[0]["text"].startswith(":red_circle: Run failed: daily_pipeline")


def test_the_course_call_without_a_resource_honours_the_webhook(failing_stub, webhook):
    instance = dg.DagsterInstance.ephemeral()
    result = runs.execute("daily_pipeline", partition_key=stub_pipeline.DAY, instance=instance)
    assert not result.success
    runs.alert_on_failure(instance, result)  # what chapter 06 and simulate_days call
    assert len(webhook.received) == 1
    assert AlertSink().sent()[0]["webhook_status"] == 200


def test_a_rejected_billing_token_is_not_retried_and_alerts_the_cause(
    data_dir, local_server, webhook, monkeypatch
):
    from orchestration.defs.ingest import billing_api

    monkeypatch.setenv("SPROUTLY_NOW", "2026-05-01 00:00:00")
    from orchestration.defs.resources import BillingAPIResource

    api = local_server(401)
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [billing_api],
        resources={"billing_api": BillingAPIResource(url=api.url, token="rejected")},
        instance=instance,
        raise_on_error=False,
    )
    assert not result.success
    retries = instance.get_records_for_run(
        result.run_id, of_type=dg.DagsterEventType.STEP_UP_FOR_RETRY
    ).records
    assert retries == [], "a 401 was retried by the asset's RetryPolicy"
    assert len(api.requests) == 2  # one per entity (invoices, payments), none repeated
    runs.alert_on_failure(instance, result)
    assert len(webhook.received) == 1
    assert AlertSink().sent()[0]["kind"] == "failure"  # the cause, not a "Retry storm"
    error = result.get_step_failure_events()[0].step_failure_data.error
    assert "HTTP 401 from GET /v1/invoices" in error.message


@pytest.mark.parametrize(
    ("message", "retried"),
    [
        (
            "BillingAPIError: HTTP 401 from GET /v1/invoices: the token was rejected. Not retried.",
            False,
        ),
        ("BillingAPIError: GET /v1/invoices failed after 5 attempts (last error: HTTP 503)", True),
        ("PaginationLoop: the API returned cursor 'c2' twice", False),
        ("WarehouseLocked: another process holds the warehouse", True),
    ],
)
def test_only_transient_load_errors_are_retried(message, retried):
    from orchestration.defs.ingest import load_failure

    assert load_failure(message).allow_retries is retried
