"""Resumable uploads (tus 1.0) and the docking-station API, through the real app.

An officer uploads real footage (PyAV) in checksummed chunks; it is stored as received,
recorded and linked to the case. Bad input is refused with a Chinese message and leaves
nothing stored and nothing staged.
"""

from __future__ import annotations

import base64
import hashlib
import re
import resource
import signal
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.factories import make_user
from tests.helpers import SYSTEM, make_case_with_files

from liuhen.errors import NotFound
from liuhen.media.synthetic import make_video
from liuhen.services.admin.agency import add_device, create_agency
from liuhen.services.admin.users import find_user
from liuhen.services.av.stations import add_station, revoke_station
from liuhen.services.av.upload_staging import HASHES, UploadGone, encode_metadata
from liuhen.services.av.uploads import Uploads
from liuhen.store import tables as t
from liuhen.web.app import create_app

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=TZ)
PASSWORD = "Officer-pass-2026"
TUS = {"Tus-Resumable": "1.0.0"}


@pytest.fixture(autouse=True)
def after_the_act(clock: Any) -> None:
    clock.now = T0 + timedelta(hours=1)


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("cam") / "v.mp4"
    make_video(path, seconds=1, width=96, height=64, creation_time=T0 + timedelta(minutes=5))
    return path.read_bytes()


@pytest.fixture
def bureau(store: Any, tmp_path: Path) -> dict[str, Any]:
    made = make_case_with_files(store, tmp_path)
    with store.read() as conn:
        o1 = conn.execute(select(t.officers).where(t.officers.c.name == "张三")).mappings().one()
    device = add_device(
        store, SYSTEM, agency_id=made["agency"], kind="body_camera", serial_no="DSJ-V9-0001"
    )
    make_user(store, "zhangsan", "officer", agency_id=made["agency"], officer_id=o1["id"])
    make_user(store, "chendan", "custodian", agency_id=made["agency"])
    return {**made, "certificate": o1["certificate_no"], "device": device}


