"""Serving a record's stored files: documents to download, media to play (HTTP ranges)."""

from __future__ import annotations

import json
import re
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse
from starlette.datastructures import FormData

from liuhen.errors import InvalidInput
from liuhen.services.access.downloads import read_record_file
from liuhen.services.access.watching import parse_ranges, record_watched
from liuhen.services.admin.users import User
from liuhen.web.auth.permission import case_if_loaded, check_csrf, get_store, permission
from liuhen.web.forms import posted_form

router = APIRouter()
RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")


def _range(header: str | None) -> tuple[int, int | None] | None:
    if not header:
        return None
    match = RANGE.match(header.strip())
    if match is None:
        raise InvalidInput("Range: 只支持单个字节范围，如 bytes=0-1023")
    return int(match.group(1)), int(match.group(2)) if match.group(2) else None


@router.get(
    "/records/{record_id}/files/{position}", tags=["records"], summary="下载或播放记录的文件"
)
def record_file(
    request: Request,
    record_id: str,
    position: int,
    user: Annotated[User, Depends(permission("case.read"))],
    download: bool = False,
) -> Response:
    wanted = _range(request.headers.get("range"))
    read = read_record_file(
        get_store(request),
        user.actor,
        record_id,
        position,
        wanted,
        download=download,
        case=case_if_loaded(request),
    )
    disposition = "attachment" if download else "inline"
    headers = {
        "Accept-Ranges": "bytes",
        "Content-Length": str(read.end - read.start + 1 if read.size else 0),
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(read.file_name)}",
    }
    if wanted is not None:
        headers["Content-Range"] = f"bytes {read.start}-{read.end}/{read.size}"
    return StreamingResponse(
        read.chunks, status_code=206 if wanted else 200, media_type=read.media_type, headers=headers
    )


@router.post(
    "/records/{record_id}/files/{position}/watched",
    tags=["records"],
    summary="报告音视频实际播放的时段（暂停、播放结束或离开页面时由播放器发送）",
    status_code=204,
)
def record_file_watched(
    request: Request,
    record_id: str,
    position: int,
    user: Annotated[User, Depends(permission("case.read"))],
    posted: Annotated[FormData, Depends(posted_form)],
) -> Response:
    check_csrf(request, str(posted.get("csrf", "")))
    try:
        value = json.loads(str(posted.get("ranges", "")))
    except ValueError:
        raise InvalidInput("ranges: 不是有效的 JSON，应如 [[0, 12.5]]") from None
    ranges = parse_ranges(value)
    record_watched(get_store(request), user.actor, record_id, position, ranges)
    return Response(status_code=204)
