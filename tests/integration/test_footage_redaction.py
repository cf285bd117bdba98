"""Redaction of footage for a party's copy (issue 17 item 2; 002§34, 004§38) through the
store, SQLite and PostgreSQL, on a real face (scikit-image's astronaut photograph made into
a video with PyAV): the detector proposes the face, the head confirms it and mutes a second
of sound with a reason, the redacted video is a derived record whose face region differs
strongly from the original while the rest of the frame does not, the party's copy and its
share link deliver that video and never the original, and the original is untouched."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import av
import numpy as np
import pytest
from sqlalchemy import func, select
from tests.footage_case import FACE, footage_case
from tests.helpers import SYSTEM, run_jobs

from liuhen.errors import Conflict, InvalidInput, PermissionDenied
from liuhen.services.access.footage import confirm_footage, detect_faces
from liuhen.services.access.footage_render import render_footage
from liuhen.services.access.queries.requests import get_request
from liuhen.services.access.share_links import issue_link, open_shared, read_shared
from liuhen.services.approvals.queries import inbox
from liuhen.services.approvals.workflow import decide
from liuhen.services.archiving.integrity import verify
from liuhen.services.cases.bundles import assemble_bundle, case_findings
from liuhen.store import tables as t

MUTE = {"type": "mute", "file": 1, "start": 500, "end": 1500, "ground": "privacy",
        "reason": "旁人说出自己的住址"}  # fmt: skip


@pytest.fixture(autouse=True)
def after_the_recording(clock: Any, store: Any) -> None:
    clock.now = datetime(2026, 11, 20, 11, 0, tzinfo=store.settings.tz)


def blob(store: Any, sha: str) -> bytes:
    with store.blobs.open(sha) as f:
        data: bytes = f.read()
    return data


def frame_at(store: Any, sha: str, t: float) -> np.ndarray:
    with store.blobs.open(sha) as data, av.open(data) as container:
        for frame in container.decode(video=0):
            if frame.time is not None and frame.time >= t:
                return frame.to_ndarray(format="rgb24").astype(np.int16)
    raise AssertionError("no frame")


def sound(store: Any, sha: str) -> np.ndarray:
    with store.blobs.open(sha) as data, av.open(data) as container:
        return np.concatenate([f.to_ndarray()[0] for f in container.decode(audio=0)])


def files_of(store: Any, record_id: str) -> list[dict[str, Any]]:
    with store.read() as conn:
        rows = conn.execute(
            select(t.record_files).where(t.record_files.c.record_id == record_id)
        ).mappings()
        return [dict(r) for r in rows]


def events(store: Any, action: str) -> list[dict[str, Any]]:
    with store.read() as conn:
        rows = conn.execute(select(t.ledger_events).where(t.ledger_events.c.action == action))
        return [dict(r) for r in rows.mappings()]


def count(store: Any, table: Any) -> int:
    with store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def region(picture: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    h, w = picture.shape[:2]
    x, y, bw, bh = box
    return picture[int(y * h) : int((y + bh) * h), int(x * w) : int((x + bw) * w)]


def test_faces_are_blurred_in_the_partys_copy_and_the_original_is_untouched(store, tmp_path):
    made = footage_case(store, tmp_path)
    head, rid, record = made["head"].actor, made["request"], made["av"]
    [original] = files_of(store, record)
    before = blob(store, original["blob_sha256"])
    findings = {
        (f.rule_id, str(f.subject.to_dict()))
        for f in case_findings(store, made["case"], store.clock())
    }

    # the detector finds the astronaut's face, in the photograph's half of the picture
    assert detect_faces(store, head, rid, record) == 1
    assert detect_faces(store, head, rid, record) == 0  # scanned once per file
    [found] = events(store, "access.faces_detected")
    assert found["payload"]["faces"] == 1 and found["payload"]["model"].startswith("CenterFace")
    with store.read() as conn:
        [proposal] = conn.execute(select(t.face_scans.c.proposals)).scalar_one()
    x, y, w, h = (v / 10_000 for v in proposal["box"])
    assert x + w <= FACE[2] + 0.02 and 0.05 < w < 0.4 and proposal["kind"] == "face"
    assert proposal["start"] == 0 and proposal["end"] >= 1900 and len(proposal["track"]) >= 9

    # nobody reviewed the faces: the head cannot grant the copy yet
    [waiting] = inbox(store, head)
    with pytest.raises(InvalidInput) as early:
        _grant(store, head, waiting.id)
    assert "尚未审查" in early.value.details[0]

    # bad marks: one message per problem naming the field, nothing saved
    bad = [dict(proposal, reason=""), dict(MUTE, end=99_000)]
    with pytest.raises(InvalidInput) as wrong:
        confirm_footage(store, head, rid, record, bad)
    assert wrong.value.details == [
        "marks[1].reason: 第 1 处遮盖须写明理由",
        "marks[2].end: 第 2 处静音的时间（0.5–99 秒）应在 0 至 2.0 秒之间，且起点早于终点",
    ]
    assert count(store, t.redactions) == 0
    with pytest.raises(PermissionDenied):  # a clerk may not decide what is withheld
        confirm_footage(store, made["clerk"].actor, rid, record, [proposal])

    # the head keeps the face, mutes a second of sound; the same marks again: no new version
    first = confirm_footage(store, head, rid, record, [proposal, MUTE])
    assert confirm_footage(store, head, rid, record, [MUTE, proposal]) == first
    [confirmed] = events(store, "access.redaction_confirmed")
    marks = confirmed["payload"]["marks"]
    assert [m["type"] for m in marks] == ["cover", "mute"] and marks[1]["reason"] == MUTE["reason"]
    assert marks[0]["track"]["points"] == len(proposal["track"])  # the track by its digest

    # the redacted video: a derived record naming its original and the version
    derived = render_footage(store, head, rid, record)
    assert render_footage(store, head, rid, record) == derived  # once per version
    with store.read() as conn:
        row = conn.execute(select(t.records).where(t.records.c.id == derived)).mappings().one()
    assert row["kind"] == "redacted" and row["details"]["derived_from"]["record_id"] == record
    assert row["details"]["redaction"]["id"] == first
    [redacted] = files_of(store, derived)
    assert redacted["details"]["derived_from"]["sha256"] == original["blob_sha256"]
    assert redacted["details"]["covered_frames"] == redacted["details"]["frames"] == 30

    plain, covered = (
        frame_at(store, original["blob_sha256"], 1.0),
        frame_at(store, redacted["blob_sha256"], 1.0),
    )
    face = (x, y, w, h)
    assert np.abs(region(plain, face) - region(covered, face)).mean() > 25
    rest = (0.55, 0.0, 0.45, 0.8)  # the striped half, above the caption strip
    assert np.abs(region(plain, rest) - region(covered, rest)).mean() < 4
    tone = sound(store, redacted["blob_sha256"])
    muted, kept = tone[int(0.6 * 44100) : int(1.4 * 44100)], tone[int(1.6 * 44100) :]
    assert np.abs(muted).max() < 0.01 and np.sqrt((kept**2).mean()) > 0.1

    # granted: the party's copy is the redacted video, and the link delivers it
    _grant(store, head, waiting.id)
    [copy] = get_request(store, head, rid).copies
    [f] = copy["files"]
    assert f["sha256"] == redacted["blob_sha256"] and f["file_name"].endswith("（遮盖）.mp4")
    link = issue_link(store, made["clerk"].actor, rid)
    assert [s.file_name for s in open_shared(store, link.token).files] == [f["file_name"]]
    delivered = b"".join(read_shared(store, link.token, 1).chunks)
    assert delivered == blob(store, redacted["blob_sha256"]) and delivered != before
    assert blob(store, original["blob_sha256"]) == before
    [rendered] = events(store, "access.footage_redacted")
    assert rendered["payload"]["files"][0]["from"] == original["blob_sha256"]
    # the derived video is neither a recording of the act nor in the case's bundle
    after = {
        (f.rule_id, str(f.subject.to_dict()))
        for f in case_findings(store, made["case"], store.clock())
    }
    assert after == findings
    assert [r["id"] for r in assemble_bundle(store, made["case"])["av_records"]] == [record]
    assert verify(store, SYSTEM).ok


def test_a_copy_waits_for_the_redacted_video_of_the_newest_version(store, tmp_path):
    made = footage_case(store, tmp_path)
    head, rid, record = made["head"].actor, made["request"], made["av"]
    detect_faces(store, head, rid, record)
    box = {"type": "cover", "file": 1, "start": 0, "end": 1000, "box": [6000, 1000, 2000, 3000],
           "kind": "plate", "ground": "privacy", "reason": "停在路边的他人车辆号牌"}  # fmt: skip
    confirm_footage(store, head, rid, record, [box])
    [waiting] = inbox(store, head)
    with pytest.raises(InvalidInput) as early:  # not granted before its video is made
        _grant(store, head, waiting.id)
    assert "遮盖后的视频尚在制作" in early.value.details[0]
    with pytest.raises(Conflict, match="尚未确认|尚未制作"):
        from liuhen.services.access.footage_render import copy_files

        request = get_request(store, head, rid)
        with store.read() as conn:
            from liuhen.services.access.queries.redactions import latest_redactions

            latest = latest_redactions(conn, rid)[record]
        copy_files(store, request, "录像", latest)
    derived = render_footage(store, head, rid, record)
    second = confirm_footage(store, head, rid, record, [dict(box, end=1500)])
    assert render_footage(store, head, rid, record) != derived  # a new version, a new video
    with store.read() as conn:
        made_for = conn.execute(select(t.redacted_footage.c.redaction_id)).scalars().all()
    assert second in made_for and len(made_for) == 2


def _grant(store: Any, head: Any, approval_id: str) -> None:
    decide(store, head, approval_id, decision="approved", opinion="同意", position="head",
           final=True)  # fmt: skip
    run_jobs(store)  # the copies: the cluster's job
