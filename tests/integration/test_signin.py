"""Sign-in hardening: lockout after five failures in fifteen minutes, disabled accounts."""

from __future__ import annotations

import pytest
from tests.helpers import SYSTEM

from liuhen.errors import AuthError
from liuhen.services.admin.users import add_user, authenticate, disable_user, set_password

PASSWORD = "Officer-pass-2026"


def test_five_failures_lock_the_account_for_fifteen_minutes(store, clock):
    add_user(
        store, SYSTEM, username="zhang", password=PASSWORD, display_name="张三", roles=["officer"]
    )
    for _ in range(5):
        with pytest.raises(AuthError, match="用户名或密码错误"):
            authenticate(store, "zhang", "wrong")
        clock.advance(seconds=30)
    with pytest.raises(AuthError, match="暂时锁定"):
        authenticate(store, "zhang", PASSWORD)  # even the right password is not checked now
    clock.advance(minutes=13)
    assert authenticate(store, "zhang", PASSWORD).username == "zhang"


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(store, clock):
    add_user(
        store, SYSTEM, username="li", password=PASSWORD, display_name="李四", roles=["officer"]
    )
    for _ in range(6):
        with pytest.raises(AuthError, match="用户名或密码错误"):
            authenticate(store, "li", "wrong")
        clock.advance(minutes=4)
    assert authenticate(store, "li", PASSWORD).username == "li"


def test_unknown_names_are_throttled_too(store, clock):
    for _ in range(5):
        with pytest.raises(AuthError):
            authenticate(store, "nobody", "x")
    with pytest.raises(AuthError, match="暂时锁定"):
        authenticate(store, "nobody", "x")


def test_disabled_account_and_changed_password_end_sessions(store):
    from sqlalchemy import func, select

    from liuhen.services.admin.sessions import resume_session, start_session
    from liuhen.store import tables as t

    user = add_user(
        store, SYSTEM, username="wang", password=PASSWORD, display_name="王五", roles=["officer"]
    )
    token, _ = start_session(store, user)
    set_password(store, user.actor, user.id, "Another-pass-2026")
    assert resume_session(store, token) is None
    token, _ = start_session(store, user)
    disable_user(store, SYSTEM, user.id)
    assert resume_session(store, token) is None
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(t.sessions)).scalar_one() == 0
    with pytest.raises(AuthError):
        authenticate(store, "wang", "Another-pass-2026")


@pytest.mark.parametrize("environment", ["production", "development"])
def test_passwords_are_hashed_at_production_cost_outside_test_settings(store, clock, environment):
    """Only LIUHEN_ENV=test hashes cheaply; a hash made at production cost still verifies
    under test settings (argon2 reads the cost from the hash)."""
    from dataclasses import replace

    from argon2 import extract_parameters
    from argon2.profiles import RFC_9106_LOW_MEMORY
    from sqlalchemy import select

    from liuhen.store import tables as t
    from liuhen.store.store import Store

    deployed = Store.open(replace(store.settings, environment=environment), clock=clock)
    try:
        user = add_user(
            deployed,
            SYSTEM,
            username="zhao",
            password=PASSWORD,
            display_name="赵六",
            roles=["officer"],
        )
        set_password(deployed, user.actor, user.id, "Another-pass-2026")
    finally:
        deployed.close()
    add_user(
        store, SYSTEM, username="qian", password=PASSWORD, display_name="钱七", roles=["officer"]
    )
    with store.read() as conn:
        hashes = {
            row[0]: row[1]
            for row in conn.execute(select(t.users.c.username, t.users.c.password_hash))
        }
    deployed_cost = extract_parameters(hashes["zhao"])
    assert deployed_cost == RFC_9106_LOW_MEMORY
    assert (deployed_cost.memory_cost, deployed_cost.time_cost) == (65536, 3)
    test_cost = extract_parameters(hashes["qian"])
    assert (test_cost.memory_cost, test_cost.time_cost) == (8, 1)
    assert authenticate(store, "zhao", "Another-pass-2026").username == "zhao"
