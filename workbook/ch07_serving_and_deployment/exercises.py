"""Chapter 07 exercises on the real files: a CI build of only what changed, and an endpoint that
passes the team's test.

- Exercise 1 (:func:`ci_sandbox` / :func:`ci_build`): save production's manifest, edit one model,
  run ``dbt build --select state:modified+ --defer --state prod-manifest``; the check reads
  ``run_results.json`` and requires exactly the edited model and everything downstream of it.
- Exercise 2 (:func:`api_sandbox` / :func:`active_users`): write ``serving/active_users.py`` in
  the sandbox's copy of the API and run the team's test with ``python -m pytest``; the check
  serves your router over HTTP and compares it with the published copy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sproutly.dbt import manifest as read_manifest
from workbook import checks
from workbook.ch07_serving_and_deployment import exercise_checks
from workbook.sandbox import Sandbox, sandbox

#: Exercise 1: where production's manifest goes (relative to the sandbox's dbt project).
PROD_STATE = "prod-manifest"
CI_MODEL = "dim_plans"
CI_MODEL_PATH = "models/marts/core/dim_plans.sql"
PROD_COMMAND = f"dbt parse --target-path {PROD_STATE} --quiet"
CI_COMMAND = "dbt build --select <modified and downstream> --defer --state prod-manifest --quiet"
#: Resource types ``dbt build`` runs.
_BUILT = {"model", "test", "seed", "snapshot", "unit_test"}


def ci_sandbox() -> Sandbox:
    """A copy of the project and the warehouse: production as it is deployed."""
    return sandbox("ex07-1", write=[CI_MODEL_PATH], command=[PROD_COMMAND, CI_COMMAND])


def _downstream(manifest: dict, roots: set[str]) -> set[str]:
    children = manifest.get("child_map", {})
    seen, todo = set(roots), list(roots)
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return seen


def _modified(current: dict, prod: dict) -> set[str]:
    """Models whose SQL differs from production's (or that production does not have)."""
    before = prod.get("nodes", {})
    return {
        uid
        for uid, node in current.get("nodes", {}).items()
        if node.get("resource_type") == "model"
        and (uid not in before or before[uid]["checksum"] != node["checksum"])
    }


def ci_build(sb: Sandbox) -> None:
    """Exercise 1: the last dbt command was a deferred ``state:modified+`` build: it ran the
    edited ``dim_plans``, every test and model downstream of it, and nothing else; every node
    passed and ``monthly_price_amount`` is rounded to cents."""
    checks.answered(sb, "the sandbox")
    try:
        prod = read_manifest(sb.project_dir / PROD_STATE)
    except FileNotFoundError:
        checks._fail(
            f"there is no production manifest in {sb.shown(PROD_STATE)}.",
            f"run the cell with !{PROD_COMMAND} before you edit the model.",
        )
    try:
        results = sb.run_results()
        current = sb.manifest()
    except FileNotFoundError:
        checks._fail(
            "dbt has not built anything in the sandbox yet.",
            "edit the model, then run your dbt build command.",
        )
    args = results.get("args", {})
    if args.get("which") != "build":
        checks._fail(
            f"the last dbt command was `dbt {args.get('which')}`, not `dbt build`.",
            "CI builds (models and their tests): run your dbt build command again.",
        )
    modified = _modified(current, prod)
    if not modified:
        checks._fail(
            f"no model differs from production: {CI_MODEL} is unchanged.",
            f"edit {sb.shown(CI_MODEL_PATH)} (the %%writefile cell), then build.",
        )
    others = sorted(uid.split(".")[-1] for uid in modified if uid.split(".")[-1] != CI_MODEL)
    if others:
        checks._fail(
            f"you changed other models too: {', '.join(others)}.",
            "only dim_plans changes in this pull request.",
        )
    selected = " ".join(args.get("select") or [])
    if "state:modified" not in selected:
        checks._fail(
            f"your build selected {selected or 'everything'!r}, not by state.",
            "CI must not know the model's name: select what differs from the production "
            "manifest (dbt's `state:` selection method) and what is downstream of it.",
        )
    if not any(s.startswith("state:modified") and s.endswith("+") for s in args["select"]):
        checks._fail(
            f"your build selected {selected!r}: the modified models only.",
            "a model downstream of a change must be rebuilt and tested too (dim_plans has no "
            "child model today; CI must not depend on that): add dbt's graph operator.",
        )
    if not args.get("defer") or not args.get("state"):
        checks._fail(
            "your build did not defer to production.",
            "--defer --state prod-manifest: unselected parents (the facts the relationship "
            "tests read) then come from production instead of being rebuilt.",
        )
    ran = {r["unique_id"] for r in results.get("results", [])}
    wanted = {
        uid
        for uid in _downstream(current, modified)
        if uid.split(".")[0] in _BUILT and not uid.startswith("source.")
    }
    extra = sorted(uid.split(".")[2] for uid in ran - wanted)
    if extra:
        checks._fail(
            f"your build also ran {len(extra)} node(s) that neither changed nor depend on "
            f"{CI_MODEL}, e.g. {extra[0]}.",
            "select the modified state only (no extra names or graph operators upstream).",
        )
    if wanted - ran:
        checks._fail(
            f"your build ran {len(ran & wanted)} of the nodes it must run: it skipped what is "
            f"downstream of {CI_MODEL} (its tests and the tests that read it).",
            "add the graph operator that takes everything downstream of the selection.",
        )
    checks.dbt_passed(sb, CI_MODEL)
    mine = sb.query("select plan_id, monthly_price_amount from marts.dim_plans")
    cents = sb.query(
        "select plan_id, cast(round(price_amount / billing_interval_months, 2) as double)"
        " as monthly_price_amount from marts.dim_plans"
    )
    mine["monthly_price_amount"] = mine["monthly_price_amount"].astype(float)
    checks.same_rows(mine, cents, key="plan_id")


