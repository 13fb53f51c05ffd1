import os
import tempfile

import pytest

# Building the Dagster definitions parses dbt when no manifest exists, and every Dagster run writes
# dbt's artefacts (run_results.json, which publish audits) there: give every test process its own
# dbt target folder before anything imports them. An xdist worker inherits the environment of the
# controller, where this file already ran: a worker always takes a folder of its own.
_worker = os.environ.get("PYTEST_XDIST_WORKER")
if _worker or "DBT_TARGET_PATH" not in os.environ:
    os.environ["DBT_TARGET_PATH"] = tempfile.mkdtemp(prefix=f"dbt-target-{_worker or 'main'}-")


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """A private data root (and Dagster home) for one test."""
    root = tmp_path / "data"
    root.mkdir()
    monkeypatch.setenv("SPROUTLY_DATA_DIR", str(root))
    monkeypatch.setenv("DAGSTER_HOME", str(root / "dagster_home"))
    return root


@pytest.fixture(scope="session")
def dbt_parsed():
    """Dagster's definitions need dbt's manifest: parse the project once per session."""
    from sproutly.dbt import dbt

    result = dbt("parse")
    assert result.success, result.exception
    return result


class LocalServer:
    """An HTTP server on 127.0.0.1 that answers every request with ``status`` and records it:
    a Slack-compatible webhook stand-in, or a billing API that rejects the token."""

    def __init__(self, status: int = 200) -> None:
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.status = status
        self.received: list[dict] = []  # JSON bodies of the POSTs
        self.requests: list[tuple[str, str]] = []  # (method, path) of every request
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                server.requests.append((self.command, self.path))
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    server.received.append(json.loads(self.rfile.read(length)))
                body = b'{"error": "no"}' if server.status >= 400 else b"ok"
                self.send_response(server.status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer  # noqa: N815 (http.server naming)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def local_server():
    """Start :class:`LocalServer` instances (``local_server(status)``); all closed afterwards."""
    started: list[LocalServer] = []

    def start(status: int = 200) -> LocalServer:
        started.append(LocalServer(status))
        return started[-1]

    yield start
    for server in started:
        server.close()
