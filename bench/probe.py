"""Run one command and measure it: wall time and peak resident memory (RSS).

Peak memory comes from ``resource.getrusage(RUSAGE_CHILDREN)``, which reports the largest RSS of
any child a process has waited for. Read in the bench's own process it would be the maximum over
*every* command run so far, so each measured command runs under a small probe process
(``python -m bench.probe``) whose only child is that command; the probe writes the figures as
JSON to a file of its own (``--out``), so the command's stdout and stderr stay untouched.

    python -m bench.probe --out result.json -- python -m ingestion load events
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Measured:
    """What one command did: exit code, wall seconds, peak RSS in MB, and its output."""

    returncode: int
    seconds: float
    peak_rss_mb: float
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def tail(self, lines: int = 5) -> str:
        """The last lines of stderr (or stdout): what to show when the command failed."""
        text = (self.stderr.strip() or self.stdout.strip()).splitlines()
        return " / ".join(text[-lines:])


def _probe_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.probe")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    started = time.perf_counter()
    returncode = subprocess.call(command)  # inherits stdout/stderr (captured by the caller)
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    args.out.write_text(
        json.dumps({"returncode": returncode, "seconds": seconds, "peak_kb": peak_kb})
    )
    return 0


def measure(
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float | None = None,
) -> Measured:
    """Run ``command`` under the probe; capture its output; return its :class:`Measured`.

    A command that cannot start or exceeds ``timeout`` comes back with a non-zero return code
    (and the reason in ``stderr``), never as an exception: one failed figure must not stop a
    bench run that takes an hour.
    """
    out = Path(tempfile.gettempdir()) / f"bench-probe-{os.getpid()}-{time.monotonic_ns()}.json"
    probe = [sys.executable, "-m", "bench.probe", "--out", str(out), "--", *command]
    probe_env = dict(env if env is not None else os.environ)
    # The probe imports bench from this checkout, whatever the command's working directory.
    root = str(Path(__file__).resolve().parent.parent)
    probe_env["PYTHONPATH"] = os.pathsep.join(
        p for p in (root, probe_env.get("PYTHONPATH", "")) if p
    )
    # A session of its own, so a timeout stops the command's whole process tree (e.g. the
    # serving process a load test started), not just the probe.
    process = subprocess.Popen(
        probe,
        env=probe_env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        out.unlink(missing_ok=True)
        return Measured(124, float(timeout or 0), 0.0, stdout, f"timed out after {timeout} s")
    try:
        result = json.loads(out.read_text())
    except (OSError, ValueError):
        return Measured(process.returncode or 1, 0.0, 0.0, stdout, stderr or "probe failed")
    finally:
        out.unlink(missing_ok=True)
    return Measured(
        returncode=result["returncode"],
        seconds=result["seconds"],
        peak_rss_mb=result["peak_kb"] / 1024,
        stdout=stdout,
        stderr=stderr,
    )


if __name__ == "__main__":
    sys.exit(_probe_main())
