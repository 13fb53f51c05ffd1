"""dbt inside a Dagster run, in-process: the same events as dagster-dbt, without a subprocess.

dagster-dbt's ``DbtCliResource.cli()`` starts a ``dbt`` subprocess for every run and reads its
JSON log lines. That subprocess pays dbt's start-up again each time: importing dbt, loading the
project, partial parsing — about 12 s of the ~30 s the dbt step took at the course scale, more than
the SQL itself (measured: stack-notes.md, "dbt cost profile").

Here the run calls dbt through :func:`sproutly.dbt.dbt` (``dbtRunner``, the one way Python calls
dbt in this project) and hands dbt's structured result events to dagster-dbt's own converter, so
Dagster sees exactly what it would see from the CLI: an ``Output`` per model and snapshot, an
``AssetCheckResult`` per dbt test, with dagster-dbt's metadata. What stays dagster-dbt's job:

- which dbt nodes a (subset) run selects: :func:`get_subset_selection_for_context`;
- how a result event becomes Dagster events: ``DbtCoreCliEventMessage.to_default_asset_events``.

A failed model or an error-severity test fails the step *after* the events of everything that did
run are reported, like ``dbt build`` itself: downstream assets (publish) never run on bad data.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator
from dagster_dbt.asset_utils import (
    DAGSTER_DBT_EXCLUDE_METADATA_KEY,
    DAGSTER_DBT_SELECT_METADATA_KEY,
    DAGSTER_DBT_SELECTOR_METADATA_KEY,
    DBT_INDIRECT_SELECTION_ENV,
    get_subset_selection_for_context,
)
from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage
from dagster_dbt.dbt_manifest import validate_manifest

from sproutly.dbt import dbt, failed_nodes, node_statuses, run_results
from sproutly.settings import settings

#: dbt's structured events that carry one node's result (what dagster-dbt converts).
RESULT_EVENTS = frozenset({"LogSeedResult", "LogModelResult", "LogSnapshotResult", "LogTestResult"})


def selection_args(
    context: dg.AssetExecutionContext,
    manifest: Mapping[str, Any],
    translator: DagsterDbtTranslator,
) -> tuple[list[str], str | None]:
    """The ``--select``/``--exclude`` arguments for the assets and checks this run selected, and
    the ``DBT_INDIRECT_SELECTION`` value that keeps unselected tests out (dagster-dbt's logic)."""
    tags = context.op.tags
    return get_subset_selection_for_context(
        context=context,
        manifest=manifest,
        select=tags.get(DAGSTER_DBT_SELECT_METADATA_KEY),
        exclude=tags.get(DAGSTER_DBT_EXCLUDE_METADATA_KEY),
        selector=tags.get(DAGSTER_DBT_SELECTOR_METADATA_KEY),
        dagster_dbt_translator=translator,
        current_dbt_indirect_selection_env=settings().plain(DBT_INDIRECT_SELECTION_ENV),
    )


def build(
    context: dg.AssetExecutionContext,
    args: Sequence[str],
    *,
    manifest: Mapping[str, Any] | Path,
    translator: DagsterDbtTranslator,
    target_path: Path,
) -> Iterator[dg.Output | dg.AssetCheckResult | dg.AssetObservation]:
    """Run ``dbt <args>`` for the selected subset in-process and yield its Dagster events.

    Raises :class:`dagster.Failure` (listing the failed nodes) when dbt reports an error or a
    failing error-severity test, after yielding the events of the nodes that succeeded.
    """
    manifest = validate_manifest(manifest)  # read manifest.json once, not once per event
    selection, indirect = selection_args(context, manifest, translator)
    results: list[dict[str, Any]] = []

    def collect(event: Any) -> None:
        if event.info.name in RESULT_EVENTS:
            from dbt_common.events.functions import msg_to_dict

            results.append(msg_to_dict(event))

    env = {DBT_INDIRECT_SELECTION_ENV: indirect} if indirect else {}
    context.log.info(f"dbt {' '.join([*args, *selection])} (in-process)")
    # dbt's own progress lines go to stdout: the console of `python -m orchestration`, the step's
    # log in the Dagster UI; notebooks capture them (orchestration.runs.execute).
    outcome = dbt(
        *args, *selection, target_path=target_path, env=env, callbacks=[collect], quiet=False
    )
    for raw_event in results:
        message = DbtCoreCliEventMessage(raw_event=raw_event, event_history_metadata={})
        yield from message.to_default_asset_events(
            manifest=manifest,
            dagster_dbt_translator=translator,
            context=context,
            target_path=target_path,
        )
    if not outcome.success:
        failed = sorted(failed_nodes(node_statuses(run_results(target_path))))
        raise dg.Failure(
            description=f"dbt {args[0]} failed: {', '.join(failed) or 'see the dbt log'}",
            metadata={"failed_nodes": failed},
        )
