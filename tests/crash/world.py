"""The store the crash campaign kills processes in, and the inputs of its four operations.

``build_world`` makes it once: an initialised store with a case holding a stored document
(``make_case_with_files``) and one imported recording; beside it a docking-station folder
of a new recording (``import-av``), a demo case bundle (``import``), the case to package
(``export``) and a new video for a resumable upload (``tus``). ``copy_world`` gives each kill
point a private copy: the data directory copied, and on PostgreSQL a database made from
the base one (``CREATE DATABASE … TEMPLATE``).
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, text

from liuhen.config import Settings
from tests.fixtures import PG_ADMIN_URL, pg_url

PASSWORD = "Admin-pass-2026"
BUNDLES = sorted(
    (Path(__file__).resolve().parents[2] / "src/liuhen/demo/bundles").glob("0[3-7]-*.json")
)
DOCUMENTS = 2
"""Documents added to the exported case beside ``make_case_with_files``'s one."""
OPS = ("import-av", "import", "export", "tus", "views", "writes")
DEVICES = ("DSJ-V9-0002", "DSJ-V9-0004", "DSJ-V9-0005", "DSJ-V9-0006")
"""One recording of three segments each in the docking-station folder."""


@dataclass
class World:
    root: Path
    engine: str
    base_db: str | None = None
    """The PostgreSQL database each point's database is made from."""
    case_number: str = ""
    inputs: dict[str, Path] = field(default_factory=dict)

    @property
    def base(self) -> Path:
        return self.root / "base"

    def argv(self, op: str, out: Path) -> list[str]:
        """The driver's arguments for ``op`` (the export writes to ``out``)."""
        if op == "import-av":
            return ["import-av", str(self.inputs["dock"]), "--json"]
        if op == "import":
            return ["import", *map(str, BUNDLES), "--json"]
        if op == "export":
            return ["export", self.case_number, "--out", str(out), "--json"]
        if op in ("views", "writes"):
            return [op, "12"]
        return ["tus", str(self.inputs["video"])]


def settings_for(data_dir: Path, database_url: str | None = None) -> Settings:
    env = {"LIUHEN_DATA_DIR": str(data_dir), "LIUHEN_ENV": "test"}
    if database_url:
        env["LIUHEN_DATABASE_URL"] = database_url
    return Settings.from_env(env)


def env_of(settings: Settings) -> dict[str, str]:
    return {
        "LIUHEN_DATA_DIR": str(settings.data_dir),
        "LIUHEN_DATABASE_URL": settings.database_url,
        "LIUHEN_ENV": "test",
    }


def _pg(sql: str) -> None:
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()


def build_world(root: Path, engine: str = "sqlite", *, documents: int = DOCUMENTS) -> World:
    """The base store and the inputs (see the module docstring)."""
    from liuhen.media.synthetic import make_recording, make_video
    from liuhen.services.admin.setup import initialise
    from liuhen.services.av.ingest import import_av
    from liuhen.store.store import Store
    from tests.factories import SYSTEM, make_case_with_files

    world = World(root=root, engine=engine)
    url = None
    if engine == "postgres":
        world.base_db = f"liuhen_crash_{uuid.uuid4().hex[:12]}"
        _pg(f'CREATE DATABASE "{world.base_db}"')
        url = pg_url(world.base_db)
    settings = settings_for(world.base, url)
    initialise(settings, admin_password=PASSWORD)
    store = Store.open(settings)
    try:
        number = "断电〔2026〕1号"
        made = make_case_with_files(store, root, number=number)
        _more_documents(store, root, made, documents)
        world.case_number = number
        start = (datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(hours=3)).replace(
            microsecond=0
        )
        first = make_recording(root / "dock0" / "DSJ-V9-0001", start=start)
        import_av(store, SYSTEM, first)
    finally:
        store.close()
    world.inputs["dock"] = root / "dock"
    for i, device in enumerate(DEVICES):
        later = start + timedelta(minutes=30 * (i + 1))
        make_recording(world.inputs["dock"], start=later, device=device)
    world.inputs["video"] = make_video(
        root / f"DSJ-V9-0003_{start + timedelta(hours=1):%Y%m%d%H%M%S}.mp4", seconds=3
    )
    return world


def _more_documents(store: object, root: Path, made: dict[str, str], documents: int) -> None:
    from liuhen.services.cases.files import store_file
    from liuhen.services.cases.records import AttachedFile, add_record
    from tests.factories import SYSTEM

    for i in range(documents):
        doc = root / f"询问笔录{i + 1}.txt"
        doc.write_text(f"询问笔录第 {i + 1} 份：当事人陈述。", encoding="utf-8")
        blob = store_file(store, SYSTEM, doc)  # type: ignore[arg-type]
        add_record(
            store,  # type: ignore[arg-type]
            SYSTEM,
            case_id=made["case"],
            act_id=made["act"],
            kind="text",
            doc_kind="inspection_record",
            title=f"现场检查笔录（续 {i + 1}）",
            details={
                "made_at": datetime(
                    2026, 11, 20, 10, i, tzinfo=ZoneInfo("Asia/Shanghai")
                ).isoformat(),
                "officer_ids": [made["o1"], made["o2"]],
                "fields": {"findings": "续"},
            },
            files=[AttachedFile(blob.sha256, doc.name, "text/plain")],
        )


def copy_world(world: World, dest: Path) -> Settings:
    """A private copy of the base store at ``dest/data`` (and its own database)."""
    shutil.copytree(world.base, dest / "data", symlinks=True)
    (dest / "exports").mkdir()
    url = None
    if world.base_db is not None:
        name = f"{world.base_db}_{uuid.uuid4().hex[:8]}"
        _pg(f'CREATE DATABASE "{name}" TEMPLATE "{world.base_db}"')
        url = pg_url(name)
    return settings_for(dest / "data", url)


def drop_copy(world: World, settings: Settings, dest: Path) -> None:
    if world.base_db is not None:
        _pg(f'DROP DATABASE IF EXISTS "{settings.database_url.rsplit("/", 1)[1]}" WITH (FORCE)')
    shutil.rmtree(dest, ignore_errors=True)


def drop_world(world: World) -> None:
    if world.base_db is not None:
        _pg(f'DROP DATABASE IF EXISTS "{world.base_db}" WITH (FORCE)')
