"""Footage no case holds belongs to an agency (issue 13, scope without holes): a photo the
server's operator imported with no registered device is listed, viewed and downloaded
within the agency that received it, and by nobody of another agency; footage whose agency
nobody recorded reaches only the grants over every agency. A refusal names no other
agency's case or footage. On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from tests.factories import make_agency, make_case, make_user
from tests.helpers import web_login

from liuhen.ledger.events import Actor
from liuhen.media.importing import ImportOptions
from liuhen.media.synthetic import make_photo
from liuhen.services.av.ingest import import_av
from liuhen.web.app import create_app

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=TZ)
PASSWORD = "Officer-pass-2026"
OPERATOR = Actor(id=None, label="命令行操作员（采集站导入）", roles=("custodian",))


@pytest.fixture
def world(store, clock, tmp_path: Path) -> Iterator[dict[str, Any]]:  # type: ignore[no-untyped-def]
    clock.now = T0 + timedelta(hours=1)
    ours = make_agency(store, name="甲镇人民政府")["agency"]
    theirs = make_agency(store, name="乙镇人民政府")["agency"]
    people = {
        "keeper": ("custodian", ours),
        "far_keeper": ("custodian", theirs),
        "far_officer": ("officer", theirs),
        "far_head": ("head", theirs),
    }
    for username, (role, agency) in people.items():
        make_user(store, username, role, agency_id=agency)
    photo = make_photo(tmp_path / "IMG_0001.jpg", taken_at=T0.replace(tzinfo=None))
    [mine] = import_av(store, OPERATOR, [photo], ImportOptions(agency_id=ours)).records
    legacy = make_photo(tmp_path / "IMG_0002.jpg", taken_at=(T0 + timedelta(minutes=5)))
    [nobody] = import_av(store, OPERATOR, [legacy]).records  # stored before agencies were kept
    their_case = make_case(store, theirs, number="乙〔2026〕9号", title="乙镇某店占道经营案")
    app = create_app(store.settings, store=store)
    clients = {}
    for username in people:
        client = TestClient(app, base_url="http://127.0.0.1")
        assert web_login(client, username, PASSWORD).status_code == 303, username
        clients[username] = client
    yield {
        "ours": ours,
        "sha256": hashlib.sha256(photo.read_bytes()).hexdigest(),
        "photo": mine["record_id"],
        "legacy": nobody["record_id"],
        "title": mine["title"],
        "their_case": their_case,
        "clients": clients,
    }
    for client in clients.values():
        client.close()


def test_a_photo_with_no_device_stays_within_the_agency_that_received_it(world) -> None:  # type: ignore[no-untyped-def]
    photo, clients = world["photo"], world["clients"]
    keeper = clients["keeper"]
    assert photo in keeper.get("/av/unlinked").text
    assert [i["id"] for i in keeper.get("/api/av/unlinked").json()["items"]] == [photo]
    assert keeper.get(f"/av/{photo}").status_code == 200
    download = keeper.get(f"/records/{photo}/files/1")
    assert download.status_code == 200 and download.content[:2] == b"\xff\xd8"
    for name in ("far_keeper", "far_officer", "far_head"):
        client = clients[name]
        assert photo not in client.get("/av/unlinked").text, name
        assert client.get("/api/av/unlinked").json()["items"] == [], name
        for path in (f"/av/{photo}", f"/records/{photo}/files/1"):
            refused = client.get(path)
            assert refused.status_code == 403, (name, path)
            assert "无权" in refused.text and world["title"] not in refused.text, (name, path)


def test_footage_whose_agency_nobody_recorded_is_out_of_every_agency_s_reach(world) -> None:  # type: ignore[no-untyped-def]
    legacy, clients = world["legacy"], world["clients"]
    for name in ("keeper", "far_keeper", "far_officer"):
        assert legacy not in clients[name].get("/av/unlinked").text, name
        assert clients[name].get(f"/records/{legacy}/files/1").status_code == 403, name


def test_another_agency_s_case_in_the_upload_page_query_is_refused_without_its_facts(
    world, store
) -> None:  # type: ignore[no-untyped-def]
    """``/uploads?case=`` is checked like a case in the path, and the refusal names neither
    the case's number nor its title."""
    make_user(store, "our_officer", "officer", agency_id=world["ours"])
    client = TestClient(create_app(store.settings, store=store), base_url="http://127.0.0.1")
    assert web_login(client, "our_officer", PASSWORD).status_code == 303
    refused = client.get("/uploads", params={"case": world["their_case"]})
    assert refused.status_code == 403 and "无权" in refused.text
    assert "乙〔2026〕9号" not in refused.text and "占道经营" not in refused.text
    assert "upload-form" not in refused.text
    keeper = world["clients"]["far_keeper"]  # within the agency the page is offered
    shown = keeper.get("/uploads", params={"case": world["their_case"]})
    assert shown.status_code == 200 and "乙〔2026〕9号" in shown.text


def test_the_api_says_a_file_is_held_without_naming_another_agency_s_footage(world) -> None:  # type: ignore[no-untyped-def]
    keeper, far = world["clients"]["keeper"], world["clients"]["far_keeper"]
    sha = world["sha256"]
    mine = keeper.get(f"/api/av/files/{sha}").json()
    assert mine == {"sha256": sha, "held": True, "record_id": world["photo"]}
    theirs = far.get(f"/api/av/files/{sha}").json()
    assert theirs == {"sha256": sha, "held": True, "record_id": None}