# -- exercise 2: an endpoint that passes the team's test ---------------------------------------
ROUTER_PATH = "serving/active_users.py"
TEST_PATH = "tests/test_active_users.py"
API_COMMAND = f"python -m pytest {TEST_PATH} -q -p no:cacheprovider"

#: The team's test, as it sits in the sandbox (given: the learner makes it pass).
TEAM_TEST = '''\
"""GET /v1/metrics/active-users: the contract the chart relies on."""

import httpx

from serving import running
from serving.active_users import active_users

PATH = "/v1/metrics/active-users"


def test_a_week_in_order() -> None:
    with running(routers=[active_users]) as url:
        answer = httpx.get(url + PATH, params={"start": "2026-04-24", "end": "2026-04-30"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["start"], body["end"]) == ("2026-04-24", "2026-04-30")
    days = [day["date_day"] for day in body["days"]]
    assert days == sorted(days) and len(days) == 7
    assert set(body["days"][0]) == {"date_day", "dau", "wau", "mau"}


def test_bad_ranges() -> None:
    with running(routers=[active_users]) as url:
        missing = httpx.get(url + PATH, params={"start": "2026-04-24"})
        malformed = httpx.get(url + PATH, params={"start": "soon", "end": "2026-04-30"})
        reversed_ = httpx.get(url + PATH, params={"start": "2026-04-30", "end": "2026-04-24"})
    assert missing.status_code == 422
    assert malformed.status_code == 422
    assert reversed_.status_code == 400
'''


def api_sandbox() -> Sandbox:
    """A copy of the read API (``serving/``) and the published copy, with the team's test."""
    sb = sandbox(
        "ex07-2", copy=["serving"], data=["serving"], write=[ROUTER_PATH], command=API_COMMAND
    )
    test = sb.root / TEST_PATH
    test.parent.mkdir(parents=True, exist_ok=True)
    test.write_text(TEAM_TEST, encoding="utf-8")
    return sb


def _load(path: Path, name: str) -> Any:
    return checks.defined(
        path,
        name,
        shown=path.name,
        fix="fix the file; the traceback of your pytest run shows the line.",
        naming=f"name your APIRouter {name}.",
    )


def active_users(sb: Sandbox) -> None:
    """Exercise 2: ``serving/active_users.py`` in the sandbox defines the router ``active_users``
    whose endpoint answers like the published copy (served over real HTTP)."""
    checks.answered(sb, "the sandbox")
    checks.file_written(sb, ROUTER_PATH)
    router = _load(sb.root / ROUTER_PATH, "active_users")
    exercise_checks.active_users_endpoint(router)
