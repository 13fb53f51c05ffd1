"""Chapter 07 helpers: the read API's JSON as tables, and its latency as a picture.

    with serving.running() as url:
        status, body = get(url, "/health")
        fields(body)                               # scalar fields as a two-column table
        records(body["series"])                    # a list of JSON objects as rows
        tour(url, get=["/nowhere"], post=["/health"])  # status (and error) per call
    result = serving.loadtest.measure(clients=20, requests=2000, seconds=20)
    latency_plot(result)                           # wall-clock figures: a picture, not text
    latency_verdict(result, bound_ms=250)          # only deterministic facts and a verdict

Wall-clock latencies change from run to run and machine to machine, so a committed notebook
shows them only in a figure; its text says what is always true of a healthy run.
"""

from __future__ import annotations

from typing import Any

import httpx
import pandas as pd

#: Endpoint kinds of the load test's mix, in the order they are drawn.
KINDS = ("health", "MRR series", "one day", "user summary")


def get(url: str, path: str) -> tuple[int, Any]:
    """``GET url+path``: the HTTP status and the decoded JSON body."""
    response = httpx.get(f"{url}{path}", timeout=10)
    return response.status_code, response.json()


def fields(payload: dict[str, Any]) -> pd.DataFrame:
    """The scalar fields of a JSON object as ``field``/``value`` rows (nested objects and lists
    are left out: show them with :func:`records`); floats rounded to 2 decimals."""
    rows = [
        {"field": name, "value": _text(value)}
        for name, value in payload.items()
        if not isinstance(value, dict | list)
    ]
    return pd.DataFrame(rows, columns=["field", "value"])


def _text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, float):
        return str(round(value, 2))
    return str(value)


def records(items: list[dict[str, Any]] | dict[str, Any], columns: list[str] | None = None):
    """A list of JSON objects (or one object) as a DataFrame, optionally only ``columns``."""
    frame = pd.DataFrame(items if isinstance(items, list) else [items])
    return frame[columns] if columns else frame


def tour(url: str, get: list[str] = (), post: list[str] = ()) -> pd.DataFrame:
    """Call each path (GET, then POST); one row per call: method, path, status, error message."""
    rows = []
    calls = [("GET", path) for path in get] + [("POST", path) for path in post]
    with httpx.Client(base_url=url, timeout=10) as client:
        for method, path in calls:
            response = client.request(method, path)
            body = response.json()
            rows.append(
                {
                    "method": method,
                    "path": path,
                    "status": response.status_code,
                    "error": body.get("error", "") if isinstance(body, dict) else "",
                }
            )
    return pd.DataFrame(rows, columns=["method", "path", "status", "error"])


def kind(path: str) -> str:
    """The endpoint kind of a load-test path (``/v1/users/7/summary`` -> ``user summary``)."""
    if path.startswith("/v1/users/"):
        return "user summary"
    if path.startswith("/v1/metrics/daily"):
        return "one day"
    if path.startswith("/v1/metrics/mrr"):
        return "MRR series"
    return "health"


def latency_frame(result) -> pd.DataFrame:
    """One row per answered request of a :class:`serving.loadtest.LoadResult`: kind and ms."""
    return pd.DataFrame(
        [{"kind": kind(path), "ms": ms} for path, ms in result.samples], columns=["kind", "ms"]
    )


def latency_plot(result, *, budget_ms: float | None = None, figsize=(9, 3.4)):
    """Left: latency per endpoint kind (box plots, log scale). Right: the share of requests
    answered within x ms, with p50, p95 and the budget marked."""
    from serving.loadtest import BUDGET_P95_MS
    from workbook.plots import figure

    budget_ms = BUDGET_P95_MS if budget_ms is None else budget_ms
    frame = latency_frame(result)
    fig = figure(figsize)
    left, right = fig.subplots(1, 2)
    kinds = [k for k in KINDS if k in set(frame["kind"])]
    left.boxplot(
        [frame.loc[frame["kind"] == k, "ms"] for k in kinds], whis=(5, 95), showfliers=False
    )
    left.set_xticks(range(1, len(kinds) + 1), kinds, fontsize=8)
    left.set_yscale("log")
    left.set_ylabel("ms per request")
    left.axhline(budget_ms, color="#e53935", linestyle="--", linewidth=1)
    left.set_title("latency by endpoint (whiskers: 5th-95th pct)", fontsize=9)
    ordered = frame["ms"].sort_values().to_numpy()
    share = [(i + 1) / len(ordered) for i in range(len(ordered))]
    right.plot(ordered, share, color="#43a047")
    right.set_xscale("log")
    right.axvline(budget_ms, color="#e53935", linestyle="--", linewidth=1, label="p95 budget")
    for value, label, style in ((result.p50_ms, "p50", ":"), (result.p95_ms, "p95", "-.")):
        right.axvline(value, color="#546e7a", linestyle=style, linewidth=1, label=label)
    right.axhline(0.95, color="#bdbdbd", linewidth=0.8)
    right.set_xlabel("ms")
    right.set_ylabel("share answered within")
    right.legend(fontsize=8, loc="lower right")
    right.set_title(
        f"{result.requests} requests: p50 {result.p50_ms:.1f} ms, p95 {result.p95_ms:.1f} ms",
        fontsize=9,
    )
    fig.tight_layout()
    return fig


def latency_verdict(result, *, clients: int, bound_ms: float) -> pd.DataFrame:
    """What is always true of a healthy load test, and a verdict against a generous bound
    (no wall-clock number appears in the table)."""
    statuses = ", ".join(f"{code}: {n}" for code, n in sorted(result.statuses.items()))
    return pd.DataFrame(
        [
            {"fact": "concurrent clients", "value": str(clients)},
            {"fact": "requests answered", "value": str(result.requests)},
            {"fact": "HTTP statuses", "value": statuses},
            {"fact": "transport errors", "value": str(result.errors)},
            {
                "fact": "endpoint kinds",
                "value": ", ".join(sorted(latency_frame(result)["kind"].unique())),
            },
            {
                "fact": f"p95 under {bound_ms:g} ms (generous bound)",
                "value": "yes" if result.p95_ms <= bound_ms else "NO",
            },
        ]
    )
