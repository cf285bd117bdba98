"""The docking-station API (采集站接口): one request per small file, and "do you have it?".

Stations authenticate with ``Authorization: Bearer <token>`` (issued with ``liuhen station
add``); a signed-in browser may call it too (with ``X-CSRF-Token``). Large files go through
the resumable ``/api/uploads`` (tus) endpoints with the same token. Sending a file the
store already holds stores nothing and answers ``duplicate``: the API is idempotent.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from liuhen.errors import InvalidInput
from liuhen.services.av.queries.pages import file_holder
from liuhen.services.av.uploads import Uploads
from liuhen.web.auth.permission import get_store
from liuhen.web.av.uploads import Who, receive

router = APIRouter()
SINGLE_MAX = 1024**3
STATUS_CODES = {"new": 201, "duplicate": 200, "rejected": 422}
_DIGITS = re.compile(r"[0-9]{1,19}")


class FileResult(BaseModel):
    status: str
    """``new`` (stored now), ``duplicate`` (already held; nothing stored) or ``rejected``."""
    reason: str = ""
    sha256: str
    file_name: str
    size: int
    record_id: str | None = None
    kind: str | None = None
    start: str | None = None
    time_source: str | None = None
    warnings: list[str] = []
    linked: str | None = None
    link_problem: str | None = None


class Held(BaseModel):
    sha256: str
    held: bool
    record_id: str | None = None


class StationInfo(BaseModel):
    station: dict[str, Any] | None
    actor: str


@router.get("/api/av/whoami", tags=["docking station"], summary="当前令牌对应的采集站与账号")
def whoami(who: Who) -> StationInfo:
    return StationInfo(
        station=who.station.as_dict() if who.station else None, actor=who.actor.label
    )


@router.get(
    "/api/av/files/{sha256}",
    tags=["docking station"],
    summary="查询某文件（按 SHA-256）是否已存储，已存储的无需再传",
)
def held(request: Request, sha256: str, who: Who) -> Held:
    sha = sha256.lower()
    if len(sha) != 64 or set(sha) - set("0123456789abcdef"):
        raise InvalidInput("sha256: 应为 64 位十六进制的 SHA-256 值")
    held, record_id = file_holder(get_store(request), who.actor, sha)
    return Held(sha256=sha, held=held, record_id=record_id)


@router.post(
    "/api/av/files",
    tags=["docking station"],
    summary="上传一个文件（请求体即文件原始字节，适用于 1 GB 以内的文件）",
    responses={
        201: {"model": FileResult, "description": "已存储"},
        200: {"model": FileResult, "description": "已存在，未重复存储"},
        422: {"model": FileResult, "description": "拒收（原因见 reason）"},
        507: {"description": "服务器磁盘空间不足"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def upload_file(
    request: Request,
    who: Who,
    filename: Annotated[str, Query(description="原始文件名（含扩展名）")],
    device: Annotated[str | None, Query(description="设备编号（序列号）")] = None,
    officer: Annotated[str | None, Query(description="执法证号/警号")] = None,
    case: Annotated[str | None, Query(description="案件 ID 或案件编号")] = None,
    act: Annotated[str | None, Query(description="执法环节 ID")] = None,
    recorded_start: Annotated[
        str | None, Query(description="录制开始时间（ISO 8601），仅在元数据与文件名都没有时使用")
    ] = None,
    sha256: Annotated[
        str | None, Query(description="采集站计算的 SHA-256；不符则拒收，已存储则直接答复已存在")
    ] = None,
) -> JSONResponse:
    length = _content_length(request)
    store = get_store(request)
    if sha256:
        answer = held(request, sha256, who)
        if answer.held:
            return _already_stored(answer.sha256, answer.record_id, filename, length)
    values = {
        "filename": filename,
        "device": device,
        "officer": officer,
        "case": case,
        "act": act,
        "recorded_start": recorded_start,
        "sha256": sha256,
    }
    uploads = Uploads(store)
    info = await to_thread.run_sync(
        lambda: uploads.create(
            who.actor,
            length=length,
            metadata={k: v for k, v in values.items() if v},
            station_id=who.station.id if who.station else None,
            default_device=who.station.device_serial if who.station else None,
        )
    )
    patch = await to_thread.run_sync(uploads.open_patch, who.actor, info.id, 0, None)
    cut_off = await receive(request, patch)
    await to_thread.run_sync(lambda: patch.close(cut_off=cut_off))
    if not patch.complete:
        await to_thread.run_sync(uploads.terminate, who.actor, info.id)
        raise InvalidInput(
            f"Content-Length: 请求体只有 {patch.offset} 字节，短于声明的 {length} 字节：未存储，请重传"
        )
    result = await to_thread.run_sync(uploads.finish, who.actor, info.id)
    body = FileResult(**{k: v for k, v in result.items() if k in FileResult.model_fields})
    return JSONResponse(body.model_dump(), status_code=STATUS_CODES[result["status"]])


def _content_length(request: Request) -> int:
    """The declared length (ASCII digits), refused when missing or over ``SINGLE_MAX``."""
    length = request.headers.get("content-length")
    if length is None or not _DIGITS.fullmatch(length.strip()):
        raise InvalidInput(
            "Content-Length: 须给出文件长度（十进制整数；不支持分块传输编码，大文件请用 /api/uploads）"
        )
    if int(length) > SINGLE_MAX:
        raise InvalidInput(
            "Content-Length: 单次请求上传的文件不能超过 1 GB，请用可续传的 /api/uploads（tus）"
        )
    return int(length)


def _already_stored(sha256: str, record_id: str | None, filename: str, size: int) -> JSONResponse:
    """The answer for a file whose digest the store already holds: nothing is received."""
    return JSONResponse(
        FileResult(
            status="duplicate",
            reason=f"已存储（音像记录 {record_id}），未重复存储",
            sha256=sha256,
            file_name=filename,
            size=size,
            record_id=record_id,
        ).model_dump(),
        status_code=200,
    )
