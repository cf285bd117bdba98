"""The operations the races run: module-level functions ``op(store, *args)``, so a spawned
process can import them; each calls one service the way the web app and the CLI do."""

from __future__ import annotations

from typing import Any

from liuhen.ledger.events import Actor
from liuhen.store.store import Store


def decide(store: Store, actor: Actor, approval_id: str, final: bool = True) -> str:
    from liuhen.services.approvals.workflow import decide

    state = decide(
        store,
        actor,
        approval_id,
        decision="approved",
        opinion="同意",
        position="principal_head",
        final=final,
    )
    return str(state.outcome)


def correct_record(store: Store, actor: Actor, record_id: str, details: dict[str, Any]) -> str:
    from liuhen.services.cases.records import correct_record

    return correct_record(store, actor, record_id=record_id, details=details, reason="笔误")


def call(store: Store, fn: Any, *args: Any) -> Any:
    """A service reached by its module path and name (``"pkg.module:function"``), with the
    store first: for services whose arguments are all positional after it."""
    import importlib

    module, name = fn.split(":")
    return getattr(importlib.import_module(module), name)(store, *args)


def import_av(store: Store, actor: Actor, paths: list[Any]) -> dict[str, int]:
    from liuhen.services.av.ingest import import_av

    report = import_av(store, actor, paths)
    return {status: report.count(status) for status in ("new", "duplicate", "rejected")}


def revise_av(store: Store, actor: Actor, record_id: str) -> str:
    from liuhen.services.av.versions import revise_av

    return revise_av(store, actor, record_id, changes={"custodian": "李管理"}, reason="补充说明")


def list_cases(store: Store, actor: Actor) -> int:
    """What ``GET /cases`` and ``liuhen cases`` do first: bring the summaries up to date."""
    from liuhen.services.cases.summaries import ensure_current

    ensure_current(store)
    return 0


def open_case(store: Store, actor: Actor, agency_id: str, number: str) -> str:
    from datetime import timedelta

    from liuhen.services.cases.cases import open_case

    return open_case(
        store, actor, agency_id=agency_id, number=number, title="某案", procedure="general",
        party={"kind": "person", "name": "王某"}, opened_at=store.clock() - timedelta(hours=1),
    )  # fmt: skip


def add_user(store: Store, actor: Actor, agency_id: str, username: str) -> str:
    from liuhen.services.admin.users import add_user

    user = add_user(
        store, actor, username=username, password="Race-pass-2026!", display_name="张三",
        roles=["officer"], agency_id=agency_id,
    )  # fmt: skip
    return str(user.id)


def register_device(store: Store, actor: Actor, agency_id: str, serial: str) -> str:
    from liuhen.services.av.devices import register_device

    return register_device(store, actor, kind="body_camera", serial_no=serial, agency_id=agency_id)


def revoke_authorisation(store: Store, actor: Actor, grant_id: str) -> str:
    from liuhen.services.approvals.authorisations import revoke_authorisation

    return revoke_authorisation(store, actor, grant_id, reason="调离")


def close_case(store: Store, actor: Actor, case_id: str) -> None:
    """结案 as 办结 (the test's case has its 立案审批 and 笔录: ``factories.ready_to_close``)."""
    from liuhen.services.cases.serving import close_case

    close_case(store, actor, case_id=case_id, at=store.clock(), outcome="closed")


def tiles_and_writes(store: Store, writes: int) -> bool:
    """Bring the ledger's tiles up to date (as ``liuhen init`` does after an upgrade), then
    append ``writes`` events one transaction each, then bring the tiles up again."""
    built = [store.build_tiles(chunk=64)]
    for i in range(writes):
        with store.transaction(Actor.system("并发")) as tx:
            tx.record("ledger.checkpointed", subject_type="ledger", subject_id=f"race-{i}")
    built.append(store.build_tiles(chunk=64))
    return None in built


def change_account(store: Store, actor: Actor, change: str, user_id: str, seen: str = "") -> str:
    """One administrator's change to an account (``seen``: the version their confirmation
    page showed; empty as from the command line)."""
    from liuhen.services.admin import accounts

    if change == "disable":
        accounts.disable_account(store, actor, user_id, reason="离职", seen=seen)
    elif change == "password":
        accounts.reset_password(
            store, actor, user_id, password="Temp-pass-2026!", again="Temp-pass-2026!",
            reason="忘记密码", seen=seen,
        )  # fmt: skip
    elif change == "totp":
        accounts.reset_totp(store, actor, user_id, reason="手机丢失", seen=seen)
    else:  # "officer": the account's roles become officer only
        accounts.change_roles(store, actor, user_id, roles=["officer"], reason="调岗", seen=seen)
    return change


def import_bundle(store: Store, actor: Actor, name: str) -> bool:
    """``liuhen import`` of a demo bundle: whether this import created the case."""
    import json
    from importlib import resources

    from liuhen.services.cases.bundle_import import import_bundle

    text = resources.files("liuhen.demo").joinpath(f"bundles/{name}").read_text("utf-8")
    return import_bundle(store, actor, json.loads(text)).created


def link_phone(store: Store, actor: Actor, record_id: str, case_id: str, officer_id: str) -> str:
    """Footage sent from a case page by an officer whose phone is not registered: linked to
    the case, the phone registered as theirs (``services/av/phones``)."""
    from liuhen.services.av.versions import link_av

    return link_av(store, actor, record_id, case_id=case_id, phone_of=officer_id)
