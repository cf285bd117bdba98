"""Exporting a case from its page (custodian and head: ``case.export``): the archive package
or the case-file PDF is made by the background worker, the case page shows its progress
and then the download (``services/archiving/export_jobs``)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, RedirectResponse, Response, StreamingResponse
from starlette.datastructures import FormData

from liuhen.services.admin.users import User
from liuhen.services.archiving.export_jobs import (
    ExportJob,
    case_exports,
    export_download,
    job_key,
    request_export,
)
from liuhen.web.auth.permission import check_csrf, get_store, loaded_case, permission
from liuhen.web.forms import posted_form

router = APIRouter()
Exporter = Annotated[User, Depends(permission("case.export"))]
Posted_ = Annotated[FormData, Depends(posted_form)]


export_key = job_key
"""The cluster job (``t.jobs``) that makes one export job's file."""


def start_export(request: Request, user: User, case_id: str, kind: str) -> ExportJob:
    """Ask for the export; the request that queued its job wakes this node's runner (any
    node's runner may take it)."""
    store = get_store(request)
    job, made = request_export(store, user.actor, case_id, kind, case=loaded_case(request))
    if made:
        request.app.state.jobs.wake()
    return job


@router.post("/cases/{case_ref}/exports", include_in_schema=False)
def ask_export(request: Request, case_ref: str, user: Exporter, posted: Posted_) -> Response:
    check_csrf(request, str(posted.get("csrf", "")))
    case_id = loaded_case(request)["id"]
    start_export(request, user, case_id, str(posted.get("kind", "")))
    return RedirectResponse(f"/cases/{case_id}?archived=exporting#exports", 303)


@router.post(
    "/api/cases/{case_ref}/exports",
    tags=["archive"],
    summary="开始导出电子归档包（kind=package）或案卷 PDF（kind=case_file），同时只做一次",
    status_code=202,
)
def api_ask_export(
    request: Request, case_ref: str, user: Exporter, kind: str = "package"
) -> dict[str, Any]:
    return start_export(request, user, loaded_case(request)["id"], kind).to_dict()


@router.get("/api/cases/{case_ref}/exports", tags=["archive"], summary="案件的导出任务与进度")
def api_exports(request: Request, case_ref: str, user: Exporter) -> dict[str, Any]:
    case_id = loaded_case(request)["id"]
    jobs = case_exports(get_store(request), case_id)
    return {"case_id": case_id, "jobs": [j.to_dict() for j in jobs]}


@router.get(
    "/cases/{case_ref}/exports/{job_id}/download", tags=["archive"], summary="下载导出的文件"
)
def download_export(request: Request, case_ref: str, job_id: str, user: Exporter) -> Response:
    case = loaded_case(request)
    sent = export_download(get_store(request), user.actor, case["id"], job_id, case=case)
    if sent.path is not None:
        return FileResponse(sent.path, media_type=sent.media, filename=sent.name)
    assert sent.chunks is not None
    headers = {
        "Content-Length": str(sent.size),
        "Content-Disposition": f"attachment; filename*=utf-8''{quote(sent.name)}",
    }
    return StreamingResponse(sent.chunks, media_type=sent.media, headers=headers)
