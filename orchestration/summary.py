"""The short, human summary `make run` prints after a pipeline run."""

from __future__ import annotations

from collections import Counter

import dagster as dg

from sproutly import paths


def _key(key: dg.AssetKey) -> str:
    return "/".join(key.path)


def checks_table(result: dg.ExecuteInProcessResult) -> str:
    evaluations = result.get_asset_check_evaluations()
    counts = Counter(
        "passed" if e.passed else f"failed ({e.severity.value.lower()})" for e in evaluations
    )
    lines = [
        f"checks: {len(evaluations)} evaluated, "
        + ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    ]
    for e in sorted(evaluations, key=lambda e: (_key(e.asset_key), e.check_name)):
        if not e.passed:
            lines.append(f"  ✗ {_key(e.asset_key)} · {e.check_name} ({e.severity.value})")
    return "\n".join(lines)


def render(result: dg.ExecuteInProcessResult) -> str:
    """Loads per raw table, checks, published marts with their row counts, and where to look next."""
    out = [f"run {result.run_id[:8]}: {'SUCCESS' if result.success else 'FAILED'}"]
    loads, published = {}, None
    for event in result.get_asset_materialization_events():
        mat = event.event_specific_data.materialization
        meta = {k: v.value for k, v in mat.metadata.items()}
        if mat.asset_key.path[0] == "raw":
            # a partition range materialises once per partition with the range's totals: keep one
            loads[_key(mat.asset_key)] = (meta.get("rows_loaded"), meta.get("rows_quarantined"))
        if mat.asset_key.path == ["published_marts"]:
            published = meta
    if loads:
        out.append("ingested (rows loaded / quarantined):")
        out += [f"  {k:<24} {n!s:>9} / {q!s}" for k, (n, q) in sorted(loads.items())]
    out.append(checks_table(result))
    if published:
        out.append(f"published {published['tables']} marts to {published['path']}:")
        out += [
            f"  {k.removeprefix('rows.'):<28} {v:>9,} rows"
            for k, v in sorted(published.items())
            if k.startswith("rows.")
        ]
    elif not result.success:
        out.append("nothing was published (the last good serving copy is untouched); failed steps:")
        for event in result.all_events:
            if event.is_step_failure:
                error = event.step_failure_data.error
                message = (error.cause or error).message if error else "?"
                out.append(f"  ✗ {event.step_key}: {message.strip().splitlines()[0][:300]}")
    out.append(
        f"Dagster history: {paths.dagster_home()}  ·  open the UI with `make ui` "
        "(http://127.0.0.1:3000)"
    )
    return "\n".join(out)
