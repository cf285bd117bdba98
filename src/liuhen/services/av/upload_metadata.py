"""What is known about an upload: the metadata it announces (Upload-Metadata) with the
checks that need no query (lengths, control characters, the start time, the SHA-256, an act
only with its case; ``uploads.Uploads`` then resolves the case and the act), the one that
does (``check_parties``: a named device or officer is of the receiving agency), and the
``UploadInfo`` kept beside the staged bytes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from pathlib import PurePath as Path
from typing import Any

from liuhen.errors import InvalidInput
from liuhen.ledger.events import Actor
from liuhen.media.naming import parse_name
from liuhen.services.av.queries.devices import foreign_parties
from liuhen.store.store import Store

METADATA_KEYS = {
    "filename": "文件名",
    "filetype": "文件类型",
    "case": "案件",
    "act": "执法环节",
    "officer": "执法人员",
    "device": "设备",
    "recorded_start": "录制开始时间",
    "sha256": "SHA-256",
    "start_in_file": "文件中的录制时间",
}
NO_START = (
    "recorded_start: 这个文件的设备元数据和文件名中都读不出录制开始时间："
    "请在“录制开始时间”中填写后再点“开始上传”（文件尚未发送）"
)
"""Said before a byte is sent when the browser read the file's container and found no start
time (``start_in_file`` = ``none``) and neither the file name nor the form gives one."""


def clean_metadata(metadata: dict[str, str], tz: tzinfo, now: datetime) -> dict[str, str]:
    """The known keys of ``metadata``, stripped and checked; InvalidInput names the key."""
    meta = {k: v.strip() for k, v in metadata.items() if k in METADATA_KEYS and v.strip()}
    for key, value in meta.items():
        if len(value) > 1000 or any(ord(c) < 32 for c in value if key != "filename"):
            raise InvalidInput(f"{key}: {METADATA_KEYS[key]}过长或含控制字符")
    if "recorded_start" in meta:
        meta["recorded_start"] = parse_start(meta["recorded_start"], tz, now).isoformat()
    if "sha256" in meta:
        sha = meta["sha256"].lower()
        if len(sha) != 64 or set(sha) - set("0123456789abcdef"):
            raise InvalidInput("sha256: 应为 64 位十六进制的 SHA-256 值")
        meta["sha256"] = sha
    if meta.get("act") and not meta.get("case"):
        raise InvalidInput("act: 指定执法环节时须同时指定案件")
    if meta.pop("start_in_file", "") == "none" and "recorded_start" not in meta:
        match = parse_name(Path(meta.get("filename", "")).name, tz=tz)
        if match is None or match.start is None:
            raise InvalidInput(NO_START)
    return meta


def check_parties(
    store: Store, actor: Actor, meta: dict[str, str], case: dict[str, Any] | None
) -> None:
    """A registered device or officer named in the metadata is of the receiving agency (the
    case's, else the uploader's): footage is scoped by its device's agency, so another
    agency's camera would put it among that agency's footage (one query, only when named)."""
    agency = (case or {}).get("agency_id") if meta.get("case") else actor.agency_id
    if not agency or not (meta.get("device") or meta.get("officer")):
        return
    foreign = foreign_parties(store, str(agency), meta.get("device"), meta.get("officer"))
    if foreign:
        raise InvalidInput(
            "音像信息有误",
            details=[f"{key}: {METADATA_KEYS[key]}不是本机关登记的" for key in foreign],
        )


def parse_start(text: str, tz: tzinfo, now: datetime) -> datetime:
    """A recording's start time: ISO 8601, in ``tz`` when it names no zone, not after ``now``."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"recorded_start: {text!r} 不是有效的时间，应如 2026-11-20T09:30:00+08:00"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    if moment > now:
        raise InvalidInput("recorded_start: 录制开始时间晚于现在，请核对")
    return moment


@dataclass
class UploadInfo:
    id: str
    length: int
    file_name: str
    """The name the file is stored under (made safe: see ``staged_name``)."""
    original_name: str
    metadata: dict[str, str]
    owner_id: str | None
    owner_label: str
    station_id: str | None
    created_at: str
    touched_at: str
    state: str = "receiving"
    """``receiving`` until the last byte is in, then ``done`` (``result`` says how it went)."""
    warnings: list[str] = field(default_factory=list)
    result: dict[str, Any] | None = None

    def expires_at(self, hours: int) -> datetime:
        return datetime.fromisoformat(self.touched_at) + timedelta(hours=hours)
