"""faults.md row 24: a retry storm gives one alert per failure chain and one escalation, no flood.

The run-failure sensor is driven with built contexts over real failed runs of a tiny job.
"""

import dagster as dg
import pytest

from orchestration.alerts import AlertSink
from orchestration.defs.resources import AlertsResource
from orchestration.defs.sensors import alert_on_run_failure


@dg.op(retry_policy=dg.RetryPolicy(max_retries=1))
def flaky_call():
    raise RuntimeError("billing API: 503 Service Unavailable")


@dg.job
def flaky_job():
    flaky_call()


def fail_once(instance, tags):
    result = flaky_job.execute_in_process(instance=instance, raise_on_error=False, tags=tags)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type == dg.DagsterEventType.RUN_FAILURE)
    return instance.get_run_by_id(result.run_id), failure


@pytest.fixture
def alerts(tmp_path, monkeypatch):
    monkeypatch.setenv("SPROUTLY_DATA_DIR", str(tmp_path))
    return AlertsResource(escalate_after=3)


def evaluate(instance, run, event, alerts):
    context = dg.build_run_status_sensor_context(
        sensor_name="alert_on_run_failure",
        dagster_instance=instance,
        dagster_run=run,
        dagster_event=event,
        resources={"alerts": alerts},
    ).for_run_failure()
    alert_on_run_failure(context)


def test_fault_24_one_alert_per_chain_then_one_escalation(alerts):
    instance = dg.DagsterInstance.ephemeral()
    root_run, root_event = fail_once(instance, {})
    evaluate(instance, root_run, root_event, alerts)
    sink = AlertSink()
    assert [a["kind"] for a in sink.sent()] == ["failure"]

    # the chain keeps failing: retries 1..4 of the same root run
    for n in range(1, 5):
        run, event = fail_once(
            instance, {"dagster/root_run_id": root_run.run_id, "dagster/retry_number": str(n)}
        )
        evaluate(instance, run, event, alerts)

    kinds = [a["kind"] for a in sink.sent()]
    assert kinds == ["failure", "escalation"], kinds
    assert {a["chain_id"] for a in sink.sent()} == {root_run.run_id}

    # an unrelated failure is a new chain: alerted on its own
    other_run, other_event = fail_once(instance, {})
    evaluate(instance, other_run, other_event, alerts)
    assert [a["kind"] for a in sink.sent()] == ["failure", "escalation", "failure"]
