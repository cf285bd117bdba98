"""Station tokens are ledger-written (issue 13): issuing and revoking carry the row's
digest, ``verify`` names a token row the ledger did not write, the API refuses a token
whose row differs from its ledger record, tokens issued before are adopted once by
``liuhen init``, and issuing or revoking from several processes at once leaves one live
station per name and one revocation per station. On SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from tests.factories import make_user
from tests.helpers import SYSTEM
from tests.integration.station_race import issue_or_revoke
from tests.processes import racing_context

from liuhen.errors import AuthError
from liuhen.services.admin.setup import initialise
from liuhen.services.archiving.integrity import verify
from liuhen.services.av.stations import (
    add_station,
    authenticate_station,
    revoke_station,
    token_hash,
)
from liuhen.store import tables as t
from liuhen.web.app import create_app


@pytest.fixture
def stations(store: Any) -> Any:
    make_user(store, "chendan", "custodian")
    make_user(store, "wangwu", "custodian")
    return store


def _problems(store: Any) -> dict[str, set[str]]:
    report = verify(store, SYSTEM)
    found: dict[str, set[str]] = {}
    for p in report.problems:
        found.setdefault(p.kind, set()).add(p.object)
    return found


def _whoami(store: Any, token: str) -> Any:
    client = TestClient(create_app(store.settings, store=store), base_url="http://127.0.0.1")
    return client.get("/api/av/whoami", headers={"Authorization": f"Bearer {token}"})


def _payload_rows(store: Any, station_id: str) -> list[dict[str, Any]]:
    ev = t.ledger_events
    with store.read() as conn:
        payloads = conn.execute(
            select(ev.c.payload).where(ev.c.subject_id == station_id).order_by(ev.c.seq)
        ).scalars()
        return [r for p in payloads for r in p.get("rows", [])]


def test_issued_and_revoked_tokens_carry_their_row_digest(stations: Any) -> None:
    made, token = add_station(stations, SYSTEM, name="一号采集站", username="chendan")
    assert [r["table"] for r in _payload_rows(stations, made.id)] == ["stations"]
    assert _whoami(stations, token).json()["station"]["name"] == "一号采集站"
    revoke_station(stations, SYSTEM, made.id)
    assert [r["table"] for r in _payload_rows(stations, made.id)] == ["stations", "stations"]
    assert _problems(stations) == {}
    gone = _whoami(stations, token)
    assert gone.status_code == 401 and "吊销" in gone.json()["message"]


def test_a_token_row_inserted_outside_liuhen_is_refused_and_named(stations: Any) -> None:
    _made, _token = add_station(stations, SYSTEM, name="一号采集站", username="chendan")
    forged = "lhs_" + "forged" * 8
    user = authenticate_station(stations, _token).user
    with stations.engine.begin() as conn:
        conn.execute(
            t.stations.insert().values(
                id="f" * 32,
                name="伪造采集站",
                token_hash=token_hash(forged),
                user_id=user.id,
                device_id=None,
                created_by="system",
                created_at=stations.clock(),
                revoked_at=None,
            )
        )
    refused = _whoami(stations, forged)
    assert refused.status_code == 401
    assert "与全过程日志不符" in refused.json()["message"]
    assert _problems(stations) == {"row_unrecorded": {f"stations/{'f' * 32}"}}


ATTACKER_TOKEN = "lhs_" + "attacker" * 6


@pytest.mark.parametrize("column", ["revoked_at", "user_id", "token_hash", "created_by", "name"])
def test_an_edited_token_row_is_refused_and_named(stations: Any, column: str) -> None:
    """A revoked token brought back, a token speaking for another account, the attacker's
    own token put on a station, any other column changed: refused and named."""
    made, token = add_station(stations, SYSTEM, name="一号采集站", username="chendan")
    if column == "revoked_at":
        revoke_station(stations, SYSTEM, made.id)
    wangwu = next(u for u in _users(stations) if u["username"] == "wangwu")
    value = {
        "revoked_at": None,
        "user_id": wangwu["id"],
        "token_hash": token_hash(ATTACKER_TOKEN),
        "created_by": "someone",
        "name": "改名采集站",
    }[column]
    with stations.engine.begin() as conn:
        conn.execute(update(t.stations).values({column: value}))
    refused = _whoami(stations, ATTACKER_TOKEN if column == "token_hash" else token)
    assert refused.status_code == 401 and "与全过程日志不符" in refused.json()["message"]
    assert _problems(stations) == {"row_altered": {f"stations/{made.id}"}}


def _users(store: Any) -> list[dict[str, Any]]:
    with store.read() as conn:
        return [dict(r) for r in conn.execute(select(t.users)).mappings()]


def test_tokens_issued_before_are_adopted_once_and_unissued_rows_left_out(
    stations: Any, monkeypatch: pytest.MonkeyPatch, clock: Any
) -> None:
    untracked = tuple(name for name in t.TRACKED if name != "stations")
    with monkeypatch.context() as legacy:  # as LiuHen wrote them before the change
        legacy.setattr(t, "TRACKED", untracked)
        live, token = add_station(stations, SYSTEM, name="旧采集站", username="chendan")
        old, _ = add_station(stations, SYSTEM, name="已吊销", username="chendan")
        revoke_station(stations, SYSTEM, old.id)
    assert _payload_rows(stations, live.id) == []
    with stations.engine.begin() as conn:  # and a row nobody issued
        conn.execute(
            t.stations.insert().values(
                id="e" * 32,
                name="没有签发记录",
                token_hash="0" * 64,
                user_id=live.user.id,
                created_by="system",
                created_at=clock(),
            )
        )
    before = _problems(stations)["row_unrecorded"]
    assert before == {f"stations/{live.id}", f"stations/{old.id}", f"stations/{'e' * 32}"}
    with pytest.raises(AuthError, match="与全过程日志不符"):
        authenticate_station(stations, token)
    result = initialise(stations.settings, admin_password=None, clock=clock)
    assert sorted(result.stations_adopted) == ["已吊销", "旧采集站"]
    assert result.stations_left_out == ("没有签发记录",)
    assert authenticate_station(stations, token).name == "旧采集站"
    assert _problems(stations) == {"row_unrecorded": {f"stations/{'e' * 32}"}}
    again = initialise(stations.settings, admin_password=None, clock=clock)
    assert again.stations_adopted == () and again.stations_left_out == ("没有签发记录",)
    ev = t.ledger_events
    with stations.read() as conn:
        adopted = conn.execute(
            select(func.count()).where(ev.c.action == "station.adopted")
        ).scalar()
    assert adopted == 2


@pytest.mark.slow
def test_tokens_issued_and_revoked_from_several_processes_at_once(stations: Any) -> None:
    """Six processes: each issues its own station and one named 同名 (one wins), then all
    revoke the same station (one revokes, the rest are told it is revoked already)."""
    target, _ = add_station(stations, SYSTEM, name="共同吊销", username="chendan")
    processes = 6
    work = [
        [("add", f"采集站{i}"), ("add", "同名"), ("revoke", target.id)] for i in range(processes)
    ]
    context = racing_context()
    with context.Manager() as manager, ProcessPoolExecutor(processes, mp_context=context) as pool:
        start = manager.Barrier(processes + 1)
        go = manager.Event()
        futures = [pool.submit(issue_or_revoke, stations.settings, start, go, w) for w in work]
        start.wait(timeout=120)
        go.set()
        results = [f.result(timeout=300) for f in futures]
    own = [r[0] for r in results]
    same = [r[1] for r in results]
    revoked = [r[2] for r in results]
    assert all(kind == "ok" for kind, _ in own), own
    assert [kind for kind, _ in same].count("ok") == 1, same
    assert all("同名" in text for kind, text in same if kind == "conflict")
    assert [kind for kind, _ in revoked].count("ok") == 1, revoked
    assert all("已于" in text for kind, text in revoked if kind == "conflict")
    ev = t.ledger_events
    with stations.read() as conn:
        live = conn.execute(select(func.count()).where(t.stations.c.revoked_at.is_(None))).scalar()
        revocations = conn.execute(
            select(func.count()).where(ev.c.action == "station.revoked")
        ).scalar()
    assert live == processes + 1 and revocations == 1
    assert _problems(stations) == {}


def test_a_token_row_with_a_forged_event_appended_is_refused_and_never_signed(
    stations: Any,
) -> None:
    """Someone with database access writes the row and an event for it exactly as LiuHen
    would (chained, with the row's digest), but cannot sign: the API refuses a token whose
    event no signed checkpoint covers, verify names the unsigned event, and LiuHen's next
    write does not sign over it."""
    from liuhen.store.unit import Tx

    user = next(u for u in _users(stations) if u["username"] == "chendan")
    with stations.engine.begin() as conn:
        tx = Tx(conn, SYSTEM, stations.clock)
        tx.insert(
            "stations",
            {
                "id": "d" * 32,
                "name": "伪造采集站",
                "token_hash": token_hash(ATTACKER_TOKEN),
                "user_id": user["id"],
                "device_id": None,
                "created_by": "system",
                "created_at": stations.clock(),
                "revoked_at": None,
            },
        )
        seq = tx.record("station.added", subject_type="station", subject_id="d" * 32)
    refused = _whoami(stations, ATTACKER_TOKEN)
    assert refused.status_code == 401 and "与全过程日志不符" in refused.json()["message"]
    assert f"ledger_events#{seq}" in set().union(*_problems(stations).values())
    # LiuHen writes on: it does not sign over an event it did not write (else the next
    # checkpoint would cover the forgery and both the API and verify would accept it)
    signed = stations.latest_checkpoint()["tree_size"]
    add_station(stations, SYSTEM, name="二号采集站", username="chendan")
    assert stations.latest_checkpoint()["tree_size"] == signed == seq
    refused = _whoami(stations, ATTACKER_TOKEN)
    assert refused.status_code == 401 and "与全过程日志不符" in refused.json()["message"]
    named = set().union(*_problems(stations).values())
    assert f"ledger_events#{seq}–#{seq + 1}" in named, named
