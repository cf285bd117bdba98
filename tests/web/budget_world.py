"""A store at county scale for statement budgets: the authorization world (one user per role
in agency 甲, four cases with a record, footage, an open approval and an access request each)
plus ``BULK`` demo-scale cases in the same agency, half of them the officer's own.

Built once a test session on SQLite (``build_source``): the bulk cases are written the way
``bench/bench_dashboard.py`` writes them, through the bundle import's own writer in
transactions of 500, every row on the ledger, with their summaries computed in memory and
stored fresh. Each database's world (SQLite, PostgreSQL) is a copy of that store, row for
row (``open_copy``), shared by the budget modules through ``config.stash``. Tests that write
(the POST budgets) add to it; a budget never depends on what another test wrote.
"""

from __future__ import annotations

import random
import re
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.helpers import SYSTEM, run_jobs, web_login
from tests.web.authz_world import PASSWORD, SECTION, World, build_world

from liuhen.config import Settings
from liuhen.store import tables as t
from liuhen.store.store import Store

BULK = 1_000
OTHER_SECTION = "二队"
START = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


class Clock:
    """The store's clock: fixed, so sessions never idle out and deadlines stay put."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@dataclass
class BudgetWorld:
    engine: str
    store: Store
    world: World
    app: Any
    bulk: list[str] = field(default_factory=list)  # bulk case ids, oldest first
    extra: dict[str, str] = field(default_factory=dict)  # ids and tokens made at build time
    clients: dict[str, tuple[TestClient, str]] = field(default_factory=dict)
    tmp: Path = Path()

    def client(self, role: str) -> tuple[TestClient, str]:
        """A signed-in client of ``role`` and its CSRF token (signed in on first use)."""
        if role not in self.clients:
            client = TestClient(self.app, base_url="http://127.0.0.1")
            done = web_login(client, self.world.users[role], PASSWORD)
            assert done.status_code == 303, (role, done.status_code, done.text[:300])
            page = client.get("/calendar")
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
            assert csrf is not None, role
            self.clients[role] = (client, csrf.group(1))
        return self.clients[role]

    def case(self, kind: str = "own") -> dict[str, str]:
        return self.world.cases[kind]

    def raw(self, name: str, *, fresh: bool = False) -> TestClient:
        """A client nobody signed in on (yet), kept under ``name``; ``fresh``: a new one."""
        if fresh or name not in self.clients:
            self.clients[name] = (TestClient(self.app, base_url="http://127.0.0.1"), "")
        return self.clients[name][0]

    def counter(self) -> int:
        """A number not used before in this world (for case numbers, serials, names)."""
        self._count = getattr(self, "_count", 0) + 1
        return self._count

    def latest(self, record_id: str) -> str:
        """The newest version of the record ``record_id`` is one of."""
        from liuhen.services.av.queries.records import latest_version_id

        return latest_version_id(self.store, record_id)


def officer_certs(store: Store, agency: str) -> list[str]:
    with store.read() as conn:
        return [
            str(c)
            for c in conn.execute(
                select(t.officers.c.certificate_no)
                .where(t.officers.c.agency_id == agency)
                .order_by(t.officers.c.certificate_no)
            ).scalars()
        ]


def add_bulk(
    store: Store, agency_name: str, certs: list[str], count: int, first: int = 0
) -> list[str]:
    """``count`` demo-scale cases in the agency named ``agency_name``; every other one has
    the officer user's officer (certificate ``R0``) on it. Returns their ids."""
    from liuhen.demo.bulk import shifted, write_cases
    from liuhen.demo.data import demo_bundles

    rng = random.Random(first + 7)
    templates = [b for b in demo_bundles() if b.get("officers")]

    def bundle(i: int) -> dict[str, Any]:
        made = shifted(rng.choice(templates), -timedelta(days=rng.randrange(0, 150)))
        made["case"]["number"] = made["case"]["id"] = f"预算〔2026〕{i:05d}号"
        section = SECTION if i % 2 == 0 else OTHER_SECTION
        made["agency"] = {"name": agency_name, "profile": "shanxi-township", "unit": section}
        pair = ["R0", rng.choice(certs[1:])] if i % 2 == 0 else rng.sample(certs[1:], 2)
        for officer, cert in zip(made["officers"], pair, strict=False):
            officer["certificate_number"] = cert
        return made

    bundles = (bundle(i) for i in range(first, first + count))
    return write_cases(store, SYSTEM, bundles, note={"budget": True})


