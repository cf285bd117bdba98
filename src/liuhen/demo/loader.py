"""Load the demo: the township of ``demo.json`` with its people, devices and eleven cases.

Everything the demo holds is data in this package; this module only hands it to the
services that users' own actions go through:

- the agency, its people and devices through the admin services. Demo accounts get random
  passwords, written to ``<data dir>/demo-accounts.txt`` (mode 0600) and returned, never
  fixed in code or data;
- the case in ``recorded/`` is recorded by the demo officer named in ``demo.json``, through
  the services the web forms call (open the case, record the act, store the files, add the
  records), so it shows what a case made in LiuHen shows: the officer's own trail on the
  ledger and stored files, its 笔录 and its body-camera footage. A bundle carries hashes, not
  media: the footage is made here (one small video per segment, as long as the segment),
  and the segment's ``sha256``, empty in the file, is the stored video's;
- the cases in ``bundles/`` through the bundle import service, exactly as
  ``liuhen import BUNDLE`` imports them.

Times. The demo's times are fixed: every case is dated in 2026 (the sample cases they were
varied from carried fixed dates, and the recorded case was set on 2026-11-20), not placed
relative to the day the demo is loaded. The loader keeps them as written and shifts
nothing. So the demo shows, at the reader's "now", the live findings of the same eleven
fixed cases as before this data left Python: which deadlines are due or passed follows the
real clock, as it always has, and the tests that pin the demo's findings, dashboard
periods and exported files with a fixed clock keep holding. Shifting every time by an
offset computed at load would move dates the cases' own documents print (a 决定书 dated
2026-09-24, a rectification deadline of 2026-06-16 in its fields) out of step with their
records, and across holidays a shifted working-day deadline is not the same deadline.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from sqlalchemy import select

from liuhen.demo import data
from liuhen.ledger.events import Actor
from liuhen.media.synthetic import make_video
from liuhen.services.admin.agency import add_device, add_officer, create_agency
from liuhen.services.admin.setup import generate_password
from liuhen.services.admin.users import add_user
from liuhen.services.cases.bundle_import import import_bundle, remap
from liuhen.services.cases.cases import open_case
from liuhen.services.cases.files import store_file
from liuhen.services.cases.records import AttachedFile, add_record, record_act
from liuhen.services.permissions import ROLES, require
from liuhen.store import tables as t
from liuhen.store.store import Store

TEXT = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class DemoResult:
    loaded: bool
    agency_id: str
    accounts: dict[str, str]
    accounts_file: Path | None
    who: dict[str, str] = field(default_factory=dict)
    """username -> name and role(s), tab-separated, as the accounts file gives them."""


def demo_loaded(store: Store) -> str | None:
    """The demo agency's id when the demo is already loaded."""
    with store.read() as conn:
        return conn.execute(
            select(t.agencies.c.id).where(t.agencies.c.name == data.roster()["agency"]["name"])
        ).scalar()


def load_demo(store: Store, actor: Actor) -> DemoResult:
    """Load the demo once; a second call changes nothing and says so."""
    require(actor, "demo.load")
    existing = demo_loaded(store)
    if existing:
        return DemoResult(loaded=False, agency_id=existing, accounts={}, accounts_file=None)
    roster = data.roster()
    agency = roster["agency"]
    agency_id = create_agency(
        store, actor, name=agency["name"], profile_id=agency["profile"], region=agency["region"]
    )
    accounts, actors, officers = _people(store, actor, agency_id, roster["people"])
    devices = _devices(store, actor, agency_id, roster["devices"], officers)
    recorded = roster["recorded"]
    _record_case(
        store,
        actors[recorded["by"]],
        agency_id,
        data.read(recorded["bundle"]),
        recorded["records"],
        {**officers, **devices},
    )
    for bundle in data.demo_bundles():
        import_bundle(store, actor, bundle)
    who = _who(roster["people"])
    path = _write_accounts(store.settings.data_dir, accounts, who)
    return DemoResult(
        loaded=True, agency_id=agency_id, accounts=accounts, accounts_file=path, who=who
    )


def _people(
    store: Store, actor: Actor, agency_id: str, people: list[dict[str, Any]]
) -> tuple[dict[str, str], dict[str, Actor], dict[str, str]]:
    """Accounts (username -> password), actors by username, officer ids by 执法证号 and
    by username (devices are assigned to a username)."""
    accounts: dict[str, str] = {}
    actors: dict[str, Actor] = {}
    officers: dict[str, str] = {}
    for person in people:
        officer_id = None
        if person.get("certificate_number"):
            officer_id = add_officer(
                store,
                actor,
                agency_id=agency_id,
                name=person["name"],
                certificate_no=person["certificate_number"],
                section=person["section"],
            )
            officers[person["certificate_number"]] = officers[person["username"]] = officer_id
        password = generate_password()
        created = add_user(
            store,
            actor,
            username=person["username"],
            password=password,
            display_name=person["name"],
            roles=person["roles"],
            agency_id=agency_id,
            section=person["section"],
            officer_id=officer_id,
        )
        accounts[person["username"]] = password
        actors[person["username"]] = created.actor
    return accounts, actors, officers


def _devices(
    store: Store,
    actor: Actor,
    agency_id: str,
    devices: list[dict[str, Any]],
    officers: Mapping[str, str],
) -> dict[str, str]:
    """Device ids by serial number."""
    made: dict[str, str] = {}
    for device in devices:
        made[device["serial"]] = add_device(
            store,
            actor,
            agency_id=agency_id,
            kind=device["kind"],
            serial_no=device["serial"],
            model=device["model"],
            assigned_officer_id=officers.get(device.get("assigned_to") or ""),
        )
    return made


