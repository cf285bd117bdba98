"""送达: choose the mode, then record the evidence that mode needs (``MODE_EVIDENCE``):
送达回证, 邮寄凭证, 留置的拒收事由和见证人, 委托/转交原因, 公告. The compliance engine
judges whether the evidence is enough; the form only asks for it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from liuhen.domain import vocab
from liuhen.errors import LiuhenError
from liuhen.services.admin.users import User
from liuhen.services.cases.serving import MODE_EVIDENCE, record_service
from liuhen.web.auth.permission import check_csrf, get_store, loaded_case, permission
from liuhen.web.forms import (
    CaseFacts,
    Field,
    FormErrors,
    Posted,
    Section,
    case_facts,
    known_names,
    local_input,
    posted_form,
    posted_values,
    step_page,
)

router = APIRouter(include_in_schema=False)
Officer = Annotated[User, Depends(permission("record.create"))]
Posted_ = Annotated[FormData, Depends(posted_form)]

EVIDENCE: dict[str, tuple[str, list[Field]]] = {
    "receipt": (
        "送达回证",
        [
            Field("receipt.server_signed", "送达人已在送达回证上签名", "checkbox"),
            Field("receipt.recipient_signed", "受送达人（签收人）已签名或盖章", "checkbox"),
            Field("receipt.signer", "签收人", "text", hint="受送达人本人签收的可不填"),
            Field("receipt.signer_relation", "签收人与受送达人的关系", "text"),
            Field("receipt.date", "签收日期", "date"),
        ],
    ),
    "mail": (
        "邮寄凭证",
        [
            Field("mail.carrier", "寄递方式", "select", options=tuple(vocab.MAIL_CARRIERS.items())),
            Field("mail.tracking_number", "邮件单号", "text"),
            Field("mail.registration_kept", "已留存邮寄登记", "checkbox"),
            Field("mail.postage_proof_kept", "已留存付邮凭证", "checkbox"),
            Field("mail.return_receipt_kept", "已留存回执", "checkbox"),
        ],
    ),
    "lien": (
        "留置送达",
        [
            Field("lien.refusal_reason", "受送达人拒收事由", "text"),
            Field("lien.refusal_date", "拒收日期", "date"),
            Field(
                "lien.witness",
                "见证人（姓名及身份）",
                "text",
                hint="邀请有关基层组织或所在单位的代表到场见证",
            ),
            Field("lien.witness_signed", "见证人已在送达回证上签名或盖章", "checkbox"),
            Field("lien.left_at_residence", "文书已留在受送达人的住所", "checkbox"),
        ],
    ),
    "handover_reason": (
        "委托或转交",
        [Field("handover_reason", "委托或转交的原因", "multiline")],
    ),
    "public_notice": (
        "公告送达",
        [
            Field("public_notice.other_modes_failed", "其他方式无法送达的情况", "multiline"),
            Field("public_notice.medium", "公告方式和载体", "text"),
            Field("public_notice.published_at", "公告时间", "datetime"),
            Field("public_notice.notice_kept", "已留存书面公告", "checkbox"),
            Field("public_notice.reasons_in_file", "已在案卷中记明原因和经过", "checkbox"),
        ],
    ),
}


def _sections(facts: CaseFacts, mode: str) -> list[Section]:
    documents = tuple((d["id"], d["label"]) for d in facts.documents)
    none_yet = "" if documents else "本案尚无文书：请先在案件页“制作文书”，再记录送达"
    base: Section = (
        "送达的文书",
        [
            Field("document_ids", "送达的文书", "checkboxes", True, documents, none_yet),
            Field("served_at", "送达时间", "datetime", True),
            Field("recipient", "受送达人", "text", mode != "public_notice"),
            Field("address", "送达地址", "text"),
        ],
    )
    return [base, *(EVIDENCE[part] for part in MODE_EVIDENCE.get(mode, ()) if part in EVIDENCE)]


def _evidence(form: Posted, mode: str) -> dict[str, Any]:
    """The evidence parts of ``mode`` in case-bundle form; empty inputs are left out."""
    out: dict[str, Any] = {}
    for part in MODE_EVIDENCE.get(mode, ()):
        _legend, fields = EVIDENCE[part]
        if part == "handover_reason":
            if form.text("handover_reason"):
                out[part] = form.text("handover_reason")
            continue
        values: dict[str, Any] = {}
        for f in fields:
            key = f.name.split(".", 1)[1]
            if f.type == "checkbox":
                values[key] = form.flag(f.name)
            elif f.type == "date":
                values[key] = form.day(f.name, f.label) or None
            elif f.type == "datetime":
                moment = form.moment(f.name, f.label, required=False)
                values[key] = moment.isoformat() if moment else None
            else:
                values[key] = form.text(f.name)
        out[part] = {k: v for k, v in values.items() if v not in ("", None)}
    return out


def _page(
    request: Request,
    facts: CaseFacts,
    mode: str,
    values: dict[str, Any],
    errors: Any = None,
    document: str = "",
) -> Response:
    return step_page(
        request,
        facts=facts,
        heading="记录送达",
        action=f"/cases/{facts.id}/services/new",
        sections=_sections(facts, mode),
        values=values,
        errors=errors,
        chooser={
            "name": "mode",
            "label": "送达方式",
            "action": f"/cases/{facts.id}/services/new",
            "options": list(vocab.SERVICE_MODES.items()),
            "value": mode,
            "hint": "不同送达方式需要不同的送达凭证",
            "keep": {"document": document} if document else {},
        },
        submit="保存送达记录",
    )


@router.get("/cases/{case_ref}/services/new")
def service_form(
    request: Request, case_ref: str, user: Officer, mode: str = "", document: str = ""
) -> Response:
    store = get_store(request)
    facts = case_facts(store, loaded_case(request))
    mode = mode if mode in vocab.SERVICE_MODES else "direct"
    values = {
        "served_at": local_input(store.clock(), store.settings.tz),
        "recipient": facts.party.get("name", ""),
        "address": facts.party.get("address", ""),
        "document_ids": [document] if document else [],
    }
    return _page(request, facts, mode, values, document=document)


@router.post("/cases/{case_ref}/services/new")
def save_service(request: Request, case_ref: str, user: Officer, posted: Posted_) -> Response:
    store = get_store(request)
    check_csrf(request, str(posted.get("csrf", "")))
    facts = case_facts(store, loaded_case(request))
    form = Posted(posted, store.settings.tz)
    mode = form.text("mode")
    sections = _sections(facts, mode)
    served_at = form.moment("served_at", "送达时间")
    documents = form.texts("document_ids")
    evidence = _evidence(form, mode)
    try:
        form.check("送达信息有误", sections)
        assert served_at is not None
        service_id = record_service(
            store,
            user.actor,
            case_id=facts.id,
            mode=mode,
            document_ids=documents,
            served_at=served_at,
            recipient=form.text("recipient"),
            address=form.text("address"),
            evidence=evidence,
            case=loaded_case(request),
        )
    except LiuhenError as exc:
        errors = FormErrors.of(exc, known_names(sections))
        return _page(request, facts, mode, posted_values(form, sections), errors)
    return RedirectResponse(f"/cases/{facts.id}?saved=service#service-{service_id}", 303)
