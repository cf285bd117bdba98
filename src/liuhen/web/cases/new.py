"""立案: a new case with its party, and with it the request for the initiation approval
(立案/程序启动审批, 002§9), on the emergency path when the act could not wait."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from liuhen.domain import vocab
from liuhen.domain.numbering import CASE_KIND
from liuhen.errors import LiuhenError, NotFound
from liuhen.services.admin.users import User
from liuhen.services.approvals.workflow import request_approval
from liuhen.services.cases import numbering
from liuhen.services.cases.cases import PROCEDURES, find_case, open_case
from liuhen.web.auth.permission import check_csrf, get_store, permission
from liuhen.web.forms import (
    Field,
    FormErrors,
    Posted,
    Section,
    known_names,
    local_input,
    posted_form,
    posted_values,
    step_page,
)

router = APIRouter(include_in_schema=False)

SECTIONS: list[Section] = [
    (
        "案件",
        [
            Field("title", "案件名称", "text", True, hint="当事人＋违法行为＋案"),
            Field("procedure", "程序", "select", True, tuple(PROCEDURES.items())),
            Field("opened_at", "立案（启动）时间", "datetime", True),
        ],
    ),
    (
        "当事人",
        [
            Field("party.kind", "当事人类型", "select", True, tuple(vocab.PARTY_KINDS.items())),
            Field("party.name", "姓名或名称", "text", True),
            Field("party.id_number", "身份证号码或统一社会信用代码", "text"),
            Field("party.legal_representative", "法定代表人或负责人", "text"),
            Field("party.address", "住址或住所", "text"),
            Field("party.phone", "联系电话", "text"),
        ],
    ),
    (
        "立案（程序启动）审批",
        [
            Field("request_approval", "同时提请立案（程序启动）审批", "checkbox"),
            Field("reason", "启动原因（简要案情）", "multiline", hint="违法线索、涉嫌违反的规定"),
            Field("opinion", "承办人意见", "multiline", hint="提请审批时必填（002§37）"),
            Field("emergency", "情况紧急，先行启动，事后补报审批（002§9：24小时内）", "checkbox"),
        ],
    ),
]
PARTY_KEYS = ("kind", "name", "id_number", "legal_representative", "address", "phone")
NUMBER = Field("number", "案件编号", "text", hint="留空则按本机关字号自动分配")
NOT_TYPED = "number: 案件编号由系统按本机关字号自动分配，不能自行填写（如需手工编号，请机关负责人在“编号字号”页允许）"


def _sections(manual: bool) -> list[Section]:
    """The form's sections; the number is an input only where the head allows typing it."""
    if not manual:
        return SECTIONS
    (title, fields), *rest = SECTIONS
    return [(title, [NUMBER, *fields]), *rest]


def _preview(request: Request, user: User) -> tuple[str, bool]:
    """The number the case would get now (not reserved) and whether one may be typed."""
    if not user.agency_id:
        return "", False
    store = get_store(request)
    number, style = numbering.preview(store, user.agency_id, CASE_KIND, store.clock())
    return number, style.manual


def _page(
    request: Request,
    user: User,
    values: dict[str, Any],
    errors: FormErrors | None = None,
) -> Response:
    number, manual = _preview(request, user)
    intro = "立案后案件进入“启动”阶段；立案审批经批准后进入调查取证。"
    if number:
        intro += f"案件编号保存后将分配：{number}（按保存先后顺序分配，以保存结果为准）。"
    return step_page(
        request,
        heading="立案",
        action="/cases/new",
        sections=_sections(manual),
        values=values,
        errors=errors,
        submit="立案",
        intro=intro,
    )


def _exists(store: Any, number: str) -> bool:
    try:
        find_case(store, number)
    except NotFound:
        return False
    return True


@router.get("/cases/new")
def new_case_form(
    request: Request, user: Annotated[User, Depends(permission("case.create"))]
) -> Response:
    store = get_store(request)
    values = {
        "procedure": "general",
        "party.kind": "organisation",
        "opened_at": local_input(store.clock(), store.settings.tz),
        "request_approval": True,
    }
    return _page(request, user, values)


@router.post("/cases/new")
def create_case(
    request: Request,
    user: Annotated[User, Depends(permission("case.create"))],
    posted: Annotated[FormData, Depends(posted_form)],
) -> Response:
    store = get_store(request)
    check_csrf(request, str(posted.get("csrf", "")))
    form = Posted(posted, store.settings.tz)
    opened_at = form.moment("opened_at", "立案（启动）时间")
    party = {key: form.text(f"party.{key}") for key in PARTY_KEYS if form.text(f"party.{key}")}
    form.required("party.name", "当事人姓名或名称")
    if party.get("kind") not in vocab.PARTY_KINDS:
        form.problems.append("party.kind: 请选择当事人类型")
    asking = form.flag("request_approval")
    if asking:  # checked before the case is opened, so a refusal saves nothing at all
        form.required("opinion", "承办人意见")
    manual = bool(form.text("number")) and _preview(request, user)[1]  # read only if typed
    if form.text("number") and not manual:
        form.problems.append(NOT_TYPED)
    elif form.text("number") and _exists(store, form.text("number")):
        form.problems.append(f"number: 案件编号 {form.text('number')} 已被使用，请核对")
    if not user.agency_id:
        form.problems.append("number: 您的账号未关联执法机关，不能立案，请联系系统管理员")
    try:
        form.check("立案信息有误", _sections(manual))
        assert opened_at is not None and user.agency_id is not None
        case_id = open_case(
            store,
            user.actor,
            agency_id=user.agency_id,
            number=form.text("number"),
            title=form.text("title"),
            procedure=form.text("procedure"),
            party=party,
            opened_at=opened_at,
            section=user.section,
        )
    except LiuhenError as exc:
        return _page(
            request,
            user,
            posted_values(form, _sections(manual)),
            FormErrors.of(exc, known_names(_sections(manual))),
        )
    if asking:
        summary = "，".join(v for k, v in party.items() if k != "kind")
        request_approval(
            store,
            user.actor,
            case_id=case_id,
            kind="initiation",
            opinion=form.text("opinion"),
            fields={"reason": form.text("reason") or form.text("title"), "party": summary},
            emergency=form.flag("emergency"),
            officer_id=user.officer_id,
        )
    return RedirectResponse(
        f"/cases/{case_id}?saved={'initiation' if asking else 'case'}", status_code=303
    )