@pytest.fixture
def officer(store: Any, bureau: dict[str, Any]) -> TestClient:
    client = TestClient(create_app(store.settings, store=store), base_url="http://127.0.0.1")
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    done = client.post("/login", data={"username": "zhangsan", "password": PASSWORD, "csrf": token})
    assert done.status_code == 200
    page = client.get(f"/uploads?case={bureau['case']}")
    assert page.status_code == 200
    csrf = re.search(r'data-csrf="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    client.headers.update({"X-CSRF-Token": csrf})
    return client


def create(client: TestClient, length: int, **meta: str) -> Any:
    return client.post(
        "/api/uploads",
        headers={**TUS, "Upload-Length": str(length), "Upload-Metadata": encode_metadata(meta)},
    )


def patch(client: TestClient, url: str, offset: int, data: bytes, checksum: bool = True) -> Any:
    headers = {
        **TUS,
        "Upload-Offset": str(offset),
        "Content-Type": "application/offset+octet-stream",
    }
    if checksum:
        digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
        headers["Upload-Checksum"] = f"sha256 {digest}"
    return client.patch(url, content=data, headers=headers)


def upload(client: TestClient, data: bytes, *, chunk: int = 20_000, **meta: str) -> Any:
    made = create(client, len(data), **meta)
    assert made.status_code == 201, made.text
    url = made.headers["Location"]
    offset, last = 0, None
    while offset < len(data):
        last = patch(client, url, offset, data[offset : offset + chunk])
        assert last.status_code == 204, last.text
        offset = int(last.headers["Upload-Offset"])
    status = client.get(url).json()
    return last, status


def counts(store: Any) -> dict[str, int]:
    with store.read() as conn:
        return {
            name: conn.execute(select(func.count()).select_from(t.metadata.tables[name])).scalar()
            for name in ("blobs", "records", "record_files")
        }


def actions(store: Any) -> list[str]:
    with store.read() as conn:
        return list(conn.execute(select(t.ledger_events.c.action)).scalars())


def staged(store: Any) -> list[str]:
    folder = store.settings.uploads_dir
    return (
        sorted(p.name for p in folder.iterdir() if p.suffix != ".json") if folder.exists() else []
    )


def test_options_advertise_version_extensions_and_checksums(officer: TestClient) -> None:
    r = officer.options("/api/uploads")
    assert r.status_code == 204
    assert r.headers["Tus-Version"] == "1.0.0"
    assert set(r.headers["Tus-Extension"].split(",")) >= {
        "creation",
        "checksum",
        "termination",
        "expiration",
    }
    assert set(r.headers["Tus-Checksum-Algorithm"].split(",")) == {"sha256", "sha1"}


def test_an_officer_uploads_footage_in_chunks_and_it_is_linked_to_the_case(
    officer: TestClient, store: Any, bureau: dict[str, Any], video: bytes
) -> None:
    last, status = upload(
        officer,
        video,
        filename="DSJ-V9-0001_20261120090500.mp4",
        case=bureau["case"],
        act=bureau["act"],
        device="DSJ-V9-0001",
        officer=bureau["certificate"],
    )
    assert last.headers["LiuHen-Result"] == "new"
    assert last.headers["LiuHen-SHA256"] == hashlib.sha256(video).hexdigest()
    result = status["result"]
    assert status["state"] == "done" and result["status"] == "new", result
    assert result["linked"] and result["case_id"] == bureau["case"]
    assert result["sha256"] == hashlib.sha256(video).hexdigest()
    with store.read() as conn:
        rec = conn.execute(select(t.records).where(t.records.c.id == result["linked"])).mappings()
        row = rec.one()
    assert row["case_id"] == bureau["case"] and row["act_id"] == bureau["act"]
    assert store.blobs.rehash(result["sha256"])[0] == result["sha256"]  # stored as received
    assert staged(store) == []
    done = actions(store)
    assert {"av.upload_started", "av.ingested", "av.linked", "av.upload_finished"} <= set(done)
    again = upload(officer, video, filename="copy.mp4", case=bureau["case"])[1]["result"]
    assert again["status"] == "duplicate" and "未重复存储" in again["reason"]
    assert counts(store)["blobs"] == 2  # the text record's file and the video, once


def test_head_reports_the_offset_and_a_resume_after_a_restart_rehashes_the_prefix(
    officer: TestClient, store: Any, video: bytes
) -> None:
    url = create(officer, len(video), filename="a.mp4").headers["Location"]
    half = len(video) // 2
    assert patch(officer, url, 0, video[:half], checksum=False).status_code == 204
    head = officer.head(url, headers=TUS)
    assert head.status_code == 200
    assert head.headers["Upload-Offset"] == str(half)
    assert head.headers["Upload-Length"] == str(len(video))
    HASHES.drop(url.rsplit("/", 1)[1])  # as after a server restart: the running hash is gone
    last = patch(officer, url, half, video[half:])
    assert last.headers["LiuHen-SHA256"] == hashlib.sha256(video).hexdigest()


def test_the_staged_file_becomes_the_stored_blob_without_a_second_copy(
    officer: TestClient, store: Any, video: bytes
) -> None:
    """Both digests are taken as the bytes arrive (SM3 too, hashed again from the staged
    prefix after a restart); the last PATCH links the staged file into the blob store."""
    url = create(officer, len(video), filename="DSJ-V9-0001_20261120091000.mp4").headers["Location"]
    upload_id = url.rsplit("/", 1)[1]
    half = len(video) // 2
    assert patch(officer, url, 0, video[:half]).status_code == 204
    HASHES.drop(upload_id)  # as after a restart, or a PATCH served by another process
    part = store.settings.uploads_dir / f"{upload_id}.part"
    inode = part.stat().st_ino
    last = patch(officer, url, half, video[half:])
    assert last.headers["LiuHen-Result"] == "new", last.headers
    sha256 = hashlib.sha256(video).hexdigest()
    assert store.blobs.path_for(sha256).stat().st_ino == inode  # the same file: no copy
    with store.read() as conn:
        sm3 = conn.execute(select(t.blobs.c.sm3).where(t.blobs.c.sha256 == sha256)).scalar()
    assert sm3 == hashlib.new("sm3", video).hexdigest()
    assert store.blobs.rehash(sha256) == (sha256, sm3, len(video))
    assert staged(store) == []


def test_wrong_offset_bad_checksum_and_missing_csrf_are_refused(
    officer: TestClient, store: Any, video: bytes
) -> None:
    url = create(officer, len(video), filename="b.mp4").headers["Location"]
    assert patch(officer, url, 10, video[:100]).status_code == 409
    headers = {
        **TUS,
        "Upload-Offset": "0",
        "Content-Type": "application/offset+octet-stream",
        "Upload-Checksum": "sha256 " + base64.b64encode(b"x" * 32).decode(),
    }
    bad = officer.patch(url, content=video[:1000], headers=headers)
    assert bad.status_code == 460 and "校验值不符" in bad.json()["message"]
    assert officer.head(url, headers=TUS).headers["Upload-Offset"] == "0"  # chunk discarded
    sha1 = base64.b64encode(hashlib.sha1(video[:1000]).digest()).decode()
    ok = officer.patch(
        url, content=video[:1000], headers={**headers, "Upload-Checksum": f"sha1 {sha1}"}
    )
    assert ok.status_code == 204 and ok.headers["Upload-Offset"] == "1000"
    no_csrf = dict(headers, **{"X-CSRF-Token": "forged", "Upload-Offset": "1000"})
    assert officer.patch(url, content=b"x", headers=no_csrf).status_code == 403
    assert officer.post("/api/uploads", headers={"Upload-Length": "5"}).status_code == 412
    anonymous = TestClient(officer.app, base_url="http://127.0.0.1")
    assert anonymous.head(url, headers=TUS).status_code == 401


def test_termination_removes_the_staged_bytes_but_never_a_stored_original(
    officer: TestClient, store: Any, video: bytes
) -> None:
    url = create(officer, len(video), filename="c.mp4").headers["Location"]
    patch(officer, url, 0, video[:500])
    assert officer.delete(url, headers=TUS).status_code == 204
    assert officer.head(url, headers=TUS).status_code == 404
    assert staged(store) == []
    last, status = upload(officer, video, filename="DSJ-V9-0001_20261120090500.mp4")
    assert status["result"]["status"] == "new"
    url = last.url.path
    refused = officer.delete(url, headers=TUS)
    assert refused.status_code == 409 and "不能通过终止上传删除" in refused.json()["message"]


def test_incomplete_uploads_expire_and_are_cleaned_up(
    officer: TestClient, store: Any, clock: Any, video: bytes
) -> None:
    url = create(officer, len(video), filename="d.mp4").headers["Location"]
    patch(officer, url, 0, video[:500])
    upload_id = url.rsplit("/", 1)[1]
    actor = find_user(store, "zhangsan").actor  # type: ignore[union-attr]
    clock.advance(hours=store.settings.upload_expiry_hours - 1)
    assert Uploads(store).clean_expired() == 0  # not yet
    clock.advance(hours=2)
    with pytest.raises(UploadGone, match="已过期"):
        Uploads(store).get(actor, upload_id)
    assert Uploads(store).clean_expired() == 1
    assert staged(store) == []
    with pytest.raises(NotFound):
        Uploads(store).get(actor, upload_id)
    assert "av.upload_expired" in actions(store)


# -- bad input ----------------------------------------------------------------------------
def test_bad_files_are_refused_with_a_chinese_reason_and_nothing_is_stored(
    officer: TestClient, store: Any, video: bytes
) -> None:
    before = counts(store)
    empty = create(officer, 0, filename="empty.mp4")
    assert empty.status_code == 400 and "0 字节" in empty.json()["message"]
    truncated = upload(officer, video[: len(video) // 2], filename="DSJ-V9-0001_20261120091000.mp4")
    assert truncated[1]["result"]["status"] == "rejected"
    assert truncated[0].headers["LiuHen-Result"] == "rejected"
    assert unquote(truncated[0].headers["LiuHen-Reason"]) == truncated[1]["result"]["reason"]
    text = upload(officer, "采集站说明：今日无录像。".encode() * 10, filename="说明.txt")[1]
    assert text["result"]["status"] == "rejected"
    for result in (truncated[1]["result"], text["result"]):
        assert re.search(r"[\u4e00-\u9fff]", result["reason"]), result
    assert counts(store) == before
    assert staged(store) == []


def test_odd_names_are_kept_safe_and_said_so(officer: TestClient, store: Any, video: bytes) -> None:
    odd = "../../etc/现场\n录像\x07🎥" + "长" * 200 + ".mp4"
    made = create(officer, len(video), filename=odd)
    assert made.status_code == 201
    warnings = unquote(made.headers["LiuHen-Warnings"])
    assert "路径分隔符" in warnings and "控制字符" in warnings and "过长" in warnings
    url = made.headers["Location"]
    patch(officer, url, 0, video)
    status = officer.get(url).json()
    name = status["file_name"]
    assert "/" not in name and "\n" not in name and "🎥" in name and name.endswith(".mp4")
    assert len(name.encode()) <= 240
    assert status["result"]["status"] == "new"
    with store.read() as conn:
        stored = conn.execute(select(t.record_files.c.file_name)).scalars().all()
    assert name in stored
    assert only_dots_refused(officer)


def only_dots_refused(client: TestClient) -> bool:
    r = create(client, 10, filename="..")
    return r.status_code == 400 and "文件名" in r.json()["message"]


def test_an_upload_larger_than_the_free_disk_is_refused_at_creation(
    officer: TestClient, store: Any
) -> None:
    import shutil

    free = shutil.disk_usage(store.settings.data_dir).free
    app = officer.app
    settings = store.settings
    object.__setattr__(settings, "upload_reserve_mb", free // (1024 * 1024))
    try:
        r = create(officer, 4 * 1024**3, filename="DSJ-V9-0001_20261120090500.mp4")
    finally:
        object.__setattr__(settings, "upload_reserve_mb", 1024)
    assert app is not None
    assert r.status_code == 507
    assert "磁盘剩余空间不足" in r.json()["message"] and "4.0 GB" in r.json()["message"]
    assert staged(store) == []


def test_a_disk_that_fills_mid_write_answers_507_and_keeps_the_upload_resumable(
    officer: TestClient, store: Any, video: bytes
) -> None:
    url = create(officer, len(video), filename="DSJ-V9-0001_20261120090500.mp4").headers["Location"]
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    old = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1000, hard))  # writes past 1000 bytes: EFBIG
    try:
        full = patch(officer, url, 0, video, checksum=False)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, old)
    assert full.status_code == 507, full.text
    assert "磁盘空间不足" in full.json()["message"]
    offset = int(officer.head(url, headers=TUS).headers["Upload-Offset"])
    assert offset <= 1000
    last = patch(officer, url, offset, video[offset:])
    assert last.headers["LiuHen-Result"] == "new"
    assert last.headers["LiuHen-SHA256"] == hashlib.sha256(video).hexdigest()


# -- docking stations ---------------------------------------------------------------------
def test_a_docking_station_uploads_with_its_token_idempotently(
    officer: TestClient, store: Any, bureau: dict[str, Any], video: bytes
) -> None:
    station, token = add_station(
        store, SYSTEM, name="一号采集站", username="chendan", device="DSJ-V9-0001"
    )
    client = TestClient(officer.app, base_url="http://127.0.0.1")
    auth = {"Authorization": f"Bearer {token}"}
    me = client.get("/api/av/whoami", headers=auth).json()
    assert me["station"]["name"] == "一号采集站" and me["station"]["device"] == "DSJ-V9-0001"
    params = {
        "filename": "DSJ-V9-0001_20261120090500.mp4",
        "case": bureau["case"],
        "officer": bureau["certificate"],
    }
    first = client.post("/api/av/files", params=params, content=video, headers=auth)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["status"] == "new" and body["linked"]
    second = client.post("/api/av/files", params=params, content=video, headers=auth)
    assert second.status_code == 200 and second.json()["status"] == "duplicate"
    sha = hashlib.sha256(video).hexdigest()
    quick = client.post(
        "/api/av/files", params={**params, "sha256": sha}, content=video, headers=auth
    )
    assert quick.json()["status"] == "duplicate"
    assert client.get(f"/api/av/files/{sha}", headers=auth).json()["held"] is True
    bad = client.post("/api/av/files", params={"filename": "x.txt"}, content=b"hello", headers=auth)
    assert bad.status_code == 422 and bad.json()["status"] == "rejected"
    with store.read() as conn:
        labels = conn.execute(
            select(t.ledger_events.c.actor_label).where(t.ledger_events.c.action == "av.ingested")
        ).scalars()
        assert any("一号采集站" in label for label in labels)
    revoke_station(store, SYSTEM, station.id)
    gone = client.get("/api/av/whoami", headers=auth)
    assert gone.status_code == 401 and "吊销" in gone.json()["message"]
    assert (
        client.get("/api/av/whoami", headers={"Authorization": "Bearer lhs_x"}).status_code == 401
    )


def test_a_station_of_another_agency_learns_a_file_is_held_but_not_its_record(
    officer: TestClient, store: Any, bureau: dict[str, Any], video: bytes
) -> None:
    own, own_token = add_station(store, SYSTEM, name="本局采集站", username="chendan")
    client = TestClient(officer.app, base_url="http://127.0.0.1")
    params = {
        "filename": "DSJ-V9-0001_20261120090500.mp4",
        "case": bureau["case"],
        "officer": bureau["certificate"],
    }
    stored = client.post(
        "/api/av/files",
        params=params,
        content=video,
        headers={"Authorization": f"Bearer {own_token}"},
    )
    assert stored.status_code == 201, stored.text
    assert stored.json()["linked"]
    record_id = stored.json()["record_id"]
    other_agency = create_agency(store, SYSTEM, name="另一镇人民政府", profile_id="shanxi-township")
    make_user(store, "wanggang", "custodian", agency_id=other_agency, display_name="王刚")
    _, other_token = add_station(store, SYSTEM, name="他镇采集站", username="wanggang")
    sha = hashlib.sha256(video).hexdigest()
    mine = client.get(f"/api/av/files/{sha}", headers={"Authorization": f"Bearer {own_token}"})
    theirs = client.get(f"/api/av/files/{sha}", headers={"Authorization": f"Bearer {other_token}"})
    assert mine.json() == {"sha256": sha, "held": True, "record_id": record_id}
    assert theirs.json() == {"sha256": sha, "held": True, "record_id": None}


def test_the_openapi_spec_documents_the_station_and_tus_endpoints(officer: TestClient) -> None:
    spec = officer.get("/api/openapi.json").json()
    assert "/api/av/files" in spec["paths"] and "/api/uploads/{upload_id}" in spec["paths"]
    assert "patch" in spec["paths"]["/api/uploads/{upload_id}"]


def test_the_upload_page_is_linked_from_the_nav_and_the_case_page(
    officer: TestClient, bureau: dict[str, Any]
) -> None:
    page = officer.get(f"/cases/{bureau['case']}").text
    assert f'href="/uploads?case={bureau["case"]}"' in page and 'id="nav-uploads"' in page
    upload_page = officer.get(f"/uploads?case={bureau['case']}").text
    assert "上传音像记录" in upload_page and "DSJ-V9-0001" in upload_page
    assert bureau["certificate"] in upload_page