def _record_case(
    store: Store,
    actor: Actor,
    agency_id: str,
    bundle: Mapping[str, Any],
    extras: Mapping[str, Any],
    held: Mapping[str, str],
) -> None:
    """The bundle's case recorded by ``actor`` through the record services, with its files:
    its acts and its text and AV records, what an officer records on the spot.

    ``held`` finds the bundle's officers (by 执法证号) and devices (by serial) among those
    just made; ``extras`` gives, per record id, a text record's stored file and an AV
    record's title and footage title."""
    tz = store.settings.tz
    ids = {o["id"]: held[o["certificate_number"]] for o in bundle.get("officers", [])}
    ids |= {d["id"]: held[d["serial"]] for d in bundle.get("devices", [])}
    case = bundle["case"]
    case_id = open_case(
        store,
        actor,
        agency_id=agency_id,
        number=case["number"],
        title=case["title"],
        procedure=case["procedure"],
        party=dict(bundle["party"]),
        opened_at=_time(case["opened_at"], tz),
        section=bundle["agency"].get("unit", ""),
    )
    for act in bundle.get("acts", []):
        ids[act["id"]] = record_act(
            store,
            actor,
            case_id=case_id,
            kind=act["kind"],
            started_at=_time(act["started_at"], tz),
            ended_at=_time(act["ended_at"], tz) if act.get("ended_at") else None,
            place=act.get("place", ""),
            officer_ids=[ids[o] for o in act.get("officer_ids", [])],
            details=_without(act, "id", "kind", "started_at", "ended_at", "place", "officer_ids"),
        )
    _add_records(store, actor, case_id, bundle, extras, ids)


def _add_records(
    store: Store,
    actor: Actor,
    case_id: str,
    bundle: Mapping[str, Any],
    extras: Mapping[str, Any],
    ids: Mapping[str, str],
) -> None:
    """Store every record's files first, then add the records (bundle ids -> ``ids``)."""
    texts, avs = bundle.get("text_records", []), bundle.get("av_records", [])
    with tempfile.TemporaryDirectory() as tmp:
        files = {r["id"]: _text_file(store, actor, extras[r["id"]], Path(tmp)) for r in texts}
        files |= {r["id"]: _footage(store, actor, r, extras[r["id"]], Path(tmp)) for r in avs}
    for record in texts:
        add_record(
            store,
            actor,
            case_id=case_id,
            act_id=ids.get(record.get("act_id") or ""),
            kind="text",
            doc_kind=record["kind"],
            title=record.get("title", ""),
            details=remap(_without(record, "id", "kind", "title", "act_id"), ids),
            files=files[record["id"]],
            history=True,  # the demo's past, not a decision made now: no gate
        )
    for record in avs:
        stored = {f.file_name: f.sha256 for f in files[record["id"]]}
        details = remap(_without(record, "id", "act_id"), ids)
        details["segments"] = [{**s, "sha256": stored[s["file_name"]]} for s in details["segments"]]
        add_record(
            store,
            actor,
            case_id=case_id,
            act_id=ids.get(record.get("act_id") or ""),
            kind="av",
            doc_kind="av",
            title=extras[record["id"]]["title"],
            details=details,
            files=files[record["id"]],
        )


def _text_file(
    store: Store, actor: Actor, extra: Mapping[str, str], tmp: Path
) -> list[AttachedFile]:
    path = tmp / extra["file_name"]
    path.write_text(extra["text"], encoding="utf-8")
    blob = store_file(store, actor, path)
    return [AttachedFile(blob.sha256, extra["file_name"], TEXT)]


def _footage(
    store: Store, actor: Actor, record: Mapping[str, Any], extra: Mapping[str, str], tmp: Path
) -> list[AttachedFile]:
    """One video per segment, named and timed as the segment says (small: one frame a
    second at 160×120, so a 22-minute inspection loads in a second or two), stored."""
    tz = store.settings.tz
    attached = []
    for segment in record["segments"]:
        start, end = _time(segment["start"], tz), _time(segment["end"], tz)
        video = make_video(
            tmp / segment["file_name"],
            seconds=(end - start).total_seconds(),
            creation_time=start,
            title=extra["footage_title"],
            fps=1,
            width=160,
            height=120,
        )
        blob = store_file(store, actor, video)
        attached.append(AttachedFile(blob.sha256, segment["file_name"], "video/mp4", "segment"))
    return attached


def _time(text: str, tz: tzinfo) -> datetime:
    return datetime.fromisoformat(text).astimezone(tz)


def _without(entity: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in entity.items() if k not in keys}


def _who(people: list[dict[str, Any]]) -> dict[str, str]:
    return {
        p["username"]: f"{p['name']}\t{'、'.join(ROLES.get(r, r) for r in p['roles'])}"
        for p in people
    }


def _write_accounts(data_dir: Path, accounts: dict[str, str], who: dict[str, str]) -> Path:
    """The demo accounts, one a line: username, password, name and role(s), tab-separated."""
    path = data_dir / "demo-accounts.txt"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write("# 演示账号（随机密码，仅供演示）：账号、密码、姓名、角色\n")
        for username, password in accounts.items():
            out.write(f"{username}\t{password}\t{who.get(username, '')}\n")
    return path
