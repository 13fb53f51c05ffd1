"""`make doctor`: check a machine before a training session, and print a fix for each failure.

Runs with any Python 3 (standard library only), before or after `make setup`:

    python3 tools/doctor.py [--min-free-gb 5] [--ports 3000 8000 8888]

Checks: Python 3.11 for the project, uv, free disk space, the ports the course uses (Dagster UI
3000, read API 8000, JupyterLab 8888), the lock (uv.lock matches pyproject.toml and .venv was
synced from it), the DuckDB warehouse not locked by another process, and the checkpoint cache
warm (every chapter starts in seconds). Exit status 1 when any check fails.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORTS = {3000: "Dagster UI (make ui)", 8000: "read API (make serve)", 8888: "JupyterLab (make lab)"}
MIN_FREE_GB = 5.0


@dataclass
class Result:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def uv_command() -> list[str] | None:
    """How the Makefile reaches uv: the one on PATH, else ``python3 -m uv``."""
    found = shutil.which("uv")
    if found:
        return [found]
    probe = subprocess.run([sys.executable, "-m", "uv", "--version"], capture_output=True)
    return [sys.executable, "-m", "uv"] if probe.returncode == 0 else None


def venv_python(root: Path) -> Path:
    return root / ".venv" / "bin" / "python"


def check_python(root: Path) -> Result:
    python = venv_python(root)
    if not python.exists():
        return Result("python", False, "no .venv yet", "run `make setup` (uv installs Python 3.11)")
    out = subprocess.run([str(python), "--version"], capture_output=True, text=True)
    version = (out.stdout or out.stderr).strip()
    if not version.startswith("Python 3.11."):
        return Result(
            "python",
            False,
            f".venv has {version or 'no working Python'}",
            "rm -rf .venv && make setup (the project pins Python 3.11)",
        )
    return Result("python", True, f".venv: {version}")


def check_uv() -> Result:
    uv = uv_command()
    if not uv:
        return Result("uv", False, "uv not found", "python3 -m pip install uv (or: make setup)")
    version = subprocess.run([*uv, "--version"], capture_output=True, text=True).stdout.strip()
    return Result("uv", True, version)


def check_disk(path: Path, min_free_gb: float) -> Result:
    free = shutil.disk_usage(path).free / 1e9
    if free < min_free_gb:
        return Result(
            "disk",
            False,
            f"{free:.1f} GB free at {path} (need {min_free_gb:g} GB)",
            "free space: `make clean` removes generated data; delete old checkpoint folders",
        )
    return Result("disk", True, f"{free:.1f} GB free")


def port_holder(port: int) -> str:
    """``pid NNN (name)`` listening on a loopback/any TCP port, from /proc (Linux), or ""."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # LISTEN
                inodes.add(fields[9])
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            for fd in (proc / "fd").iterdir():
                link = os.readlink(fd)
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    name = (proc / "comm").read_text().strip()
                    return f"pid {proc.name} ({name})"
        except OSError:
            continue
    return ""


def check_ports(ports: dict[int, str]) -> list[Result]:
    results = []
    for port, what in ports.items():
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                holder = port_holder(port)
                results.append(
                    Result(
                        f"port {port}",
                        False,
                        f"in use{' by ' + holder if holder else ''} ({what} needs it)",
                        f"stop that process (`ss -ltnp 'sport = :{port}'` shows it), "
                        + "or start that tool on another port",
                    )
                )
                continue
        results.append(Result(f"port {port}", True, f"free ({what})"))
    return results


def check_lock(root: Path) -> Result:
    lock, synced = root / "uv.lock", root / ".venv" / ".synced"
    uv = uv_command()
    if uv:
        out = subprocess.run(
            [*uv, "lock", "--check", "--offline"], cwd=root, capture_output=True, text=True
        )
        if out.returncode != 0:
            return Result(
                "lock",
                False,
                "uv.lock does not match pyproject.toml: "
                + (out.stderr.strip().splitlines() or [""])[-1],
                "git checkout uv.lock pyproject.toml (or, if you changed dependencies: uv lock)",
            )
    if not synced.exists():
        return Result("lock", False, ".venv was never synced from uv.lock", "make setup")
    if synced.stat().st_mtime < max(
        lock.stat().st_mtime, (root / "pyproject.toml").stat().st_mtime
    ):
        return Result(
            "lock",
            False,
            "uv.lock or pyproject.toml changed after .venv was synced",
            "make setup (uv sync --locked)",
        )
    return Result("lock", True, "uv.lock matches pyproject.toml; .venv synced from it")


