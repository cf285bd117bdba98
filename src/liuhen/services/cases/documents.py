"""Enforcement documents (执法文书) made in LiuHen: validated against the catalogue, stored as a
text record the compliance engine reads, and rendered to PDF (for the file) and .docx (for
editing in WPS/Word). A correction is a new version with its own renderings."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from io import BytesIO
from typing import Any

from liuhen.documents.catalogue import get_kind
from liuhen.documents.model import FilledDocument, validate_against
from liuhen.documents.render_docx import render_docx
from liuhen.documents.render_pdf import render_pdf
from liuhen.errors import InvalidInput, LiuhenError, NotFound
from liuhen.ledger.events import Actor
from liuhen.rules.gates import PROSPECTIVE
from liuhen.services.archiving.seals import Sealer
from liuhen.services.cases import numbering
from liuhen.services.cases.files import store_file
from liuhen.services.cases.gates import (
    Override,
    action_for,
    check_reason,
    decides,
    precheck,
    with_record,
)
from liuhen.services.cases.queries.documents import (
    agency_of_case,
    case_of_record,
    officers_by_certificate,
)
from liuhen.services.cases.records import AttachedFile, add_record, correct_record
from liuhen.services.permissions import require_case
from liuhen.store.store import Store
from liuhen.store.unit import Tx, new_id

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class SavedDocument:
    record_id: str
    pdf_sha256: str
    docx_sha256: str


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _officer_ids(store: Store, filled: FilledDocument, agency_id: str) -> dict[str, str]:
    """执法证号 -> officer id for the officers named on the document; an officer who is not
    on this agency's roster is refused."""
    numbers = [o.certificate_number for o in filled.officers]
    found = officers_by_certificate(store, numbers, agency_id)
    unknown = [
        f"{o.name}（{o.certificate_number or '无证号'}）"
        for o in filled.officers
        if o.certificate_number not in found
    ]
    if unknown:
        raise InvalidInput(
            "文书信息有误", details=[f"officers: 执法人员不在本机关名册中：{'、'.join(unknown)}"]
        )
    return found


def record_details(
    store: Store, filled: FilledDocument, made_at: datetime, agency_id: str
) -> dict[str, Any]:
    """The text record, in case-bundle form, that a filled document becomes."""
    officers = _officer_ids(store, filled, agency_id)
    by_name = {o.name: officers[o.certificate_number] for o in filled.officers}
    signatures, refusals = [], []
    for sig in filled.signatures:
        if sig.refused:
            refusals.append(
                {
                    "role": sig.role,
                    "name": sig.name,
                    "reason": sig.refusal_reason,
                    "witness": sig.witness,
                }
            )
            continue
        entry: dict[str, Any] = {"role": sig.role, "name": sig.name, "method": sig.method}
        if sig.role == "officer" and sig.name in by_name:
            entry["officer_id"] = by_name[sig.name]
        if sig.signed_at is not None:
            entry["signed_at"] = sig.signed_at.isoformat()
        signatures.append(entry)
    return {
        "made_at": made_at.isoformat(),
        **({"number": filled.number} if filled.number else {}),
        "title": get_kind(filled.kind).title,
        "officer_ids": list(officers.values()),
        **(
            {"certificates_shown": filled.certificates_shown}
            if filled.certificates_shown is not None
            else {}
        ),
        "fields": _jsonable(dict(filled.values)),
        "signatures": signatures,
        "refusals": refusals,
        "sealed": filled.sealed,
    }


def _agency_of(store: Store, case_id: str) -> tuple[str, str]:
    found = agency_of_case(store, case_id)
    if found is None:
        raise NotFound(f"case: 案件 {case_id} 不存在")
    return found


def _check(filled: FilledDocument, signing_on_screen: bool = False) -> None:
    kind = get_kind(filled.kind)  # NotFound for an unknown kind
    problems = validate_against(filled, kind, signing_on_screen=signing_on_screen)
    if problems:
        raise InvalidInput(f"{kind.title}填写有误", details=problems)


def rendered_files(
    store: Store, actor: Actor, filled: FilledDocument, agency: tuple[str, str]
) -> list[tuple[bytes, str, str]]:
    """The PDF and .docx of ``filled`` (bytes, file name, media type), not yet stored; a
    document issued under the agency's seal (``sealed``) has its PDF made PDF/A-2b and sealed
    with the agency's electronic seal, the certificate on the ledger the first time."""
    title = get_kind(filled.kind).title
    rendered = render_pdf(filled)
    if filled.sealed:
        sealer = Sealer(store, *agency)
        reason = f"{title}（{filled.number or '未编号'}）"
        rendered = sealer.seal_archival(rendered, reason, title=title, subject=filled.number)
        if sealer.issued:
            with store.transaction(actor) as tx:
                sealer.record_issue(tx)
    return [(rendered, f"{title}.pdf", PDF), (render_docx(filled), f"{title}.docx", DOCX)]


def _renderings(
    store: Store, actor: Actor, filled: FilledDocument, agency: tuple[str, str]
) -> list[AttachedFile]:
    """The PDF and .docx of ``filled``, stored (``rendered_files``)."""
    return [
        AttachedFile(store_file(store, actor, BytesIO(data)).sha256, name, media, role="rendered")
        for data, name, media in rendered_files(store, actor, filled, agency)
    ]


