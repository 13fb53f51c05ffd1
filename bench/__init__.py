"""``make bench``: the performance harness (issue #7).

Each *section* measures one figure family (fresh-clone set-up, generation, ingestion, dbt vs a
plain-SQL replay, an incremental day vs a full refresh, Dagster vs plain, notebooks, ``make test``,
serving latency) by running the project's own commands in subprocesses, and returns
:class:`bench.figures.Figure` rows. :mod:`bench.report` prints them as one table beside the
issue's targets and writes ``bench/results.md`` + ``bench/results.json``.

    python -m bench                        # everything, scale 1 and scale 45 (~10M events)
    python -m bench --only dbt --scale 1   # one section at one scale
    python -m bench --quick                # a small smoke run (scale 0.05, one run each)

Timings belong here, never in tests: the machine is shared, so the bench reports medians of
several runs and ratios measured side by side in one run.
"""
