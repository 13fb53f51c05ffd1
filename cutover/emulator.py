"""A local Snowflake emulator (fakesnow's server), started and stopped by the project.

Real Snowflake is a cloud service. To run the *same* dbt project against something that speaks
Snowflake's wire protocol on a laptop or in CI, we start `fakesnow <https://github.com/tekumara/fakesnow>`_
in server mode: an HTTP server that answers the snowflake-connector's requests and executes the SQL
on DuckDB after translating it from Snowflake's dialect. It is an *emulator*: every result it produces
is labelled "emulated", and a green run does not prove what fakesnow is more lenient about (see
``/work/shared/snowflake-emulation.md`` and chapter 08).

Why a subprocess (``python -m cutover.emulator``) and not a thread in this process:

- fakesnow's server keeps one process-wide in-memory database and cannot be started twice in one
  process; a subprocess gives each :func:`running` block a clean emulator;
- our patches (:mod:`cutover.emulator_patches`) change fakesnow internals: they stay inside the
  emulator process and never leak into the notebook or test process that talks to it;
- a stuck emulator can be killed without killing the caller.

Example::

    from cutover.emulator import running

    with running() as emulator:
        con = emulator.connect()
        con.cursor().execute("select 1").fetchall()   # [(1,)]
        emulator.env()                                # variables the `snowflake_emulated` target reads
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sproutly import paths

HOST = "127.0.0.1"  # loopback only: the emulator has no authentication worth the name
DATABASE = "SPROUTLY"
SCHEMA = "MAIN"
USER = "emulator"
# fakesnow accepts any password; this one is not a secret, it only fills the connector's form.
PASSWORD = "emulator"  # noqa: S105
ACCOUNT = "emulated"

# The connector probes cloud metadata addresses (AWS/GCP/Azure) to detect its platform unless told not
# to: offline that costs seconds per connection. Set for this process and every child.
PLATFORM_DETECTION_ENV = {"SNOWFLAKE_DISABLE_PLATFORM_DETECTION": "true"}


class EmulatorError(RuntimeError):
    """The emulator did not start (or died); the message carries the tail of its log."""


@dataclass
class Emulator:
    """A running emulator: where it listens and how to reach it. ``log_path`` is its log while
    it runs (its work folder is removed when it stops; errors quote the log's tail)."""

    host: str
    port: int
    log_path: Path
    database: str = DATABASE
    schema: str = SCHEMA
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def env(self) -> dict[str, str]:
        """Environment variables the dbt target ``snowflake_emulated`` reads (profiles.yml)."""
        return {
            "SNOWFLAKE_EMULATOR_HOST": self.host,
            "SNOWFLAKE_EMULATOR_PORT": str(self.port),
            "SNOWFLAKE_EMULATOR_DATABASE": self.database,
            **PLATFORM_DETECTION_ENV,
        }

    def connect_args(self) -> dict[str, Any]:
        """Keyword arguments for ``snowflake.connector.connect`` that reach this emulator."""
        return {
            "account": ACCOUNT,
            "user": USER,
            "password": PASSWORD,
            "host": self.host,
            "port": self.port,
            "protocol": "http",
            "database": self.database,
            "schema": self.schema,
            "paramstyle": "qmark",
            "login_timeout": 10,
            "network_timeout": 60,
            "session_parameters": {"CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False},
        }

    def connect(self) -> Any:
        """A new snowflake.connector connection to the emulator (close it when done)."""
        os.environ.update(PLATFORM_DETECTION_ENV)
        import snowflake.connector

        return snowflake.connector.connect(**self.connect_args())

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the emulator's log (its stdout and stderr)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


def _answers(url: str) -> bool:
    """True when an HTTP server answers at ``url`` (any status code counts as an answer)."""
    request = urllib.request.Request(f"{url}/session", method="POST", data=b"{}")
    try:
        with urllib.request.urlopen(request, timeout=2):  # noqa: S310 - loopback http only
            return True
    except urllib.error.HTTPError:
        return True  # 401 "session token not found": the server is up
    except (urllib.error.URLError, OSError):
        return False


def _stop(process: subprocess.Popen, grace: float = 5.0) -> None:
    """SIGTERM the emulator's process group, then SIGKILL if it does not exit in ``grace`` s."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=grace)


@contextmanager
def running(*, db_path: Path | None = None, timeout: float = 60) -> Iterator[Emulator]:
    """Start the emulator in a subprocess on a free loopback port; stop it on exit.

    ``db_path``: a folder for fakesnow's database files, so state survives a restart; None keeps
    everything in memory. ``timeout``: seconds to wait for the emulator to answer. The subprocess
    is stopped when the block ends, also on error; it also exits by itself if this process dies.
    """
    os.environ.update(PLATFORM_DETECTION_ENV)
    workdir = Path(tempfile.mkdtemp(prefix="sproutly-emulator-"))
    log_path = workdir / "emulator.log"
    ready_file = workdir / "ready.json"
    command = [
        sys.executable,
        "-m",
        "cutover.emulator",
        "--port",
        "0",
        "--ready-file",
        str(ready_file),
        "--parent-pid",
        str(os.getpid()),
    ]
    if db_path is not None:
        Path(db_path).mkdir(parents=True, exist_ok=True)
        command += ["--db-path", str(Path(db_path).resolve())]
    env = {**os.environ, **PLATFORM_DETECTION_ENV, "PYTHONPATH": str(paths.REPO_ROOT)}
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=str(paths.REPO_ROOT),
            env=env,
            start_new_session=True,  # own process group: stopped as a whole, immune to Ctrl-C
        )
    emulator = Emulator(host=HOST, port=0, log_path=log_path, process=process)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise EmulatorError(
                    f"The Snowflake emulator exited with code {process.returncode} before it "
                    f"answered. Its log:\n{emulator.log_tail()}"
                )
            if ready_file.exists() and not emulator.port:
                emulator.port = int(json.loads(ready_file.read_text())["port"])
            if emulator.port and _answers(emulator.url):
                break
            if time.monotonic() > deadline:
                raise EmulatorError(
                    f"The Snowflake emulator did not answer within {timeout:.0f} s. Its log:\n"
                    f"{emulator.log_tail()}"
                )
            time.sleep(0.1)
        yield emulator
    finally:
        _stop(process)
        shutil.rmtree(workdir, ignore_errors=True)


# -- the subprocess side -------------------------------------------------------------------------
def _watch_parent(parent_pid: int) -> None:
    """Exit when the process that started us is gone, so a killed notebook leaves no orphan."""
    while True:
        if os.getppid() != parent_pid:
            os._exit(0)
        time.sleep(1)


def serve(
    *, port: int, ready_file: Path | None, db_path: Path | None, parent_pid: int | None
) -> None:
    """Run fakesnow's server (with our patches) on 127.0.0.1 until SIGTERM."""
    import uvicorn

    from cutover import emulator_patches

    emulator_patches.apply()

    import fakesnow.server
    from fakesnow.instance import FakeSnow

    if db_path is not None:
        # Every session shares one database; with db_path its files persist between restarts.
        fakesnow.server.shared_fs = FakeSnow(db_path=str(db_path))
    if ready_file is not None:
        # Files PUT into stages live in our work folder (removed on exit), not in a new /tmp folder.
        from fakesnow.transforms import stage

        shutil.rmtree(stage.LOCAL_BUCKET_PATH, ignore_errors=True)
        stage.LOCAL_BUCKET_PATH = str(ready_file.parent / "stages")
        Path(stage.LOCAL_BUCKET_PATH).mkdir(exist_ok=True)

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))  # port 0: the kernel picks a free one, no race with other processes
    bound_port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(fakesnow.server.app, log_level="info", access_log=False))
    if parent_pid:
        threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    if ready_file is not None:
        tmp = ready_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"host": HOST, "port": bound_port, "pid": os.getpid()}))
        tmp.replace(ready_file)
    print(f"fakesnow emulator listening on http://{HOST}:{bound_port}", flush=True)
    server.run(sockets=[sock])


def main(argv: list[str] | None = None) -> int:
    """``python -m cutover.emulator --port 0``: run the emulator in the foreground."""
    parser = argparse.ArgumentParser(
        prog="python -m cutover.emulator", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--port", type=int, default=0, help="0 = a free port")
    parser.add_argument("--ready-file", type=Path, help="write {host, port, pid} here once bound")
    parser.add_argument("--db-path", type=Path, help="folder for persistent database files")
    parser.add_argument("--parent-pid", type=int, help="exit when this parent process is gone")
    args = parser.parse_args(argv)
    os.environ.update(PLATFORM_DETECTION_ENV)
    serve(
        port=args.port, ready_file=args.ready_file, db_path=args.db_path, parent_pid=args.parent_pid
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