def save_document(
    store: Store,
    actor: Actor,
    *,
    case_id: str,
    act_id: str | None,
    filled: FilledDocument,
    made_at: datetime | None = None,
    case: Mapping[str, Any] | None = None,
    override: Override | None = None,
    signing_on_screen: bool = False,
) -> SavedDocument:
    """Validate, render and store one document; nothing is stored when any check fails.
    ``case``: the case as the permission check loaded it (not read again). A decision
    document meets the ``decide`` gate before it is rendered (``override``: the head's).
    ``signing_on_screen``: its empty signature boxes are signed next, on the screen."""
    _check(filled, signing_on_screen)
    if decides("text", filled.kind):
        case = require_case(store, actor, action_for("record.create", override), case_id, case)
    if case is not None and case.get("id") == case_id:
        agency_id, agency = str(case["agency_id"]), str(case["agency_name"])
    else:
        agency_id, agency = _agency_of(store, case_id)
    filled = replace(filled, agency=filled.agency or agency)
    details = record_details(store, filled, made_at or store.clock(), agency_id)
    if case is not None and decides("text", filled.kind):
        check_reason(override)
        record = {"id": PROSPECTIVE, "kind": filled.kind, **details}
        record |= {"act_id": act_id} if act_id else {}
        after = with_record(record)
        precheck(store, case, "decide", after, now=store.clock(), override=override)
    if not decides("text", filled.kind):  # checked before a number is issued for it
        case = require_case(store, actor, "record.create", case_id, case)
    typed = _typed(store, filled, agency_id, details)  # before a number is issued
    filled, details, issued = _issue(store, actor, filled, details, agency_id, case_id)
    try:
        files = _renderings(store, actor, filled, (agency_id, agency))
        record_id = add_record(
            store,
            actor,
            case_id=case_id,
            act_id=act_id,
            kind="text",
            doc_kind=filled.kind,
            title=details["title"],
            details=details,
            files=files,
            case=case,
            override=override,
            record_id=issued or typed[0],
            within=typed[1],
        )
    except Exception as exc:
        if issued is not None:  # the number stays issued, explained (作废登记)
            why = exc.message if isinstance(exc, LiuhenError) else type(exc).__name__
            numbering.withdraw(
                store, actor, agency_id=agency_id, kind=filled.kind, number=filled.number, why=why
            )
        raise
    return SavedDocument(record_id, files[0].sha256, files[1].sha256)


def _typed(
    store: Store, filled: FilledDocument, agency_id: str, details: dict[str, Any]
) -> tuple[str | None, Callable[[Tx], None] | None]:
    """A typed 文号 of a kind LiuHen numbers: the record id it goes to and its registration,
    made in the transaction that adds the record (a clash refuses the document)."""
    if not filled.number.strip() or filled.kind not in numbering.kinds():
        return None, None
    record_id = new_id()
    moment = datetime.fromisoformat(details["made_at"])

    def register(tx: Tx) -> None:
        numbering.register(
            tx, agency_id=agency_id, kind=filled.kind, number=filled.number, moment=moment,
            tz=store.settings.tz, subject=("record", record_id),
        )  # fmt: skip

    return record_id, register


def _issue(
    store: Store,
    actor: Actor,
    filled: FilledDocument,
    details: dict[str, Any],
    agency_id: str,
    case_id: str,
) -> tuple[FilledDocument, dict[str, Any], str | None]:
    """A numbered document saved without a number gets the next 文号 of the agency's 字号
    (``numbering.issue_for_record``): the document and its details with it, and the record
    id it is issued to; a typed number (or an unnumbered kind) leaves all as it was."""
    if filled.number.strip() or filled.kind not in numbering.kinds():
        return filled, details, None
    made_at = datetime.fromisoformat(details["made_at"])
    number, record_id = numbering.issue_for_record(
        store, actor, agency_id=agency_id, kind=filled.kind, case_id=case_id, moment=made_at
    )
    return (
        replace(filled, number=number),
        {"made_at": details["made_at"], "number": number, **details},
        record_id,
    )


def correct_document(
    store: Store,
    actor: Actor,
    *,
    record_id: str,
    filled: FilledDocument,
    reason: str,
    made_at: datetime | None = None,
    signing_on_screen: bool = False,
) -> SavedDocument:
    """补正 a document: a new version with new renderings; the old version stays as it was.
    ``signing_on_screen``: its empty boxes are signed (again) on the screen next."""
    _check(filled, signing_on_screen)
    case_id = case_of_record(store, record_id)
    if case_id is None:
        raise NotFound(f"record: 记录 {record_id} 不存在")
    agency_id, name = _agency_of(store, case_id)
    details = record_details(store, filled, made_at or store.clock(), agency_id)
    files = _renderings(store, actor, filled, (agency_id, name))
    new_id = correct_record(
        store, actor, record_id=record_id, details=details, reason=reason, files=files
    )
    return SavedDocument(new_id, files[0].sha256, files[1].sha256)
