"""Statement budgets of the pages that list many things: the case list and its search, the
dashboard, 我的待办, the due list, 待我审批, the ledger pages, footage no case holds and
devices. Each is measured on SQLite and PostgreSQL with 1,000 cases, then again after
``GROWTH`` more: the count must stay the same (nothing is read per row, so it is constant
in the page size too) and within ``LIST_PAGE``.

Some of these wait on other work (the perf branch's lists, search, dashboard, inbox and due
pages); they are kept failing here, not skipped, so nobody forgets them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from tests.helpers import run_jobs
from tests.web.budget_world import BudgetWorld, shared_world
from tests.web.budgets import LISTS, SEARCHES, Budget, grow, measure

ENGINES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("budgets")]
"""One worker builds the 1,000-case stores (once a session per engine) and runs every budget."""
PAGES: dict[str, Budget] = {f"{m} {p}": b for (m, p), b in LISTS.items()} | SEARCHES


@pytest.fixture(scope="module", params=ENGINES)
def before(request: pytest.FixtureRequest) -> tuple[BudgetWorld, dict[str, Any]]:
    """Every list measured once at 1,000 cases; then the store grows. The jobs the route
    budgets queued (a holiday schedule loaded: the summaries' re-judging) are run to their
    end first, in this thread with the app's runner stopped and the world's fixed clock
    moved past a job's lease: both measurements then see the summaries settled, not one
    waiting for the job and the other catching up after it."""
    world = shared_world(request, request.param)
    world.app.state.jobs.stop()  # what the route budgets queued runs here, to its end
    world.store.clock.now += timedelta(minutes=5)  # past the lease of a job handed back
    run_jobs(world.store)
    counts: dict[str, Any] = {}
    for name, budget in PAGES.items():
        try:
            counts[name] = measure(world, budget.prepare(world), warm=True)
        except Exception as exc:  # noqa: BLE001  # the page's own test reports it
            counts[name] = exc
    grow(world)
    return world, counts


@pytest.mark.parametrize("name", sorted(PAGES))
def test_list_page_is_constant_in_the_store_size(
    before: tuple[BudgetWorld, dict[str, Any]], name: str
) -> None:
    world, counts = before
    first = counts[name]
    if isinstance(first, BaseException):
        raise first
    budget = PAGES[name]
    after = measure(world, budget.prepare(world), warm=True)
    title = f"{name} ({world.engine})"
    assert after.count == first.count, (
        f"{title}: {first.count} statements at {len(world.bulk) - 100} cases, "
        f"{after.count} after adding 100\n" + after.report(title)
    )
    after.assert_at_most(budget.statements, title)
