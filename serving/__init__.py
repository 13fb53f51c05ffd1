"""serving: the product-facing read API over the published marts (read-only, FastAPI + uvicorn).

Reads only the copy that write-audit-publish swapped in (``sproutly.paths.serving_path()``), never
the warehouse, and never recomputes a metric: every number is a column dbt defined and tested.

    from serving import running
    with running() as url:            # 127.0.0.1, a free port
        httpx.get(f"{url}/v1/metrics/mrr").json()

Extra endpoints: ``running(routers=[APIRouter(...)])``. ``/docs`` and ``/openapi.json`` describe
the API. Command line: ``python -m serving [--port N]``; load test: ``python -m serving.loadtest``.
"""

from serving.server import NotLoopback, Published, create_app, make_server, running
from serving.store import NoPublishedCopy, PinnedStore, PublishedStore

__all__ = [
    "NoPublishedCopy",
    "NotLoopback",
    "PinnedStore",
    "Published",
    "PublishedStore",
    "create_app",
    "make_server",
    "running",
]
