"""`make lab` starts (as root too), listens on 127.0.0.1 and shows a chapter in a real Chromium,
without asking to fetch Jupyter news (jupyter/ holds its settings)."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import time

import httpx
import pytest
from chromium_helpers import ARTIFACTS, needs_chromium, wait_for_text

from sproutly import paths

pytestmark = [pytest.mark.slow, needs_chromium]
CHAPTER = "notebooks/07_serving_and_deployment.ipynb"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_make_lab_opens_a_chapter_offline(chromium, tmp_path):
    port, token = free_port(), secrets.token_urlsafe(16)
    lab_args = (
        f"--port={port} --IdentityProvider.token={token} "
        f"--LabApp.user_settings_dir={tmp_path / 'settings'} "
        f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}"
    )
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    log = (tmp_path / "lab.log").open("w")
    process = subprocess.Popen(
        ["make", "--no-print-directory", "lab", f"LAB_ARGS={lab_args}"],
        cwd=paths.REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopped as one below
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, (tmp_path / "lab.log").read_text()[-3000:]
            try:
                if httpx.get(f"{url}/api/status", params={"token": token}).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "JupyterLab did not answer in 120 s"
            time.sleep(0.5)
        news = httpx.get(f"{url}/lab/api/news", params={"token": token}).json()
        assert news == {"news": []}  # news_url is None: nothing is fetched
        chromium.get(f"{url}/lab/tree/{CHAPTER}?token={token}")
        wait_for_text(chromium, "Serving and deployment", "Learning goals", timeout=120)
        ARTIFACTS.mkdir(exist_ok=True)
        chromium.save_screenshot(str(ARTIFACTS / "jupyterlab-chapter.png"))
        assert "official Jupyter news" not in chromium.page_source
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()
    text = (tmp_path / "lab.log").read_text()
    assert f"http://127.0.0.1:{port}/lab" in text
    assert "Running as root is not recommended" not in text
