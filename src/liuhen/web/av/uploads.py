"""Resumable uploads over tus 1.0 (``/api/uploads``) and the page officers upload from.

Core protocol plus the creation, expiration, checksum (sha256, sha1; per PATCH) and
termination extensions. A browser authenticates with its session cookie and the CSRF
token in ``X-CSRF-Token``; a docking station with ``Authorization: Bearer <token>``.
Each PATCH body is streamed to the staging file in 1 MiB writes (``services.av.uploads``);
the request that brings the last byte also ingests the file and answers with its outcome
in ``LiuHen-Result`` (``new``, ``duplicate``, ``rejected``); ``GET /api/uploads/{id}``
gives the whole outcome as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from email.utils import format_datetime
from functools import partial
from typing import Annotated, Any
from urllib.parse import quote

from anyio import to_thread
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from starlette.requests import ClientDisconnect

from liuhen.errors import InvalidInput
from liuhen.ledger.events import Actor
from liuhen.services.admin.users import User
from liuhen.services.av.queries.pages import upload_form
from liuhen.services.av.shared_patch import SharedPatch
from liuhen.services.av.shared_uploads import uploads_for
from liuhen.services.av.stations import Station, authenticate_station
from liuhen.services.av.upload_staging import (
    CHECKSUMS,
    CHUNK,
    Patch,
    encode_metadata,
    parse_metadata,
)
from liuhen.services.av.uploads import TUS_EXTENSIONS, TUS_VERSION, Uploads
from liuhen.services.permissions import require
from liuhen.web.auth.permission import check_csrf, current_user, get_store, permission
from liuhen.web.validation import header_number

router = APIRouter()
OCTETS = "application/offset+octet-stream"


@dataclass(frozen=True)
class Uploader:
    actor: Actor
    station: Station | None


def uploader(request: Request) -> Uploader:
    """A docking station by its bearer token, or a signed-in user (CSRF header on writes).

    This is how the upload and docking-station routes declare their action (``av.upload``,
    ``liuhen_action`` below): a station token is the station's sign-in. The case an upload
    names in its metadata is checked by ``services.av.uploads`` (``require_case``)."""
    auth = request.headers.get("authorization", "")
    if auth[:7].lower() == "bearer ":
        station = authenticate_station(get_store(request), auth[7:].strip())
        require(station.actor, "av.upload")
        return Uploader(station.actor, station)
    user = current_user(request)
    require(user.actor, "av.upload")
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        check_csrf(request, request.headers.get("x-csrf-token", ""))
    return Uploader(user.actor, None)


uploader.liuhen_action = "av.upload"  # type: ignore[attr-defined]


Who = Annotated[Uploader, Depends(uploader)]


def tus_headers(**extra: str) -> dict[str, str]:
    return {"Tus-Resumable": TUS_VERSION, **extra}


def _precondition(request: Request) -> Response | None:
    if request.headers.get("tus-resumable") != TUS_VERSION:
        return Response(status_code=412, headers={"Tus-Version": TUS_VERSION})
    return None


def _int_header(request: Request, name: str) -> int:
    """A tus length or offset: ASCII digits only, within a 64-bit count of bytes."""
    return header_number(request.headers.get(name), name)


def _expires(uploads: Uploads, info: Any) -> str:
    moment = info.expires_at(uploads.settings.upload_expiry_hours)
    return format_datetime(moment.astimezone(UTC), usegmt=True)


@router.options("/api/uploads", tags=["uploads"], summary="tus：服务器支持的版本与扩展")
@router.options("/api/uploads/{upload_id}", include_in_schema=False)
def tus_options(request: Request, who: Who) -> Response:
    limit = request.app.state.settings.upload_max_gb * 1024**3
    return Response(
        status_code=204,
        headers=tus_headers(
            **{
                "Tus-Version": TUS_VERSION,
                "Tus-Extension": ",".join(TUS_EXTENSIONS),
                "Tus-Max-Size": str(limit),
                "Tus-Checksum-Algorithm": ",".join(CHECKSUMS),
            }
        ),
    )


@router.post(
    "/api/uploads",
    tags=["uploads"],
    summary="tus：创建上传（Upload-Length、Upload-Metadata）",
    status_code=201,
)
def create_upload(request: Request, who: Who) -> Response:
    if (bad := _precondition(request)) is not None:
        return bad
    if "upload-defer-length" in request.headers:
        raise InvalidInput("Upload-Defer-Length: 不支持延后告知长度，请给出 Upload-Length")
    length = _int_header(request, "Upload-Length")
    metadata = parse_metadata(request.headers.get("upload-metadata"))
    uploads = uploads_for(get_store(request))
    info = uploads.create(
        who.actor,
        length=length,
        metadata=metadata,
        station_id=who.station.id if who.station else None,
        default_device=who.station.device_serial if who.station else None,
    )
    headers = tus_headers(
        Location=f"/api/uploads/{info.id}",
        **{"Upload-Expires": _expires(uploads, info), "Upload-Offset": "0"},
    )
    if info.warnings:
        headers["LiuHen-Warnings"] = quote("；".join(info.warnings))
    return Response(status_code=201, headers=headers)


@router.head("/api/uploads/{upload_id}", tags=["uploads"], summary="tus：查询已收到的字节数")
def head_upload(request: Request, upload_id: str, who: Who) -> Response:
    if (bad := _precondition(request)) is not None:
        return bad
    uploads = uploads_for(get_store(request))
    info, offset = uploads.get(who.actor, upload_id)
    headers = tus_headers(
        **{
            "Upload-Offset": str(offset),
            "Upload-Length": str(info.length),
            "Upload-Metadata": encode_metadata({"filename": info.file_name}),
            "Cache-Control": "no-store",
        }
    )
    if info.state != "done":
        headers["Upload-Expires"] = _expires(uploads, info)
    return Response(status_code=200, headers=headers)


@router.patch(
    "/api/uploads/{upload_id}",
    tags=["uploads"],
    summary="tus：从 Upload-Offset 处续传数据（可带 Upload-Checksum）",
    status_code=204,
)
async def patch_upload(request: Request, upload_id: str, who: Who) -> Response:
    if (bad := _precondition(request)) is not None:
        return bad
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != OCTETS:
        return JSONResponse(
            {"error": "unsupported_media", "message": f"Content-Type: 应为 {OCTETS}"},
            status_code=415,
        )
    offset = _int_header(request, "Upload-Offset")
    uploads = uploads_for(get_store(request))
    patch = await to_thread.run_sync(
        uploads.open_patch, who.actor, upload_id, offset, request.headers.get("upload-checksum")
    )
    cut_off = await receive(request, patch)
    offset = await to_thread.run_sync(partial(patch.close, cut_off=cut_off))
    headers = tus_headers(**{"Upload-Offset": str(offset)})
    if cut_off:
        return Response(status_code=400, headers=headers)  # nobody is listening any more
    if patch.complete:
        result = await to_thread.run_sync(uploads.finish, who.actor, upload_id)
        headers.update(result_headers(result))
    else:
        info = patch.info
        headers["Upload-Expires"] = _expires(uploads, info)
    return Response(status_code=204, headers=headers)


async def receive(request: Request, patch: Patch | SharedPatch) -> bool:
    """Stream the body into ``patch`` in 1 MiB writes; True if the client went away."""
    buffer = bytearray()
    cut_off = False
    try:
        try:
            async for chunk in request.stream():
                buffer += chunk
                if len(buffer) >= CHUNK:
                    data = bytes(buffer)
                    buffer.clear()
                    await to_thread.run_sync(patch.write, data)
        except ClientDisconnect:
            cut_off = True
        if buffer:
            await to_thread.run_sync(patch.write, bytes(buffer))
    except BaseException:
        await to_thread.run_sync(patch.truncate_to_written)
        await to_thread.run_sync(partial(patch.close, failed=True))
        raise
    return cut_off


def result_headers(result: dict[str, Any]) -> dict[str, str]:
    headers = {"LiuHen-Result": result["status"], "LiuHen-SHA256": result["sha256"]}
    if result.get("record_id"):
        headers["LiuHen-Record"] = result["record_id"]
    if result.get("reason"):
        headers["LiuHen-Reason"] = quote(result["reason"])
    return headers


@router.delete(
    "/api/uploads/{upload_id}",
    tags=["uploads"],
    summary="tus：终止未完成的上传（删除暂存数据）",
    status_code=204,
)
def delete_upload(request: Request, upload_id: str, who: Who) -> Response:
    if (bad := _precondition(request)) is not None:
        return bad
    uploads_for(get_store(request)).terminate(who.actor, upload_id)
    return Response(status_code=204, headers=tus_headers())


@router.get("/api/uploads/{upload_id}", tags=["uploads"], summary="上传的状态与入库结果")
def upload_status(request: Request, upload_id: str, who: Who) -> dict[str, Any]:
    info, offset = uploads_for(get_store(request)).get(who.actor, upload_id)
    return {
        "id": info.id,
        "file_name": info.file_name,
        "length": info.length,
        "offset": offset,
        "state": info.state,
        "warnings": info.warnings,
        "result": info.result,
    }


# -- the page --------------------------------------------------------------------------
@router.get("/uploads", include_in_schema=False)
def upload_page(
    request: Request,
    user: Annotated[User, Depends(permission("av.upload"))],
    case: str | None = None,
) -> Response:
    from liuhen.web.pages import render

    store = get_store(request)
    form = upload_form(store, user.actor, case, user.officer_id)
    return render(
        request,
        "upload.html",
        {
            "active": "uploads",
            "case": form.case,
            "acts": form.acts,
            "devices": form.devices,
            "officer": form.officer_certificate,
            "act_kinds": _act_kinds(),
            "max_gb": store.settings.upload_max_gb,
        },
    )


def _act_kinds() -> dict[str, str]:
    from liuhen.domain import vocab

    return dict(vocab.ACT_KINDS)