@dataclass
class Source:
    """The world's rows as built, before any test: a closed SQLite store each engine's world
    is a copy of (PostgreSQL's row for row), with the ids and tokens made on the way."""

    settings: Settings
    world: World
    bulk: list[str]
    extra: dict[str, str]


def build_source(settings: Settings, tmp: Path) -> Source:
    """The authorization world, the extras and ``BULK`` cases in a SQLite store, closed."""
    from liuhen.services.admin.setup import initialise

    clock = Clock(START)
    initialise(settings, admin_password="Admin-pass-2026", clock=clock)
    store = Store.open(settings, clock=clock)
    try:
        world = build_world(store, tmp)
        extra = _extras(store, world, tmp)
        bulk = add_bulk(store, "甲镇人民政府", officer_certs(store, world.agency), BULK)
    finally:
        store.close()
    return Source(settings, world, bulk, extra)


def open_copy(source: Source, settings: Settings, tmp: Path, engine: str) -> BudgetWorld:
    """The world on ``settings`` (a database with the schema at head, from the templates):
    the source's data directory and its rows (on PostgreSQL copied by ``COPY``, ~1 s where
    writing the 1,000 cases through the bundle writer took ~20 s more than on SQLite)."""
    from liuhen.store.database import make_engine
    from liuhen.store.engine_copy import copy_sqlite_store
    from liuhen.web.app import create_app

    database = source.settings.database_url.removeprefix("sqlite:///")
    skip = () if settings.is_sqlite else (Path(database).name + "*",)
    shutil.copytree(
        source.settings.data_dir,
        settings.data_dir,
        ignore=shutil.ignore_patterns(*skip),
        dirs_exist_ok=True,  # over the template's SQLite file
    )
    if not settings.is_sqlite:
        target = make_engine(settings)
        try:
            copy_sqlite_store(Path(database), target)
        finally:
            target.dispose()
    store = Store.open(settings, clock=Clock(START))
    # Every request checks the holiday schedules afresh (by default a process trusts them
    # for two seconds of wall time), so a page's count does not depend on how fast it ran.
    store.calendar_check = 0.0
    app = create_app(settings, store=store)
    return BudgetWorld(
        engine,
        store,
        source.world,
        app,
        list(source.bulk),
        extra=dict(source.extra),
        tmp=tmp,
    )


