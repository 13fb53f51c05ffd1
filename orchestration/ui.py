"""Start the Dagster UI in the background, on loopback, and stop it cleanly.

Started from a non-interactive shell, ``dagster-webserver`` inherits an ignored SIGINT and would
ignore SIGTERM too (stack-notes.md): restore default signal handling in the child before exec, run
it in its own process group, and stop the whole group.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from orchestration.instance import ensure_dagster_home
from sproutly import paths


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _restore_signals() -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)


@contextmanager
def webserver(
    port: int | None = None, timeout: float = 120.0, log: Path | None = None
) -> Iterator[str]:
    """Yield the URL of a running ``dagster-webserver`` for our definitions (127.0.0.1 only)."""
    ensure_dagster_home()
    port = port or free_port()
    log = log or paths.data_dir() / "dagster-webserver.log"
    paths.ensure(log)
    command = [
        str(Path(sys.executable).with_name("dagster-webserver")),
        "-h", "127.0.0.1", "-p", str(port), "-m", "orchestration.definitions",
    ]  # fmt: skip
    with log.open("w") as out:
        proc = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, cwd=paths.REPO_ROOT,
            preexec_fn=_restore_signals, start_new_session=True, env=os.environ.copy(),
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"dagster-webserver exited ({proc.returncode}); see {log}")
            try:
                if httpx.get(f"{url}/server_info", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"dagster-webserver did not answer within {timeout} s; see {log}"
                )
            time.sleep(0.5)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
