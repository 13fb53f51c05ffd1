"""Reference answers behind the exercises of chapters 04-05 (reading this file spoils them).

Each reference is computed a different way from the solution notebooks: from the file system or
by walking the asset graph by hand, not with the Dagster API the learner uses.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sproutly import paths


def yesterday(at: datetime) -> str:
    """The partition key of the day before ``at`` (``YYYY-MM-DD``)."""
    return (at.date() - timedelta(days=1)).isoformat()


def newest_landed_partition() -> str:
    """The newest ``date=YYYY-MM-DD`` folder under the landing zone that holds a file."""
    folders = [
        folder.name.removeprefix("date=")
        for folder in (paths.landing_dir() / "events").glob("date=*")
        if folder.is_dir() and any(folder.iterdir())
    ]
    return max(folders)


def upstream_without_raw(definitions, asset: str) -> list[str]:
    """``asset`` (``"marts/fct_mrr_daily"``) and every asset it depends on, directly or not,
    except the raw (ingestion) group: walked parent by parent."""
    graph = definitions.resolve_asset_graph()
    by_name = {"/".join(k.path): k for k in graph.get_all_asset_keys()}
    seen, todo = set(), [by_name[asset]]
    while todo:
        key = todo.pop()
        if key in seen:
            continue
        seen.add(key)
        todo.extend(graph.get(key).parent_keys)
    return sorted("/".join(k.path) for k in seen if graph.get(k).group_name != "raw")
