"""Alert policy and delivery (faults.md row 24), with a real webhook receiver on loopback."""

import pytest

from orchestration.alerts import AlertSink, FailedRun, decide


@pytest.fixture
def webhook(local_server):
    """A Slack-compatible webhook stand-in on 127.0.0.1 that records what it receives."""
    server = local_server(200)
    return f"{server.url}/hook", server.received


def failure(run_id="r1", root="r1", retry=0, step_retries=0):
    return FailedRun(
        run_id, "daily_job", root, retry, step_retries, "billing API: 503 after 5 attempts"
    )


def test_first_failure_of_a_chain_alerts_once():
    alerts = decide(failure(), already_sent=[])
    assert [a.kind for a in alerts] == ["failure"]
    assert decide(failure("r2", root="r1", retry=1), already_sent=[("failure", "r1")]) == []


def test_retry_storm_escalates_exactly_once():
    sent = {("failure", "r1")}
    assert decide(failure("r2", root="r1", retry=2), sent, escalate_after=3) == []
    storm = decide(failure("r3", root="r1", retry=2, step_retries=1), sent, escalate_after=3)
    assert [a.kind for a in storm] == ["escalation"]
    sent.add(("escalation", "r1"))
    assert decide(failure("r4", root="r1", retry=3), sent, escalate_after=3) == []


def test_a_new_chain_alerts_again():
    assert [a.kind for a in decide(failure("r9", root="r9"), {("failure", "r1")})] == ["failure"]


def test_webhook_receives_slack_payload(tmp_path, webhook):
    url, received = webhook
    sink = AlertSink(webhook_url=url, path=tmp_path / "alerts.jsonl")
    for alert in decide(failure(retry=3), already_sent=sink.sent_keys()):
        sink.send(alert)
    assert len(received) == 2
    first = received[0]
    assert first["text"].startswith(":red_circle: Run failed: daily_job")
    assert first["blocks"][0]["type"] == "header"
    assert received[1]["text"].startswith(":rotating_light: Retry storm")
    assert sink.sent_keys() == {("failure", "r1"), ("escalation", "r1")}
    assert all(a["webhook_status"] == 200 for a in sink.sent())


def test_offline_alerts_land_in_the_file(tmp_path, capsys):
    sink = AlertSink(path=tmp_path / "alerts.jsonl")
    for alert in decide(failure(), already_sent=[]):
        sink.send(alert)
    assert [a["kind"] for a in sink.sent()] == ["failure"]
    assert "ALERT [failure] Run failed: daily_job" in capsys.readouterr().out


def test_broken_webhook_is_recorded_then_raised(tmp_path):
    sink = AlertSink(
        webhook_url="http://127.0.0.1:9/unreachable", path=tmp_path / "a.jsonl", timeout=1
    )
    with pytest.raises(RuntimeError, match="webhook failed"):
        sink.send(decide(failure(), [])[0])
    assert sink.sent()[0]["webhook_status"].startswith("error")