def _extras(store: Store, world: World, tmp: Path) -> dict[str, str]:
    """What some pages need beyond the authorization world: a second head (to authorise),
    footage with a gap on the own case and footage no case holds, a docking station, the
    own case's view request granted, and a granted copy request with its share link."""
    from liuhen.media.synthetic import make_recording
    from liuhen.services.access.requests import register_request
    from liuhen.services.access.share_links import issue_link
    from liuhen.services.admin.users import add_user, find_user
    from liuhen.services.approvals.workflow import decide
    from liuhen.services.av.ingest import import_av
    from liuhen.services.av.stations import add_station
    from liuhen.services.av.versions import link_av

    own = world.cases["own"]
    add_user(
        store,
        SYSTEM,
        username="u_head2",
        password=PASSWORD,
        display_name="副职负责人甲",
        roles=["head"],
        agency_id=world.agency,
        section=SECTION,
    )
    with store.read() as conn:
        act, started = conn.execute(
            select(t.acts.c.id, t.acts.c.started_at).where(t.acts.c.case_id == own["case"])
        ).one()
        device = conn.execute(
            select(t.devices.c.id).where(t.devices.c.serial_no == "DSJ-W-0")
        ).scalar_one()
        officer = conn.execute(
            select(t.officers.c.id).where(t.officers.c.certificate_no == "R0")
        ).scalar_one()
    gapped = make_recording(tmp / "gapped", start=started, pauses=(0, 240), device="DSJ-W-0")
    [recording] = import_av(store, SYSTEM, gapped).records
    gapped_av = link_av(
        store,
        SYSTEM,
        recording["record_id"],
        case_id=own["case"],
        act_id=act,
        device_id=device,
        officer_id=officer,
    )
    loose = make_recording(tmp / "loose", start=started, seconds=(1.0,), device="DSJ-X-9")
    [unlinked] = import_av(store, SYSTEM, loose).records
    _, station_token = add_station(store, SYSTEM, name="预算采集站", username="u_officer")
    head = find_user(store, "u_head")
    assert head is not None
    view_approval = own["approval"]  # the initiation; the view request has its own
    granted = _approval_of_request(store, own["request"])
    decide(
        store, head.actor, granted, decision="approved", opinion="同意查阅", position="head",
        final=True,
    )  # fmt: skip
    copy_request = register_request(
        store,
        SYSTEM,
        case_id=own["case"],
        kind="copy",
        requester={
            "name": "王某",
            "id_type": "resident_id",
            "id_number": "11010519491231002X",
            "relation": "party",
            "phone": "13800000000",
        },
        record_ids=[own["record"]],
        purpose="申请行政复议需要",
    )
    decide(
        store, head.actor, _approval_of_request(store, copy_request), decision="approved",
        opinion="同意复制", position="head", final=True,
    )  # fmt: skip
    run_jobs(store)  # the copies: the cluster's job
    clerk = find_user(store, "u_officer")
    assert clerk is not None
    link = issue_link(store, clerk.actor, copy_request)
    return {
        "act": act,
        "device": device,
        "gapped_av": gapped_av,
        "unlinked_av": unlinked["record_id"],
        "station_token": station_token,
        "initiation": view_approval,
        "copy_request": copy_request,
        "share_token": link.token,
        "head2": find_user(store, "u_head2").id,  # type: ignore[union-attr]
    }


def _approval_of_request(store: Store, request_id: str) -> str:
    with store.read() as conn:
        rows = conn.execute(
            select(t.approvals.c.id, t.approvals.c.details).where(
                t.approvals.c.kind == "access_request"
            )
        ).all()
    return next(r.id for r in rows if r.details.get("access_request_id") == request_id)


def shared_world(request: pytest.FixtureRequest, engine: str) -> BudgetWorld:
    """The session's budget world on ``engine`` ("sqlite" or "postgres"), opened on first use
    as a copy of the session's source store (``build_source``, built once), and closed (its
    PostgreSQL database dropped) when the session ends."""
    config = request.config
    worlds = config.stash.setdefault(_WORLDS, {})
    if engine in worlds:
        return worlds[engine]
    if engine == "postgres":
        request.getfixturevalue("pg_admin_engine")  # skips, or fails in CI, without a server
    templates = request.getfixturevalue("templates")
    made = request.getfixturevalue("tmp_path_factory")
    if _SOURCE not in config.stash:
        root = made.mktemp("budget-source")
        config.stash[_SOURCE] = build_source(templates.settings(root / "data"), root)
    tmp = made.mktemp(f"budget-{engine}")
    settings = templates.settings(tmp / "data", engine=engine)
    built = open_copy(config.stash[_SOURCE], settings, tmp, engine)
    worlds[engine] = built

    def close() -> None:
        built.app.state.jobs.stop()  # before its database goes (no "job runner failed")
        for client, _ in built.clients.values():
            client.close()
        built.store.close()
        templates.drop(settings)

    config.add_cleanup(close)
    return built


_WORLDS = pytest.StashKey[dict[str, BudgetWorld]]()
_SOURCE = pytest.StashKey[Source]()
