"""Issue 14 item 6: a run killed with ``kill -9`` mid-step never blocks the next run.

The killed run stays STARTED and keeps its ``warehouse`` pool slot; the next run through
``orchestration.runs`` marks it failed (its process is gone), frees the slot and alerts once. A
slot held by a live run is waited for visibly and at most ``SPROUTLY_POOL_WAIT_SECONDS``. Every
run here is a subprocess with a timeout, so a regression fails instead of hanging.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import stub_pipeline

from orchestration import runs
from orchestration.alerts import AlertSink
from sproutly import paths

STUB = Path(stub_pipeline.__file__)


def cli(*args: str, step: str = "ok", pool_wait: str = "30") -> dict:
    env = {
        **os.environ,
        "STUB_STEP": step,
        "STUB_STARTED": str(paths.data_dir() / "started"),
        "SPROUTLY_POOL_WAIT_SECONDS": pool_wait,
        "PYTHONPATH": os.pathsep.join([str(STUB.parent), str(paths.REPO_ROOT)]),
    }
    env.pop("ALERT_WEBHOOK_URL", None)
    return {
        "args": [sys.executable, str(STUB), *args],
        "env": env,
        "cwd": paths.REPO_ROOT,
        "text": True,
    }


def test_a_run_killed_mid_step_is_failed_and_frees_the_pool(data_dir):
    stub_pipeline.land_one_file()
    started = paths.data_dir() / "started"
    hung = subprocess.Popen(
        **cli("run", step="hang"), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while not started.exists():
            assert hung.poll() is None, hung.communicate()
            assert time.monotonic() < deadline, "the hanging step never started"
            time.sleep(0.2)

        # alive and holding the pool: the next run says it waits, then gives up at the bound
        busy = subprocess.run(**cli("run", pool_wait="2"), capture_output=True, timeout=60)
        assert busy.returncode == 1, busy.stdout + busy.stderr
        assert "waiting for the 'warehouse' pool, held by run" in busy.stderr
        assert "Not started: the 'warehouse' pool is still held by run" in busy.stderr

        os.kill(hung.pid, signal.SIGKILL)
        hung.wait(timeout=10)
    finally:
        if hung.poll() is None:
            hung.kill()
            hung.wait()

    after = subprocess.run(**cli("run"), capture_output=True, timeout=60)
    assert after.returncode == 0, after.stdout + after.stderr[-3000:]

    with runs.project_instance() as instance:
        records = list(reversed(instance.get_run_records()))  # oldest first
        statuses = [r.dagster_run.status for r in records]
        assert statuses == [dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.SUCCESS]
        assert instance.event_log_storage.get_concurrency_run_ids() == set()
    killed = records[0].dagster_run
    sent = AlertSink().sent()
    assert [(a["kind"], a["run_id"]) for a in sent] == [("failure", killed.run_id)], sent
    assert f"pid {killed.tags['sproutly/pid']}" in sent[0]["text"]
