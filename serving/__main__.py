"""``python -m serving [--port N] [--host 127.0.0.1]``: serve the published marts until stopped.

The port comes from ``--port``, else ``$SERVING_PORT``, else 8000 (0 = any free port). The URL is
printed on the first line of stdout (tools and tests read it from there). SIGTERM and SIGINT
(Ctrl-C) stop the server cleanly; handlers are installed explicitly because a process started in
the background by a non-interactive shell inherits an *ignored* SIGINT.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from serving.server import (
    DEFAULT_HOST,
    PORT_ENV,
    NotLoopback,
    make_server,
)
from sproutly.settings import settings


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m serving", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=None, help=f"default ${PORT_ENV} or 8000")
    parser.add_argument("--host", default=DEFAULT_HOST, help="a 127.0.0.0/8 address")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s"
    )
    port = args.port if args.port is not None else settings().serving_port
    try:
        server = make_server(port, host=args.host)
    except (NotLoopback, ValueError) as error:
        print(f"serving: {error}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    print(server.url, flush=True)
    print(f"serving the published marts at {server.store.path}", file=sys.stderr, flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.shutdown()
        server.server_close()
        server.store.close()
        thread.join(timeout=5)
    print("serving: stopped", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
