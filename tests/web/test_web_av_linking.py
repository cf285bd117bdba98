"""Footage no case holds is linked from the web (issue 16 item 4, no dead ends): the case
page offers the footage recorded during one of its acts by an officer on it, and one click
links it to that act; the unlinked-footage page links footage to a case typed by number,
and a wrong number is one message beside the footage, nothing saved; a supervisor (no
``av.upload``) sees no offer and is refused the POST."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.factories import make_user
from tests.helpers import make_case_with_files, web_login

from liuhen.ledger.events import Actor
from liuhen.media.importing import ImportOptions
from liuhen.media.synthetic import make_recording
from liuhen.services.av.devices import register_device
from liuhen.services.av.ingest import import_av
from liuhen.store import tables as t
from liuhen.web.app import create_app

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=TZ)  # the act of make_case_with_files starts then
PASSWORD = "Linking-pass-2026"
CUSTODIAN = Actor(id=None, label="陈丹（音像管理员）", roles=("custodian",))


def _footage(
    store: Any,
    tmp: Path,
    start: datetime,
    name: str,
    officer: str,
    agency: str,
    seconds: float = 3.0,
) -> str:
    files = make_recording(tmp / name, start=start, seconds=(seconds,), width=160, height=120)
    report = import_av(store, CUSTODIAN, files, ImportOptions(officer=officer, agency_id=agency))
    assert report.records, [(f.status, f.reason) for f in report.files]
    return str(report.records[0]["record_id"])


def _client(app: Any, username: str) -> TestClient:
    client = TestClient(app, base_url="http://127.0.0.1")
    assert web_login(client, username, PASSWORD).status_code == 303
    client.csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/cases").text).group(1)  # type: ignore[attr-defined]
    return client


def _linked(store: Any, record_id: str) -> list[Any]:
    with store.read() as conn:
        return list(
            conn.execute(
                select(t.records.c.case_id, t.records.c.act_id).where(
                    t.records.c.supersedes_id == record_id
                )
            )
        )


def test_the_case_page_offers_footage_of_its_act_and_links_it(
    store: Any, tmp_path: Path, clock: Any
) -> None:
    made = make_case_with_files(store, tmp_path)
    clock.now = T0 + timedelta(days=4)
    register_device(store, CUSTODIAN, kind="body_camera", serial_no="DSJ-V9-0001")
    cert = "C-测试〔2026〕1号-1"  # 张三, an officer on the act
    near = _footage(store, tmp_path, T0 + timedelta(minutes=5), "near", cert, made["agency"])
    far = _footage(
        store, tmp_path, T0 + timedelta(days=3), "far", cert, made["agency"], seconds=4.0
    )
    make_user(store, "keeper", "custodian", agency_id=made["agency"], password=PASSWORD)
    make_user(store, "watcher", "supervisor", agency_id=made["agency"], password=PASSWORD)
    app = create_app(store.settings, store=store)
    web = _client(app, "keeper")
    page = web.get(f"/cases/{made['case']}").text
    assert f'id="offer-{near}"' in page and f'id="offer-{far}"' not in page
    assert "同一执法人员" in page and "关联到本案" in page

    watcher = _client(app, "watcher")
    assert 'id="link-offers"' not in watcher.get(f"/cases/{made['case']}").text
    refused = watcher.post(
        f"/av/{near}/link",
        data={"case": made["case"], "csrf": watcher.csrf},  # type: ignore[attr-defined]
        follow_redirects=False,
    )
    assert refused.status_code == 403 and _linked(store, near) == []

    done = web.post(
        f"/av/{near}/link",
        data={"case": made["case"], "act": made["act"], "back": "case", "csrf": web.csrf},  # type: ignore[attr-defined]
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].startswith(
        f"/cases/{made['case']}#av-"
    )
    assert _linked(store, near) == [(made["case"], made["act"])]
    page = web.get(f"/cases/{made['case']}").text
    assert f'id="offer-{near}"' not in page and 'id="link-offers"' not in page
    assert (
        "记录上未标明，按保管期限表" in page
    )  # the table's term is the schedule's, not the record's


def test_the_unlinked_page_links_by_case_number_and_names_a_wrong_one(
    store: Any, tmp_path: Path, clock: Any
) -> None:
    made = make_case_with_files(store, tmp_path)
    clock.now = T0 + timedelta(days=4)
    register_device(store, CUSTODIAN, kind="body_camera", serial_no="DSJ-V9-0001")
    footage = _footage(
        store, tmp_path, T0 + timedelta(days=3), "late", "C-测试〔2026〕1号-1", made["agency"]
    )
    make_user(store, "keeper", "custodian", agency_id=made["agency"], password=PASSWORD)
    web = _client(create_app(store.settings, store=store), "keeper")
    listed = web.get("/av/unlinked").text
    assert f'id="footage-{footage}"' in listed and "关联案件" in listed
    before = _count(store)
    wrong = web.post(
        f"/av/{footage}/link",
        data={"case": "无此〔2026〕9号", "back": "unlinked", "csrf": web.csrf},  # type: ignore[attr-defined]
    )
    assert wrong.status_code == 400 and "没有编号为 无此〔2026〕9号 的案件" in wrong.text
    assert _count(store) == before and _linked(store, footage) == []
    done = web.post(
        f"/av/{footage}/link",
        data={"case": "测试〔2026〕1号", "back": "unlinked", "csrf": web.csrf},  # type: ignore[attr-defined]
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].startswith("/av/unlinked?linked=")
    assert _linked(store, footage) == [(made["case"], None)]
    after = web.get(done.headers["location"]).text
    assert "已关联到案件" in after and f'id="footage-{footage}"' not in after


def _count(store: Any) -> int:
    with store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(t.records)).scalar_one())


def test_footage_stored_before_the_acts_began_is_not_read_for_offers(
    store: Any, tmp_path: Path, clock: Any
) -> None:
    """A county's backlog of unlinked footage is not read on every case page: footage is
    stored after its recording ends (a later time is not believed), so what was stored
    before the case's first act began (less the window) was not recorded during its acts.
    The unlinked-footage page still lists all of it."""
    from liuhen.services.av.linking import WINDOW, link_offers
    from liuhen.services.av.queries.views import unlinked_av_rows
    from liuhen.services.cases.queries.case_rows import load_rows
    from liuhen.services.cases.queries.loaded import load_case

    made = make_case_with_files(store, tmp_path)
    cert = "C-测试〔2026〕1号-1"
    clock.now = T0 - timedelta(days=3)
    backlog = _footage(store, tmp_path, clock.now - timedelta(hours=1), "old", cert, made["agency"])
    clock.now = T0 - WINDOW + timedelta(minutes=1)  # recorded as the act's window opens
    edge = _footage(store, tmp_path, T0 - WINDOW, "edge", cert, made["agency"], seconds=4.0)
    clock.now = T0 + timedelta(days=4)
    near = _footage(
        store, tmp_path, T0 + timedelta(minutes=5), "near", cert, made["agency"], seconds=5.0
    )
    assert [r["id"] for r in unlinked_av_rows(store, T0 - WINDOW)] == [edge, near]
    assert {r["id"] for r in unlinked_av_rows(store)} == {backlog, edge, near}
    case = load_case(store, made["case"])
    offered = [o.record_id for o in link_offers(store, load_rows(store, case), TZ)]
    assert offered == [edge, near]
