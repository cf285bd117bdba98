"""Filling an 执法文书 for a case or one of its acts, and correcting one (补正) as a new
version. The form itself (fields from the catalogue, signatures) is ``document_form``.

A kind the catalogue knows is saved with ``save_document`` (checked, rendered to PDF and
.docx, stored); any other kind with ``add_record``, its fields as typed."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from liuhen.domain import vocab
from liuhen.domain.document_stages import kinds_by_stage
from liuhen.errors import LiuhenError, NotFound
from liuhen.services.admin.users import User
from liuhen.services.cases import numbering
from liuhen.services.cases.documents import correct_document, save_document
from liuhen.services.cases.drafts import consume_draft
from liuhen.services.cases.gates import Override
from liuhen.services.cases.records import add_record, correct_record, record_history
from liuhen.web.auth.permission import check_csrf, get_store, loaded_case, permission
from liuhen.web.cases.document_form import (
    DocumentForm,
    blank_values,
    document_form,
    input_key,
    read_document,
    stored_values,
)
from liuhen.web.forms import CaseFacts, FormErrors, Posted, case_facts, posted_form

router = APIRouter(include_in_schema=False)
Officer = Annotated[User, Depends(permission("record.create"))]
Posted_ = Annotated[FormData, Depends(posted_form)]
NOT_TYPED = (
    "number: 文书编号由系统按本机关字号自动分配，请留空（如需手工编号，"
    "请机关负责人在“编号字号”页允许）"
)


def _page(
    request: Request,
    facts: CaseFacts,
    form: DocumentForm,
    values: dict[str, Any],
    *,
    errors: FormErrors | None = None,
    correcting: dict[str, Any] | None = None,
    notice: dict[str, Any] | None = None,
) -> Response:
    """The document form; with ``notice`` (the open findings), the head's override of the
    ``decide`` gate (``web/cases/override.py``)."""
    from liuhen.web.pages import render

    action = (
        f"/cases/{facts.id}/records/{correcting['id']}/correct"
        if correcting
        else f"/cases/{facts.id}/override"
        if notice is not None
        else f"/cases/{facts.id}/documents/new"
    )
    heading = f"补正：{form.title}" if correcting else f"制作文书：{form.title}"
    return render(
        request,
        "document_form.html",
        {
            "facts": facts,
            "form": form,
            "values": values,
            "errors": errors,
            "correcting": correcting,
            "override": notice is not None,
            "notice": notice,
            "action": action,
            "heading": f"越过提示作出决定：{form.title}" if notice is not None else heading,
            "next_number": "" if correcting else _next_number(request, facts, form),
            "act_options": [(a["id"], a["label"]) for a in facts.acts],
            "officer_options": [
                (o["id"], f"{o['name']}（执法证号 {o.get('certificate_number') or '无'}）")
                for o in facts.officers
            ],
        },
        status_code=errors.status if errors else 200,
    )


def _next_number(request: Request, facts: CaseFacts, form: DocumentForm) -> str:
    """The 文号 a numbered document saved now without one would get (not reserved)."""
    if not form.numbered or form.code not in numbering.kinds():
        return ""
    store = get_store(request)
    return numbering.preview(store, facts.agency_id, form.code, store.clock())[0]


def _known(form: DocumentForm) -> list[str]:
    base = ["title", "number", "made_at", "act_id", "officer_ids", "certificates_shown"]
    base += ["override_reason"]
    base += ["sealed", "sign_on_screen", "signatures", "reason", "free_fields"]
    return base + [f.name for f in form.fields]


@router.get("/cases/{case_ref}/documents/new")
def new_document(
    request: Request, case_ref: str, user: Officer, kind: str = "", act: str = ""
) -> Response:
    from liuhen.web.pages import render

    store = get_store(request)
    facts = case_facts(store, loaded_case(request))
    if kind not in vocab.DOCUMENT_KINDS:
        return render(
            request,
            "document_form.html",
            {
                "facts": facts,
                "form": None,
                "act_id": act,
                "heading": "制作文书",
                "kind_groups": kinds_by_stage(),
            },
        )
    form = document_form(kind, facts)
    values = blank_values(form, facts, facts.act(act), store.clock(), store.settings.tz)
    return _page(request, facts, form, values)


@router.post("/cases/{case_ref}/documents/new")
def create_document(request: Request, case_ref: str, user: Officer, posted: Posted_) -> Response:
    return save_new(request, user, posted)


def save_new(
    request: Request,
    user: User,
    posted: FormData,
    override: Override | None = None,
    notice: dict[str, Any] | None = None,
) -> Response:
    """Read a new document and save it (``override``: the head's, past the ``decide``
    gate; a refusal re-renders the form, with ``notice`` when overriding)."""
    store = get_store(request)
    check_csrf(request, str(posted.get("csrf", "")))
    case = loaded_case(request)
    facts = case_facts(store, case)
    kind = str(posted.get("kind", ""))
    if kind not in vocab.DOCUMENT_KINDS:
        raise NotFound(f"kind: 没有文书种类 {kind}")
    form = document_form(kind, facts)
    reader = Posted(posted, store.settings.tz)
    doc = read_document(reader, form, facts)
    if reader.text("number") and not numbering.typing_allowed(store, facts.agency_id, kind):
        reader.problems.append(NOT_TYPED)
    if override is not None:
        doc.values["override_reason"] = override.reason
    try:
        reader.check("文书内容有误")
        if doc.filled is not None:
            record_id = save_document(
                store,
                user.actor,
                case_id=facts.id,
                act_id=doc.act_id,
                filled=doc.filled,
                made_at=doc.made_at,
                case=case,
                override=override,
                signing_on_screen=reader.flag("sign_on_screen"),
            ).record_id
        else:
            record_id = add_record(
                store,
                user.actor,
                case_id=facts.id,
                act_id=doc.act_id,
                kind="text",
                doc_kind=kind,
                title=doc.details["title"],
                details=doc.details,
                case=case,
                override=override,
            )
    except LiuhenError as exc:
        errors = _errors(exc, form)
        return _page(request, facts, form, doc.values, errors=errors, notice=notice)
    consume_draft(store, user.actor, facts.id, str(posted.get("draft_key", "")))
    if doc.filled is not None and reader.flag("sign_on_screen"):
        return RedirectResponse(f"/cases/{facts.id}/records/{record_id}/sign", 303)
    return RedirectResponse(f"/cases/{facts.id}?saved=document#record-{record_id}", 303)


def _errors(exc: LiuhenError, form: DocumentForm) -> FormErrors:
    errors = FormErrors.of(exc, _known(form), rename=lambda key: input_key(form.kind, key))
    if "correction_reason" in errors.fields:
        errors.fields["reason"] = errors.fields.pop("correction_reason")
    return errors


def _current(store: Any, facts: CaseFacts, record_id: str) -> dict[str, Any]:
    """The latest version of a record of this case (a correction starts from it)."""
    history = [r for r in record_history(store, record_id) if r["case_id"] == facts.id]
    if not history or history[-1]["kind"] != "text":
        raise NotFound(f"record: 本案没有文书 {record_id}")
    if history[-1]["id"] != record_id:
        raise NotFound("record: 该文书已有更新的版本，请在最新版本上补正")
    return history[-1]


@router.get("/cases/{case_ref}/records/{record_id}/correct")
def correction_form(request: Request, case_ref: str, record_id: str, user: Officer) -> Response:
    store = get_store(request)
    facts = case_facts(store, loaded_case(request))
    current = _current(store, facts, record_id)
    form = document_form(current["doc_kind"], facts)
    values = stored_values(form, current["details"], store.settings.tz)
    return _page(request, facts, form, values, correcting=current)


@router.post("/cases/{case_ref}/records/{record_id}/correct")
def save_correction(
    request: Request, case_ref: str, record_id: str, user: Officer, posted: Posted_
) -> Response:
    store = get_store(request)
    check_csrf(request, str(posted.get("csrf", "")))
    facts = case_facts(store, loaded_case(request))
    current = _current(store, facts, record_id)
    form = document_form(current["doc_kind"], facts)
    reader = Posted(posted, store.settings.tz)
    doc = read_document(reader, form, facts)
    reason = reader.required("reason", "补正理由")
    doc.values["reason"] = reason
    try:
        reader.check("补正内容有误")
        if doc.filled is not None:
            new_id = correct_document(
                store,
                user.actor,
                record_id=record_id,
                filled=doc.filled,
                reason=reason,
                made_at=doc.made_at,
                signing_on_screen=reader.flag("sign_on_screen"),
            ).record_id
        else:
            new_id = correct_record(
                store,
                user.actor,
                record_id=record_id,
                details=doc.details,
                reason=reason,
                title=doc.details["title"],
            )
    except LiuhenError as exc:
        errors = _errors(exc, form)
        return _page(request, facts, form, doc.values, errors=errors, correcting=current)
    if doc.filled is not None and reader.flag("sign_on_screen"):
        return RedirectResponse(f"/cases/{facts.id}/records/{new_id}/sign", 303)
    return RedirectResponse(f"/cases/{facts.id}?saved=correction#record-{new_id}", 303)
