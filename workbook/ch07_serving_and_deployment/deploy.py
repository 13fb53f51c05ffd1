"""Chapter 07 helpers: the deployment baseline read from the project's own files.

- :func:`profile_targets` shows the ``dev`` and ``prod`` outputs of ``dbt_project/profiles.yml``
  exactly as written (other targets, e.g. Snowflake's, are left to chapter 08);
- :func:`target_files` says which DuckDB files each target writes and reads;
- :func:`pinned` compares what ``pyproject.toml`` allows with what ``uv.lock`` pins;
- :func:`env_example` shows the entries of ``.env.example`` for the named variables;
- :func:`ci_job` shows one job of ``.github/workflows/ci.yml`` verbatim, :func:`ci_jobs`
  summarises them all;
- :func:`leak_probe` runs the read API with secret-looking values in its environment and
  looks for them in every answer and log line.
"""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Sequence

import pandas as pd

from sproutly import paths
from sproutly.env import temporarily
from workbook.show import Shown

PROFILES = paths.DBT_PROJECT_DIR / "profiles.yml"
ENV_EXAMPLE = paths.REPO_ROOT / ".env.example"
WORKFLOW = paths.REPO_ROOT / ".github" / "workflows" / "ci.yml"
#: The loggers :func:`leak_probe` reads: the server's (access log included) and the HTTP client's.
LOGGERS = ("serving", "httpx", "httpcore")


def profile_targets(names: Sequence[str] = ("dev", "prod")) -> Shown:
    """The profile's header (comments, ``target:``) and the named outputs, verbatim."""
    lines = PROFILES.read_text(encoding="utf-8").splitlines()
    kept: list[str] = []
    current: str | None = None
    in_outputs = False
    for line in lines:
        if line.strip() == "outputs:":
            in_outputs = True
            kept.append(line)
            continue
        if not in_outputs:
            kept.append(line)
            continue
        match = re.fullmatch(r" {4}([A-Za-z0-9_]+):\s*", line)
        if match:
            current = match.group(1)
        elif line and not line.startswith("     "):  # back at a shallower level
            current = None
        if current in names:
            kept.append(line)
    missing = [n for n in names if f"    {n}:" not in kept]
    if missing:
        raise KeyError(f"no output(s) {missing} in {PROFILES.name}")
    caption = f"dbt_project/profiles.yml (outputs: {', '.join(names)})"
    return Shown(caption, "yaml", "\n".join(kept))


def env_vars_in(text: str) -> list[str]:
    """The environment variables a profile (or any Jinja text) reads with ``env_var()``."""
    return sorted(set(re.findall(r"env_var\(\s*['\"]([A-Za-z0-9_]+)['\"]", text)))


def target_files(names: Sequence[str] = ("dev", "prod")) -> pd.DataFrame:
    """Per target: the warehouse dbt writes, the published copy the API reads, and whether each
    exists yet (paths relative to the data folder)."""
    rows = []
    for name in names:
        warehouse, serving = paths.warehouse_path(name), paths.serving_path(name)
        rows.append(
            {
                "target": name,
                "warehouse": _relative(warehouse),
                "warehouse exists": warehouse.exists(),
                "published copy": _relative(serving),
                "published exists": serving.exists(),
            }
        )
    return pd.DataFrame(rows)


def _relative(path) -> str:
    return "<data>/" + path.resolve().relative_to(paths.data_dir()).as_posix()


def _requirement(name: str) -> str:
    """The requirement string for ``name`` in pyproject.toml's dependencies ("" if absent)."""
    project = tomllib.loads((paths.REPO_ROOT / "pyproject.toml").read_text())
    for requirement in project["project"]["dependencies"]:
        match = re.match(r"([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*(.*)", requirement)
        if match and match.group(1).lower() == name.lower():
            return match.group(3).strip() or "(any)"
    return ""


def locked_versions() -> dict[str, str]:
    """package -> exact version pinned in ``uv.lock``."""
    lock = tomllib.loads((paths.REPO_ROOT / "uv.lock").read_text())
    return {package["name"]: package.get("version", "?") for package in lock.get("package", [])}


def pinned(packages: Sequence[str]) -> pd.DataFrame:
    """What ``pyproject.toml`` allows and the exact version ``uv.lock`` installs, per package."""
    locked = locked_versions()
    return pd.DataFrame(
        [
            {
                "package": name,
                "pyproject.toml allows": _requirement(name),
                "uv.lock pins": locked[name],
            }
            for name in packages
        ]
    )


