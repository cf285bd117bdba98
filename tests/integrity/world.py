"""The populated store the mutation campaign damages: the demo agencies and their cases, a
device's maintenance, a loaded holiday schedule, two docking stations (one revoked) and the
case summaries, on SQLite, with a witness directory beside the data directory, the key's
fingerprint pinned, and the county's witness (a real ``liuhen witness serve`` subprocess,
registered before the demo is loaded, so it cosigned every checkpoint; ``World.stop`` ends it).

``build`` makes it once (with a few earlier copies of the database, for rollbacks);
``World.copy`` gives a fresh copy of the data directory and the witness for one mutation
(a file copy: cheap), and ``open_copy`` its store.
"""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from liuhen.config import Settings
from liuhen.ledger.events import Actor
from liuhen.store.store import Store
from tests.witness_process import WitnessProcess

START = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
SCHEDULE = Path(__file__).parents[1] / "data" / "holidays-2027-test.yaml"
ADMIN = Actor(id=None, label="系统管理员", roles=("admin",))


class Clock:
    """The campaign's clock: fixed, a second on for every transaction of the build."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def tick(self) -> None:
        self.now += timedelta(seconds=1)


@dataclass
class World:
    root: Path
    fingerprint: str
    snapshots: dict[int, Path] = field(default_factory=dict)
    """Earlier copies of the database, by the number of events they hold."""
    county: WitnessProcess | None = None
    """The HTTP witness every copy is registered with (copies only read from it)."""

    def stop(self) -> None:
        if self.county is not None:
            self.county.stop()

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def witness(self) -> Path:
        return self.root / "witness"

    def copy(self, where: Path) -> tuple[Path, Path]:
        """A copy of the data directory and the witness under ``where``."""
        shutil.copytree(self.data, where / "data")
        shutil.copytree(self.witness, where / "witness")
        return where / "data", where / "witness"


def settings_for(data: Path, witness: Path, fingerprint: str | None) -> Settings:
    env = {
        "LIUHEN_DATA_DIR": str(data),
        "LIUHEN_ENV": "test",
        "LIUHEN_WITNESS_DIR": str(witness),
    }
    if fingerprint:
        env["LIUHEN_LEDGER_FINGERPRINT"] = fingerprint
    return Settings.from_env(env)


def open_copy(world: World, data: Path, witness: Path, *, pinned: bool = True) -> Store:
    """The copy's store, with the fingerprint pinned unless ``pinned`` is False (then only
    the witnesses record the key)."""
    clock = Clock()
    clock.now = START + timedelta(minutes=1)
    fingerprint = world.fingerprint if pinned else None
    return Store.open(settings_for(data, witness, fingerprint), clock=clock)


def build(root: Path) -> World:
    """Load the demo into ``root``, keeping copies of the database along the way."""
    from liuhen.demo.loader import load_demo
    from liuhen.jobs.kinds import runner_for
    from liuhen.services.admin.holidays import load_schedule
    from liuhen.services.admin.setup import initialise
    from liuhen.services.av.devices import record_device_event
    from liuhen.services.av.stations import add_station, revoke_station
    from liuhen.services.cases.summaries import ensure_current

    root.mkdir(parents=True, exist_ok=True)
    world = World(root, "")
    settings = settings_for(world.data, world.witness, None)
    clock = Clock()
    initialise(settings, admin_password="Admin-pass-2026", clock=clock)
    store = Store.open(settings, clock=clock)
    try:
        world.fingerprint = store.fingerprint
        _register_county(world, store)
        _snapshot(world, store)
        load_demo(store, Actor.system("演示数据"))
        _snapshot(world, store)
        clock.tick()
        load_schedule(store, ADMIN, SCHEDULE, source="测试用安排（非官方）")
        runner = runner_for(store)  # the summaries' re-judging the load queued
        while runner.run_one():
            pass
        device = _first_device(store)
        record_device_event(store, ADMIN, device, kind="maintenance", at=clock(), note="保养")
        clock.tick()
        add_station(store, ADMIN, name="一号采集站", username="chenda", device=device)
        old, _token = add_station(store, ADMIN, name="旧采集站", username="chenda")
        revoke_station(store, ADMIN, old.id)
        ensure_current(store)
        _snapshot(world, store)
    except BaseException:
        world.stop()
        raise
    finally:
        store.close()
    return world


def _register_county(world: World, store: Store) -> None:
    from liuhen.services.oversight.witnesses import add_witness, log_vkey

    world.county = WitnessProcess(world.root / "county", [log_vkey(store)]).start()
    added = add_witness(store, ADMIN, world.county.url, key=world.county.vkey)
    assert added["sent"] == "ok", added


def _first_device(store: Store) -> str:
    with store.read() as conn:
        return str(conn.exec_driver_sql("SELECT id FROM devices ORDER BY id LIMIT 1").scalar())


def _snapshot(world: World, store: Store) -> None:
    """A consistent copy of the database as it is now (SQLite's backup API)."""
    size = store.event_count()
    path = world.root / "snapshots" / f"at-{size}.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(store.settings.database_url.removeprefix("sqlite:///"))
    target = sqlite3.connect(path)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    world.snapshots[size] = path
