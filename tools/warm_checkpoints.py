"""Build every checkpoint rung the tests start from, for the course's parameters and the second
set (:data:`tools.notebooks.SECOND_PARAMETERS`), one process each, side by side (``make
checkpoints``, the step of ``make test`` before the notebooks)::

    python tools/warm_checkpoints.py                                  # both sets, in parallel
    python tools/warm_checkpoints.py --seed 7 --scale 0.5 --data DIR  # one set, in DIR

Without it the first notebook to need a rung builds it while the other test worker, needing the
same rung, waits on its lock; chapter times under the test run then counted the pipeline's work.
States already in the cache (``$SPROUTLY_CHECKPOINT_DIR``) are found, not rebuilt.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tools.notebooks import FIXED, SECOND_PARAMETERS

COURSE_PARAMETERS = {"SEED": 42, "SCALE": 1.0}


def build_ladder(seed: int, scale: float, data: Path) -> None:
    """Every rung for one parameter set, in the data folder ``data``, the way a notebook run
    would (its own dbt folders inside ``data``: tools/notebooks.py), with a line per rung."""
    data = data.resolve()
    os.environ.update(
        {
            "SPROUTLY_DATA_DIR": str(data),
            "DBT_TARGET_PATH": str(data / "dbt_target"),
            "DBT_LOG_PATH": str(data / "dbt_logs"),
        }
    )
    for name in ("SPROUTLY_NOW", "DAGSTER_HOME"):
        os.environ.pop(name, None)
    from workbook.checkpoints import RUNGS, Settings, prepare

    for rung in RUNGS:
        start = time.monotonic()
        cached = prepare(rung.name, Settings(seed=seed, scale=scale))
        print(
            f"checkpoints seed {seed} scale {scale:g}: {rung.name:<18} "
            f"{'cached' if cached else 'built'} in {time.monotonic() - start:5.1f} s",
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int)
    parser.add_argument("--scale", type=float)
    parser.add_argument("--data", type=Path, help="a scratch data folder (with --seed/--scale)")
    options = parser.parse_args(argv)
    if options.seed is not None:
        if options.scale is None or options.data is None:
            parser.error("--seed needs --scale and --data")
        build_ladder(options.seed, options.scale, options.data)
        return 0
    environment = {**os.environ, **FIXED}
    with tempfile.TemporaryDirectory(prefix="sproutly-checkpoints-") as scratch:
        processes = [
            subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    *("--seed", str(parameters["SEED"]), "--scale", str(parameters["SCALE"])),
                    *("--data", str(Path(scratch) / name)),
                ],
                env=environment,
            )
            for name, parameters in (("course", COURSE_PARAMETERS), ("second", SECOND_PARAMETERS))
        ]
        codes = [process.wait() for process in processes]
    return max(codes)


if __name__ == "__main__":
    raise SystemExit(main())