def env_example(names: Sequence[str]) -> Shown:
    """The entries of ``.env.example`` for ``names``: each variable's line (set or commented
    out) with the comment lines just above it, in the file's order; other entries are left out
    and marked ``# ...``."""
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    kept: list[str] = []
    found: set[str] = set()
    for index, line in enumerate(lines):
        match = re.match(r"#?\s?([A-Z][A-Z0-9_]*)=", line)
        if not match or match.group(1) not in names:
            continue
        start = index
        while start > 0 and lines[start - 1].startswith("# ") and "=" not in lines[start - 1]:
            start -= 1
        kept += ["# ...", *lines[start : index + 1]]
        found.add(match.group(1))
    missing = [n for n in names if n not in found]
    if missing:
        raise KeyError(f"no entry for {missing} in {ENV_EXAMPLE.name}")
    return Shown(f".env.example ({', '.join(names)})", "text", "\n".join([*kept, "# ..."]))


def ci_job(name: str) -> Shown:
    """One job of the CI workflow, verbatim (its ``jobs:`` entry), with the workflow's triggers."""
    lines = WORKFLOW.read_text(encoding="utf-8").splitlines()
    start = lines.index(f"  {name}:")
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end].startswith("   ")):
        end += 1
    on = lines.index("on:")
    triggers = [lines[on]]
    for line in lines[on + 1 :]:
        if line and not line.startswith(" "):
            break
        triggers.append(line)
    while not triggers[-1].strip():
        triggers.pop()
    text = "\n".join([*triggers, "# ...", "jobs:", *lines[start:end]]).rstrip()
    return Shown(f".github/workflows/ci.yml (job {name})", "yaml", text)


def ci_jobs() -> pd.DataFrame:
    """One row per job of the CI workflow: when it runs, its named steps, its time limit; the
    workflow's triggers are in ``frame.attrs["triggers"]``."""
    import yaml

    workflow = yaml.safe_load(WORKFLOW.read_text())
    triggers = workflow.get(True, workflow.get("on"))  # YAML 1.1 reads `on:` as True
    rows = []
    for name, job in workflow["jobs"].items():
        # the named steps (checkout and tool set-up are unnamed: the same in every job)
        steps = [step["name"] for step in job["steps"] if "name" in step]
        rows.append(
            {
                "job": name,
                "runs if": job.get("if", "always"),
                "steps": " -> ".join(steps),
                "timeout (min)": job.get("timeout-minutes"),
            }
        )
    frame = pd.DataFrame(rows)
    frame.attrs["triggers"] = sorted(triggers)
    return frame


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name} {record.getMessage()}")


def leak_probe(names: Sequence[str], paths_to_call: Sequence[str]) -> pd.DataFrame:
    """Serve with a fresh random value for each variable in ``names`` in the environment, call
    every path (and one POST), and look for those values in the answers' bodies and headers and
    in every log line of the server and the HTTP client. One row per place looked at: how many
    items, and whether a secret was found. The values are never returned or shown.
    """
    import secrets as random_secrets

    import httpx

    from serving import running

    secrets = {name: f"probe-{random_secrets.token_urlsafe(12)}" for name in names}
    collector = _Collect()
    # Collect (and only collect: no propagation to the notebook's handlers) every record of the
    # server's and the HTTP client's loggers, down to DEBUG.
    loggers = [logging.getLogger(name) for name in LOGGERS]
    saved = [(logger.level, logger.propagate) for logger in loggers]
    for logger in loggers:
        logger.addHandler(collector)
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
    try:
        with temporarily(secrets), running() as url, httpx.Client(base_url=url) as client:
            responses = [client.get(path) for path in paths_to_call] + [client.post("/health")]
    finally:
        for logger, (level, propagate) in zip(loggers, saved, strict=True):
            logger.removeHandler(collector)
            logger.setLevel(level)
            logger.propagate = propagate
    access = [line for line in collector.lines if line.startswith("serving.access")]
    places = {
        "response bodies": [r.text for r in responses],
        "response headers": [str(r.headers) for r in responses],
        "server access log": access,
        "every log line (server + client)": collector.lines,
    }
    values = list(secrets.values())
    return pd.DataFrame(
        [
            {
                "looked in": place,
                # the number of log lines depends on connection reuse: not shown
                "items": "all" if place.startswith("every") else str(len(texts)),
                "secret found": any(value in text for value in values for text in texts),
            }
            for place, texts in places.items()
        ]
    )
