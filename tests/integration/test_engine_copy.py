"""A SQLite store copied row for row into PostgreSQL (``store/engine_copy.py``: the page
benchmark's PostgreSQL store, the budget tests' PostgreSQL world): every table holds what
the source holds, the copy verifies clean with the source's data directory, it is searched
and written to like a store made there, and a copy between schema revisions is refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from tests.conftest import ADMIN_PASSWORD
from tests.factories import make_case_with_files
from tests.fixtures import FakeClock
from tests.helpers import SYSTEM

from liuhen.errors import ConfigError
from liuhen.services.admin.setup import initialise
from liuhen.services.archiving.integrity import verify
from liuhen.services.cases.cases import list_page, open_case
from liuhen.store import tables as t
from liuhen.store.database import make_engine
from liuhen.store.engine_copy import copy_sqlite_store
from liuhen.store.queries.case_list import Filter
from liuhen.store.store import Store

pytestmark = pytest.mark.postgres


def _counts(store: Store) -> dict[str, int]:
    with store.read() as conn:
        return {
            table.name: conn.execute(select(func.count()).select_from(table)).scalar_one()
            for table in t.metadata.sorted_tables
        }


@pytest.fixture
def source(sqlite_settings, clock: FakeClock, tmp_path: Path):  # type: ignore[no-untyped-def]
    initialise(sqlite_settings, admin_password=ADMIN_PASSWORD, clock=clock)
    store = Store.open(sqlite_settings, clock=clock)
    made = make_case_with_files(store, tmp_path, number="甲〔2026〕7号")
    counts = _counts(store)
    store.close()
    return sqlite_settings, made, counts


def test_the_copy_holds_every_row_verifies_and_takes_new_writes(
    source, make_settings, clock: FakeClock, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    settings, made, counts = source
    target = make_settings(tmp_path / "pg", engine="postgres")
    database = Path(settings.database_url.removeprefix("sqlite:///"))
    shutil.copytree(settings.data_dir, target.data_dir, ignore=shutil.ignore_patterns("*.sqlite3*"))
    engine = make_engine(target)
    try:
        copied = copy_sqlite_store(database, engine)
    finally:
        engine.dispose()
    assert copied == counts and counts["cases"] == 1 and counts["ledger_events"] > 5

    store = Store.open(target, clock=clock)
    try:
        assert _counts(store) == counts
        report = verify(store, SYSTEM, blobs=True)
        assert report.ok, report
        for words in ("甲〔2026〕7号", "某店"):  # a number's, a party's: the index's search
            assert [c.id for c in list_page(store, SYSTEM, Filter(q=words)).items] == [made["case"]]
        later = open_case(
            store, SYSTEM, agency_id=made["agency"], number="甲〔2026〕8号", title="复制后立案",
            procedure="general", party={"kind": "person", "name": "王五"}, opened_at=clock.now,
        )  # fmt: skip
        assert later != made["case"]
        assert verify(store, SYSTEM).ok
    finally:
        store.close()


def test_a_copy_between_schema_revisions_is_refused_and_writes_nothing(
    source, make_settings, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    settings, _, _ = source
    database = Path(settings.database_url.removeprefix("sqlite:///"))
    target = make_settings(tmp_path / "pg", engine="postgres")
    engine = make_engine(target)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        with pytest.raises(ConfigError, match="数据库结构版本不同"):
            copy_sqlite_store(database, engine)
        with pytest.raises(ConfigError, match="找不到要复制的 SQLite 数据库文件"):
            copy_sqlite_store(tmp_path / "none.sqlite3", engine)
        assert not (tmp_path / "none.sqlite3").exists()
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(t.cases)).scalar_one() == 0
            assert conn.execute(select(func.count()).select_from(t.ledger_events)).scalar_one() == 0
    finally:
        engine.dispose()
