"""Footage of a real face for the footage-redaction tests (issue 17 item 2): scikit-image's
photograph of an astronaut (Eileen Collins, public domain, shipped inside the package) set
in the left half of each frame, a striped pattern in the right half, a tone on the sound;
imported from a docking-station folder and linked to a case, and a party's copy request for
it. Used by the service, concurrency, web and browser tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
from sqlalchemy import select

from liuhen.ledger.events import Actor
from liuhen.media.importing import ImportOptions
from liuhen.services.access.requests import register_request
from liuhen.services.admin.agency import add_device
from liuhen.services.av.ingest import import_av
from liuhen.services.av.versions import link_av
from liuhen.store import tables as t
from tests.factories import make_user
from tests.helpers import SYSTEM, make_case_with_files

FACE = (0.0, 0.0, 0.5, 1.0)
"""Where the photograph is (x, y, width, height as fractions): the left half."""
REQUESTER = {
    "name": "王某",
    "id_type": "resident_id",
    "id_number": "11010519491231002X",
    "relation": "party",
    "phone": "13800000000",
}


def picture(width: int, height: int) -> np.ndarray:
    """The photograph (scaled to the left half) beside a striped right half."""
    from PIL import Image
    from skimage import data

    half = width // 2
    photo = Image.fromarray(data.astronaut()).resize((half, height))
    frame = np.zeros((height, width, 3), dtype=np.uint8)
    frame[:, :half] = np.asarray(photo)
    stripes = (np.arange(width - half) // 8 % 2 * 150 + 50).astype(np.uint8)
    frame[:, half:, 0] = stripes
    frame[:, half:, 1] = 120
    frame[:, half:, 2] = stripes[::-1]
    return frame


def face_video(
    path: Path, *, seconds: float = 2.0, width: int = 640, height: int = 360, fps: int = 15
) -> Path:
    """An H.264/AAC MP4 of ``picture`` (still) with a 440 Hz tone."""
    still = picture(width, height)
    with av.open(str(path), mode="w", format="mp4") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"preset": "ultrafast", "crf": "18"}
        sound = out.add_stream("aac", rate=44100)
        sound.layout = "mono"
        for i in range(int(seconds * fps)):
            frame = av.VideoFrame.from_ndarray(still, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, fps)
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        for start in range(0, int(seconds * 44100), 1024):
            tone = 0.4 * np.sin(2 * np.pi * 440 * (start + np.arange(1024)) / 44100)
            chunk = av.AudioFrame.from_ndarray(tone[None].astype(np.float32), format="fltp",
                                               layout="mono")  # fmt: skip
            chunk.sample_rate, chunk.pts = 44100, start
            out.mux(sound.encode(chunk))
        out.mux(sound.encode(None))
    return path


def footage_case(store: Any, tmp: Path, *, seconds: float = 2.0) -> dict[str, Any]:
    """A case with the face video linked to its act, the people who act on it, and a
    party's copy request for the video."""
    ids = make_case_with_files(store, tmp)
    with store.read() as conn:
        officers = dict(
            conn.execute(
                select(t.officers.c.name, t.officers.c.id).where(
                    t.officers.c.agency_id == ids["agency"]
                )
            ).all()
        )
    clerk = make_user(store, "zhangsan", "officer", agency_id=ids["agency"],
                      officer_id=officers["张三"], display_name="张三",
                      password="Officer-pass-2026")  # fmt: skip
    head = make_user(store, "liuzhang", "head", agency_id=ids["agency"], display_name="刘镇长",
                     password="Officer-pass-2026")  # fmt: skip
    add_device(
        store, SYSTEM, agency_id=ids["agency"], kind="body_camera", serial_no="DSJ-V9-0001",
        assigned_officer_id=officers["张三"],
    )  # fmt: skip
    dock = tmp / "dock"
    dock.mkdir(exist_ok=True)
    start = datetime(2026, 11, 20, 9, 5, tzinfo=store.settings.tz)
    video = face_video(dock / f"DSJ-V9-0001_{start:%Y%m%d%H%M%S}.mp4", seconds=seconds)
    custodian = Actor(id=None, label="陈丹（音像管理员）", roles=("custodian",))
    report = import_av(store, custodian, [video], ImportOptions())
    assert report.records, [(f.status, f.reason) for f in report.files]
    record = link_av(
        store, custodian, report.records[0]["record_id"], case_id=ids["case"],
        act_id=ids["act"], officer_id=_certificate(store, officers["张三"]),
    )  # fmt: skip
    request = register_request(
        store, clerk.actor, case_id=ids["case"], kind="copy", requester=REQUESTER,
        record_ids=[record], purpose="申请行政复议需要",
    )  # fmt: skip
    return {**ids, "av": record, "request": request, "clerk": clerk, "head": head,
            "video": video, "at": start + timedelta(hours=1)}  # fmt: skip


def _certificate(store: Any, officer_id: str) -> str:
    with store.read() as conn:
        return str(
            conn.execute(
                select(t.officers.c.certificate_no).where(t.officers.c.id == officer_id)
            ).scalar_one()
        )
