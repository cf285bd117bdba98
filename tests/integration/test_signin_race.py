"""Sign-in lockout under concurrency (issue 13): 40 wrong passwords for one account, from
8 processes at once, get at most 5 password checks; the rest are refused unchecked as
locked, and every attempt is on the ledger. On SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

import pytest
from sqlalchemy import func, select
from tests.factories import make_user
from tests.integration.signin_race import attempts
from tests.processes import racing_context

from liuhen.store import tables as t

PROCESSES, THREADS = 8, 5


def _events(store, subject: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    ev = t.ledger_events
    with store.read() as conn:
        rows = conn.execute(
            select(ev.c.action, func.count())
            .where(ev.c.subject_id == subject, ev.c.action.like("auth.%"))
            .group_by(ev.c.action)
        ).all()
    return {action: int(n) for action, n in rows}


@pytest.mark.slow
def test_forty_parallel_wrong_passwords_get_at_most_five_checks(store) -> None:  # type: ignore[no-untyped-def]
    user = make_user(store, "zhang", "officer")
    context = racing_context()
    with context.Manager() as manager, ProcessPoolExecutor(PROCESSES, mp_context=context) as pool:
        start = manager.Barrier(PROCESSES + 1)
        go = manager.Event()
        futures = [
            pool.submit(attempts, store.settings, start, go, "zhang", THREADS)
            for _ in range(PROCESSES)
        ]
        start.wait(timeout=120)  # every process is up, its threads at the gate
        go.set()
        outcomes = [o for f in futures for o in f.result(timeout=300)]
    assert len(outcomes) == PROCESSES * THREADS
    assert "signed_in" not in outcomes
    checked = outcomes.count("failed")
    assert checked == 5, outcomes  # at most five, and the lock refuses nobody early
    assert outcomes.count("locked") == len(outcomes) - checked
    events = _events(store, user.id)
    assert events == {"auth.login_failed": checked, "auth.login_locked": len(outcomes) - checked}


def test_a_successful_check_gives_its_slot_back(store, clock) -> None:  # type: ignore[no-untyped-def]
    """Only failures hold the lockout's slots: signing in between wrong passwords does not
    bring the lock nearer, and after the window the account is free again."""
    from tests.factories import PASSWORD

    from liuhen.errors import AuthError
    from liuhen.services.admin.users import authenticate

    make_user(store, "li", "officer")
    for _ in range(4):
        with pytest.raises(AuthError, match="用户名或密码错误"):
            authenticate(store, "li", "wrong")
        assert authenticate(store, "li", PASSWORD).username == "li"
    with pytest.raises(AuthError, match="用户名或密码错误"):
        authenticate(store, "li", "wrong")  # the fifth failure
    with pytest.raises(AuthError, match="暂时锁定，请约 16 分钟"):
        authenticate(store, "li", PASSWORD)
    clock.advance(minutes=15)
    assert authenticate(store, "li", PASSWORD).username == "li"