def lock_holder(path: Path) -> int | None:
    """The pid holding a POSIX lock on ``path`` (DuckDB's file lock), or None (F_GETLK: nothing
    is locked by this check)."""
    with open(path, "rb+") as handle:
        request = struct.pack("hhqqi", fcntl.F_WRLCK, 0, 0, 0, 0)
        answer = fcntl.fcntl(handle.fileno(), fcntl.F_GETLK, request)
        kind, _, _, _, pid = struct.unpack("hhqqi", answer)
    return None if kind == fcntl.F_UNLCK else pid


def check_duckdb(files: list[Path]) -> Result:
    busy = []
    for path in files:
        if path.exists():
            pid = lock_holder(path)
            if pid:
                busy.append(f"{path} (pid {pid})")
    if busy:
        return Result(
            "duckdb",
            False,
            "locked by another process: " + ", ".join(busy),
            "stop that process (a notebook kernel, `make ui` or a second `make run`): "
            "DuckDB allows one writer per file",
        )
    return Result("duckdb", True, f"{len([f for f in files if f.exists()])} file(s), none locked")


PROJECT_STATE = """
import json
from sproutly import paths
from workbook import checkpoints
keys = checkpoints._keys(checkpoints.Settings(seed=42, scale=1.0))
cache = checkpoints.cache_dir()
print(json.dumps({
    "warehouse": [str(p) for p in sorted((paths.data_dir() / "warehouse").glob("*.duckdb"))
                  + sorted((paths.data_dir() / "serving").glob("*.duckdb"))],
    "cache": str(cache),
    "missing": [k for k in keys.values() if not (cache / k).exists()],
    "rungs": len(keys),
}))
"""


def project_state(root: Path) -> dict | None:
    python = venv_python(root)
    if not python.exists():
        return None
    out = subprocess.run(
        [str(python), "-c", PROJECT_STATE], cwd=root, capture_output=True, text=True
    )
    return json.loads(out.stdout) if out.returncode == 0 else {"error": out.stderr.strip()}


def check_checkpoints(state: dict | None) -> Result:
    if state is None:
        return Result("checkpoints", False, "no .venv yet", "make setup, then make run")
    if "error" in state:
        return Result("checkpoints", False, state["error"].splitlines()[-1], "make setup")
    if state["missing"]:
        return Result(
            "checkpoints",
            False,
            f"{len(state['missing'])} of {state['rungs']} course states not cached in "
            f"{state['cache']} (first chapters would take minutes)",
            "warm the cache once: make nbval (or open each chapter once); "
            "keep SPROUTLY_CHECKPOINT_DIR the same for the session",
        )
    return Result("checkpoints", True, f"all {state['rungs']} course states cached")


def run(
    root: Path = ROOT, ports: dict[int, str] = PORTS, min_free_gb: float = MIN_FREE_GB
) -> list[Result]:
    state = project_state(root)
    warehouse = [Path(p) for p in state.get("warehouse", [])] if state else []
    return [
        check_python(root),
        check_uv(),
        check_disk(root, min_free_gb),
        *check_ports(ports),
        check_lock(root),
        check_duckdb(warehouse),
        check_checkpoints(state),
    ]


def report(results: list[Result]) -> str:
    lines = []
    for r in results:
        lines.append(f"{'ok  ' if r.ok else 'FAIL'}  {r.name:<12} {r.detail}")
        if not r.ok:
            lines.append(f"      {'':<12} fix: {r.fix}")
    failed = sum(not r.ok for r in results)
    lines.append(f"{failed} problem(s)" if failed else "all checks passed: ready for the session")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-free-gb", type=float, default=MIN_FREE_GB)
    parser.add_argument("--ports", type=int, nargs="*", default=list(PORTS))
    args = parser.parse_args(argv)
    ports = {p: PORTS.get(p, "the course") for p in args.ports}
    results = run(ROOT, ports, args.min_free_gb)
    print(report(results))
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
