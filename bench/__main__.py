"""``python -m bench``: measure, print one table, write ``bench/results.md`` + ``results.json``.

    python -m bench                                # every section, scale 1 and 45 (~10M events)
    python -m bench --only dbt --scale 1           # one section (comma-separate several)
    python -m bench --quick                        # smoke run: scale 0.05, one run, no clone
    python -m bench --no-make-test                 # skip the (long) make test in a fresh clone

A full run (no ``--only``, no ``--quick``) writes the committed ``bench/results.*``; any other
run writes into its work folder unless ``--out`` says where. The work folder (generated sources,
warehouses; ~3 GB at scale 45) is a temporary folder removed at the end unless ``--workdir`` is
given, in which case it is kept and reused (sources already generated are not generated again,
except by the ``generate`` section itself). Results of separate invocations combine into one
table with ``python -m bench.merge`` (see :mod:`bench.merge`).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tqdm import tqdm

from bench import report, sections
from bench.figures import COURSE_SCALE, LARGE_SCALE, Figure
from sproutly.paths import REPO_ROOT

RESULTS_DIR = Path(__file__).resolve().parent
QUICK_SCALE = 0.05


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        help=f"sections to run (comma-separated, repeatable): {', '.join(sections.SECTIONS)}",
    )
    parser.add_argument(
        "--scale",
        type=float,
        action="append",
        help="scales to measure (repeatable; default 1 and 45)",
    )
    parser.add_argument("--quick", action="store_true", help=f"smoke run at scale {QUICK_SCALE:g}")
    parser.add_argument("--repeats", type=int, default=3, help="runs per figure below scale 10")
    parser.add_argument(
        "--heavy-repeats",
        type=int,
        default=3,
        help="runs below scale 10 for the sections that run whole pipelines (dagster, daily)",
    )
    parser.add_argument(
        "--make-test",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run the whole make test in a fresh clone (long; default on, off with --quick)",
    )
    parser.add_argument("--workdir", type=Path, help="keep (and reuse) data here")
    parser.add_argument("--out", type=Path, help="where results.md / results.json go")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds per command")
    return parser


def plan(args: argparse.Namespace) -> list[tuple[str, float | None]]:
    """The ``(section, scale)`` steps to run, in order (scale None for scale-free sections)."""
    only = [name.strip() for spec in args.only for name in spec.split(",") if name.strip()]
    unknown = sorted(set(only) - set(sections.SECTIONS))
    if unknown:
        raise SystemExit(f"unknown section(s): {', '.join(unknown)}; one of {sections.SECTIONS}")
    scales = args.scale or ([QUICK_SCALE] if args.quick else [COURSE_SCALE, LARGE_SCALE])
    chosen = only or [
        name
        for name in sections.SECTIONS
        if not (args.quick and name in sections.SCALE_FREE)
        and not (name == "make_test" and not args.make_test)
    ]
    # set-up first, then every scale, then the scale-free work (make test, the longest, last)
    steps: list[tuple[str, float | None]] = [("setup", None)] if "setup" in chosen else []
    for scale in scales:
        for name in sections.SECTIONS:
            if name in chosen and name not in sections.SCALE_FREE:
                steps.append((name, scale))
    for name in ("notebooks", "make_test"):
        if name in chosen:
            steps.append((name, None))
    return steps


def run_step(ctx: sections.Context, name: str, scale: float | None) -> list[Figure]:
    function = getattr(sections, name)
    return function(ctx) if scale is None else function(ctx, scale)


def context_info(args: argparse.Namespace, seconds: float) -> dict[str, str]:
    """What the reader needs to judge the figures: commit, machine, run count, duration."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(  # the bench's own output (results.md / .json) does not count
        ["git", "status", "--porcelain", "--", ".", ":!bench/results.*"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return {
        "command": "python -m bench " + " ".join(sys.argv[1:]),
        "date (UTC)": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
        "commit": commit + (" (+ uncommitted changes in the working tree)" if dirty else ""),
        "machine": f"{os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()}, load average at the end {load}",
        "runs": f"median of {args.repeats} runs below scale 10 ({min(args.heavy_repeats, args.repeats)} "
        "for dagster and daily, which run whole pipelines), 1 run at scale 45 (~10M events)",
        "duration": f"{seconds / 60:.1f} min",
        "caveat": "a shared, noisy 2-core machine: timings are upper bounds; ratios were measured "
        "side by side in one run",
    }


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    steps = plan(args)
    full_run = not args.only and not args.quick and args.scale is None
    repeats = 1 if args.quick else args.repeats
    with tempfile.TemporaryDirectory(prefix="sproutly-bench-") as temporary:
        work = (args.workdir or Path(temporary)).resolve()
        work.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        figures: list[Figure] = []
        with tqdm(total=len(steps), unit="section", file=sys.stderr, dynamic_ncols=True) as bar:

            def step(text: str) -> None:
                bar.set_postfix_str(text, refresh=True)

            ctx = sections.Context(
                work=work,
                repeats=repeats,
                heavy_repeats=args.heavy_repeats,
                timeout=args.timeout,
                step=step,
            )
            out = args.out or (RESULTS_DIR if full_run else work)
            for name, scale in steps:
                bar.set_description(name if scale is None else f"{name} @ {scale:g}")
                figures += run_step(ctx, name, scale)
                bar.update(1)
                # written after every section, so a long run that is stopped keeps what it measured
                report.write(figures, out, context_info(args, time.perf_counter() - started))
        print(report.text_table(figures))
        print(f"\nwritten: {out / 'results.md'}, {out / 'results.json'}")
        if args.workdir is None and out == work:
            print("(the work folder is temporary: pass --workdir or --out to keep the files)")
    return 1 if any(f.verdict == "error" for f in figures) else 0


if __name__ == "__main__":
    sys.exit(main())
