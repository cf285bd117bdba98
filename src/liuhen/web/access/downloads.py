"""Serving a record's stored files: documents to download, media to play (HTTP ranges)."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse

from liuhen.errors import InvalidInput
from liuhen.services.access.downloads import read_record_file
from liuhen.services.admin.users import User
from liuhen.web.auth.permission import get_store, permission

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
        get_store(request), user.actor, record_id, position, wanted, download=download
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
