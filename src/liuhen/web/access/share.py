"""The hand-over link a party opens: ``/share/{token}`` and its downloads.

These are THE ONLY routes of LiuHen that work without login. They serve nothing but the
watermarked copies of one granted request, until the link expires or its downloads are
used up (``services/access/share_links.py``); every opening, download and refused attempt is a
ledger event. After that the page says so in Chinese, with status 410.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from liuhen.errors import Gone, NotFound
from liuhen.services.access.share_links import open_shared, read_shared
from liuhen.web.auth.permission import get_store

router = APIRouter(include_in_schema=False)


def _client(request: Request) -> str:
    return request.client.host if request.client else ""


def _gone(request: Request, message: str, status: int) -> Response:
    from liuhen.web.pages import render

    return render(request, "share_gone.html", {"message": message}, status_code=status)


@router.get("/share/{token}")
def share_page(request: Request, token: str) -> Response:
    """No login: the copies of one granted request, while the link lasts."""
    from liuhen.web.pages import render

    try:
        shared = open_shared(get_store(request), token, client=_client(request))
    except (Gone, NotFound) as exc:
        return _gone(request, exc.message, exc.http_status)
    return render(request, "share.html", {"shared": shared, "token": token})


@router.get("/share/{token}/files/{index}")
def share_file(request: Request, token: str, index: int) -> Response:
    """No login: one download of one copy (counts one use)."""
    try:
        read = read_shared(get_store(request), token, index, client=_client(request))
    except (Gone, NotFound) as exc:
        return _gone(request, exc.message, exc.http_status)
    return StreamingResponse(
        read.chunks,
        media_type=read.media_type,
        headers={
            "Content-Length": str(read.size),
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(read.file_name)}",
        },
    )
