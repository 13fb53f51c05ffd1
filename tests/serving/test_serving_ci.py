"""The GitHub Actions workflow cannot run here: check its shape, and run its one script."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import yaml

from sproutly import paths

WORKFLOW = paths.REPO_ROOT / ".github" / "workflows" / "ci.yml"
LOCK_DIFF = paths.REPO_ROOT / ".github" / "scripts" / "lock_diff.py"


def load_workflow() -> dict:
    workflow = yaml.safe_load(WORKFLOW.read_text())
    workflow["on"] = workflow.pop(True, workflow.get("on"))  # YAML 1.1 reads `on:` as True
    return workflow


def runs(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def uses(job: dict) -> list[str]:
    return [step["uses"].split("@")[0] for step in job["steps"] if "uses" in step]


def test_push_and_pull_requests_run_make_test_on_python_311_with_uv_cache():
    workflow = load_workflow()
    assert {"push", "pull_request", "schedule"} <= set(workflow["on"])
    job = workflow["jobs"]["test"]
    assert job["runs-on"] == "ubuntu-latest"
    assert "schedule" in job["if"] and "!=" in job["if"]
    # every push and pull request: Chromium first (the browser tests need it), then make test;
    # the steps after it run only on a push to main (the production state for Slim CI)
    always = [s["run"].strip() for s in job["steps"] if "run" in s and "if" not in s]
    assert always == ["sudo make browser", "make test"]
    main_only = [s for s in job["steps"] if "if" in s]
    assert main_only and all("refs/heads/main" in s["if"] for s in main_only)
    setup_python = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-py"))
    assert setup_python["with"]["python-version"] == "3.11"
    setup_uv = next(s for s in job["steps"] if s.get("uses", "").startswith("astral-sh/setup-uv"))
    assert setup_uv["with"]["enable-cache"] is True
    assert uses(job)[0] == "actions/checkout"


def test_weekly_job_upgrades_then_tests_and_reports():
    workflow = load_workflow()
    (cron,) = workflow["on"]["schedule"]
    minute, hour, day, month, weekday = cron["cron"].split()
    assert (day, month) == ("*", "*") and weekday != "*"  # once a week
    job = workflow["jobs"]["newest-dependencies"]
    script = runs(job)
    assert script.index("uv lock --upgrade") < script.index("make test")
    assert "lock_diff.py" in script and "GITHUB_STEP_SUMMARY" in script
    assert "actions/upload-artifact" in uses(job)
    assert workflow["permissions"] == {"contents": "read"}


def test_lock_diff_reports_changed_versions(tmp_path):
    old = tmp_path / "old.lock"
    new = tmp_path / "new.lock"
    old.write_text(
        'version = 1\n[[package]]\nname = "duckdb"\nversion = "2.0.0"\n'
        '[[package]]\nname = "httpx"\nversion = "0.28.1"\n'
        '[[package]]\nname = "gone"\nversion = "1.0"\n'
    )
    new.write_text(
        'version = 1\n[[package]]\nname = "duckdb"\nversion = "2.0.3"\n'
        '[[package]]\nname = "httpx"\nversion = "0.28.1"\n'
        '[[package]]\nname = "added"\nversion = "0.1"\n'
    )
    out = subprocess.run(
        [sys.executable, str(LOCK_DIFF), str(old), str(new)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "3 package(s) changed" in out
    assert "| duckdb | 2.0.0 | 2.0.3 |" in out
    assert "| added | - | 0.1 |" in out and "| gone | 1.0 | - |" in out
    assert "httpx" not in out


def test_lock_diff_reads_the_real_lockfile():
    spec = importlib.util.spec_from_file_location("lock_diff", LOCK_DIFF)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    locked = module.versions(paths.REPO_ROOT / "uv.lock")
    assert locked["duckdb"].startswith("2.0.") and locked["httpx"]
    assert module.diff(locked, locked) == []
