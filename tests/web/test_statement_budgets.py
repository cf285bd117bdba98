"""Statement budgets (one load per request): every page and POST of the web app, measured
on SQLite and PostgreSQL with 1,000 demo-scale cases in the store, stays within its budget
(``tests/web/budgets.py``), so a request that reads a row twice or queries once per row
fails here with the statements it ran. The case page and recording an act stay under
``CASE_PAGE`` whatever the store holds. The list pages are ``test_statement_budgets_lists``.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute
from starlette.routing import Mount
from tests.web.budget_world import BudgetWorld, shared_world
from tests.web.budgets import CASE_PAGE, LISTS, ROUTES, Call, measure

from liuhen.web.auth.permission import app_routes

ENGINES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("budgets")]
"""One worker builds the 1,000-case stores (once a session per engine) and runs every budget."""
READ_ONCE = ("cases", "agencies")


@pytest.fixture(scope="module", params=ENGINES)
def world(request: pytest.FixtureRequest) -> BudgetWorld:
    return shared_world(request, request.param)


def test_every_route_has_a_budget(world: BudgetWorld) -> None:
    """A route without a budget fails: add it to ``ROUTES`` (or ``LISTS``) with its call."""
    budgeted = set(ROUTES) | set(LISTS)
    missing = []
    for path, route in app_routes(world.app.routes):
        if isinstance(route, Mount):
            continue  # static files: no database
        assert isinstance(route, APIRoute), path
        for method in sorted(route.methods):
            if (method, path) not in budgeted and not (
                method == "HEAD" and ("GET", path) in budgeted
            ):
                missing.append(f"{method} {path}")
    assert not missing, "routes without a statement budget: " + "; ".join(missing)
    stale = {key for key in budgeted if key[1] not in {p for p, _ in app_routes(world.app.routes)}}
    assert not stale, f"budgets of routes the app no longer has: {sorted(stale)}"


@pytest.mark.parametrize("key", sorted(ROUTES), ids=lambda key: f"{key[0]} {key[1]}")
def test_route_stays_within_its_budget(world: BudgetWorld, key: tuple[str, str]) -> None:
    budget = ROUTES[key]
    call = budget.prepare(world)
    counted = measure(world, call, warm=True)
    counted.assert_at_most(budget.statements, f"{key[0]} {key[1]} ({world.engine})")


def _case_page(world: BudgetWorld, role: str, case_id: str) -> Any:
    return measure(world, Call(role, "GET", f"/cases/{case_id}"), warm=True)


@pytest.mark.parametrize("role", ["officer", "section_head", "head", "supervisor", "admin"])
def test_case_page_stays_within_its_budget_for_every_role(world: BudgetWorld, role: str) -> None:
    counted = _case_page(world, role, world.case("own")["case"])
    counted.assert_at_most(CASE_PAGE, f"case page as {role} ({world.engine})")
    if role in ("officer", "supervisor", "admin"):  # no 待我审批 count in their navigation
        counted.assert_reads_once(READ_ONCE, f"case page as {role}")


def test_the_navigation_count_of_approvals_costs_two_queries(world: BudgetWorld) -> None:
    """待我审批's count, on every page of an approver: the open approvals with their steps,
    then their cases with their officers, however many there are."""
    from tests.statements import count_statements

    from liuhen.services.admin.users import find_user
    from liuhen.services.approvals.queries import waiting_count

    head = find_user(world.store, world.world.users["head"])
    assert head is not None
    with count_statements(world.store.engine) as counted:
        waiting = waiting_count(world.store, head.actor)
    assert waiting is not None and waiting > 0
    counted.assert_at_most(2, f"待我审批 count ({world.engine})")


def test_a_demo_scale_case_page_costs_what_a_small_one_does(world: BudgetWorld) -> None:
    """A case with many acts, documents, footage and approvals (the demo's) reads each of
    its tables once: its page runs no more statements than the smallest case's."""
    small = _case_page(world, "officer", world.case("own")["case"])
    for case_id in world.bulk[:40:2]:  # the officer's own, of every demo template
        big = _case_page(world, "officer", case_id)
        big.assert_at_most(max(small.count, CASE_PAGE), f"case page of {case_id}")
        big.assert_reads_once(READ_ONCE, f"case page of {case_id}")


def test_recording_an_act_reads_the_case_and_the_roster_once(world: BudgetWorld) -> None:
    from tests.web.budgets import _act_form

    case = world.case("own")["case"]
    call = Call("officer", "POST", f"/cases/{case}/acts/new", data=_act_form(world))
    counted = measure(world, call)
    counted.assert_at_most(CASE_PAGE, f"record an act ({world.engine})")
    counted.assert_reads_once((*READ_ONCE, "officers"), "record an act")
    assert not counted.touching("records"), counted.report("record an act reads no records")


def test_a_refused_act_costs_no_more_than_a_saved_one(world: BudgetWorld) -> None:
    from tests.web.budgets import _act_form

    case = world.case("own")["case"]
    bad = {**_act_form(world), "kind": "demolish", "ended_at": "2026-01-01T00:00"}
    call = Call("officer", "POST", f"/cases/{case}/acts/new", data=bad, ok=(400,))
    measure(world, call).assert_at_most(CASE_PAGE, f"refused act ({world.engine})")


def test_a_continued_verification_reads_what_came_after_not_every_table(
    world: BudgetWorld,
) -> None:
    """POST /ledger/verify with ``scope=since_last`` after a full run: it does not read every
    tracked table as the full run does (one statement each), whatever the store holds."""
    from liuhen.store import tables as t

    full = measure(world, Call("admin", "POST", "/ledger/verify", data={}))
    since = measure(world, Call("admin", "POST", "/ledger/verify", data={"scope": "since_last"}))
    # the write that records each run stores one tile, or two when its event fills one: which,
    # depends on the ledger's size (the tests before this one), not on what verify reads
    tiles = len([s for s in full.work if s.sql.startswith("INSERT INTO ledger_tiles")])
    budget = full.count - tiles + 2 - len(t.TRACKED)
    since.assert_at_most(budget, f"continued verify ({world.engine})")
    assert not since.touching("case_summaries"), since.report("no derived table read")
