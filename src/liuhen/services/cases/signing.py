"""Signing a document on the screen (issue 16 item 3): the party, a witness or an officer
signs one line (slot) of a saved document by hand, or refuses with the reason and the
audio-video time mark of the refusal.

Each signature or refusal is a ``hand_signatures`` row (insert-only; its image a stored blob
whose digest the ledger event carries) and makes the document's next version, whose PDF
shows the handwriting at its signature place: the document the case file holds is the
signed one, and the version that was read to the signer stays as it was. Two submissions of
one line at once: the version row is locked first, the loser finds a later version; the
database's ``uq_hand_signatures_slot`` and ``uq_records_supersedes_id`` hold it regardless.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from typing import Any

from liuhen.documents.catalogue import default_catalogue, get_kind
from liuhen.documents.model import DocumentKind, SignatureSpec
from liuhen.documents.redaction import filled_from_details
from liuhen.documents.signature_image import signature_problems
from liuhen.documents.values import parse_datetime
from liuhen.domain.limits import NOTE_MAX, bad_text
from liuhen.errors import Conflict, InvalidInput, NotFound
from liuhen.ledger.events import Actor
from liuhen.services.cases.documents import rendered_files
from liuhen.services.cases.queries.facts import agency_officers
from liuhen.services.cases.queries.records import has_newer_version
from liuhen.services.cases.queries.signing import case_footage, signing_record
from liuhen.services.cases.records import AttachedFile, _attach, _bundle_shaped, _check_shape
from liuhen.services.permissions import require_case
from liuhen.store.blobs.base import BlobInfo
from liuhen.store.store import Store
from liuhen.store.unit import Tx, new_id

NAME_MAX = 100
LATER = "该文书已有更新的版本（刚有人签名或补正），请打开最新版本后再签名"


@dataclass(frozen=True)
class Refusal:
    """A refusal to sign: why, who saw it, and where the recording shows it."""

    reason: str
    witness: str = ""
    av_record_id: str = ""
    av_offset_seconds: int | None = None


@dataclass(frozen=True)
class SignedLine:
    record_id: str  # the new, signed version
    signature_id: str
    image_sha256: str | None


def slot_of(role: str, taken: int) -> str:
    """The next line of a box: ``party-1`` for the first party signature."""
    return f"{role}-{taken + 1}"


def taken_lines(details: Mapping[str, Any], role: str) -> int:
    """Lines of ``role`` already signed or refused in a version's details."""
    signed = [s for s in details.get("signatures", []) if s.get("role") == role]
    refused = [r for r in details.get("refusals", []) if r.get("role") == role]
    return len(signed) + len(refused)


def signable(record: Mapping[str, Any]) -> DocumentKind:
    """The catalogue kind of a document that can be signed on the screen, else NotFound."""
    if record.get("kind") != "text" or record.get("doc_kind") not in default_catalogue():
        raise NotFound("record: 本案没有可在屏幕上签名的文书（只有系统制作的文书可签名）")
    return get_kind(str(record["doc_kind"]))


def _box(kind: DocumentKind, slot: str, details: Mapping[str, Any]) -> SignatureSpec:
    role, _, n = slot.rpartition("-")
    spec = next((s for s in kind.signatures if s.role == role), None)
    if spec is None or not n.isdigit():
        raise InvalidInput("签名未保存", details=[f"slot: 本文书没有签名栏「{slot}」"])
    if slot != slot_of(role, taken_lines(details, role)):
        raise Conflict(f"「{spec.label}」第 {n} 行已签名或记录拒签：请刷新页面查看")
    return spec


def _text(value: str, field: str, label: str, limit: int, problems: list[str]) -> str:
    value = value.strip()
    if (bad := bad_text(value, limit)) is not None:
        problems.append(f"{field}: {label}{bad}")
    return value


def _refusal_problems(
    store: Store, case_id: str, spec: SignatureSpec, refusal: Refusal, problems: list[str]
) -> dict[str, Any]:
    reason = _text(refusal.reason, "reason", "拒签事由", NOTE_MAX, problems)
    witness = _text(refusal.witness, "witness", "见证人", NAME_MAX, problems)
    if not reason:
        problems.append("reason: 请写明拒绝签名的事由")
    if spec.refusal_needs_witness and not witness:
        problems.append("witness: 拒绝签收应由见证人到场，请填写见证人（民事诉讼法§89）")
    entry: dict[str, Any] = {"reason": reason, "witness": witness}
    footage = {r["id"]: r for r in case_footage(store, case_id)}
    if not refusal.av_record_id:
        problems.append("av_record: 请选择记录拒签过程的音像记录")
        return entry
    if refusal.av_record_id not in footage:
        problems.append("av_record: 所选音像记录不属于本案，请从列表中选择")
        return entry
    entry["av_record_id"] = refusal.av_record_id
    offset = refusal.av_offset_seconds
    length = _length(footage[refusal.av_record_id]["details"])
    if offset is None or offset < 0:
        problems.append("av_offset: 请填写拒签在录像中的时间点（如 03:15）")
    elif length is not None and offset > length:
        problems.append(f"av_offset: 时间点超出该录像的长度（{_clock(length)}）")
    else:
        entry["av_offset_seconds"] = offset
    return entry


def _length(details: Mapping[str, Any]) -> float | None:
    segments = details.get("segments") or []
    start = parse_datetime(segments[0].get("start")) if segments else None
    end = parse_datetime(segments[-1].get("end")) if segments else None
    return (end - start).total_seconds() if start and end else None


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _signer(
    store: Store, case: Mapping[str, Any], record: Mapping[str, Any], spec: SignatureSpec, name: str
) -> tuple[str, dict[str, Any], dict[str, tuple[str, str]]]:
    """The signer's name as checked, the officer's id for an officer, and the agency's
    officers (id -> name, 执法证号) the document prints."""
    roster = agency_officers(store, str(case["agency_id"]))
    officers = {str(o["id"]): (o["name"], o.get("certificate_no") or "") for o in roster}
    extra: dict[str, Any] = {}
    if spec.role == "officer":
        on_document = [o for o in record["details"].get("officer_ids", []) if o in officers]
        match = next((o for o in on_document if officers[o][0] == name), None)
        if match is None:
            raise InvalidInput(
                "签名未保存", details=["name: 签名的执法人员须是本文书记载的执法人员"]
            )
        extra["officer_id"] = match
    return name, extra, officers


def sign_line(
    store: Store,
    actor: Actor,
    *,
    case_id: str,
    record_id: str,
    slot: str,
    name: str,
    image: bytes | None = None,
    refusal: Refusal | None = None,
    case: Mapping[str, Any] | None = None,
) -> SignedLine:
    """Sign line ``slot`` of document ``record_id`` by hand (``image``: the PNG the signing
    page drew) or record a refusal; the document's next version carries it. Every problem
    of the input is named at once (InvalidInput); nothing is stored when any is found.
    Long: one check of every field, then one transaction that must stay whole."""
    loaded = require_case(store, actor, "record.create", case_id, case)
    record = signing_record(store, case_id, record_id)
    if record is None:
        raise NotFound(f"record: 本案没有文书 {record_id}")
    kind = signable(record)
    if record["newer"]:
        raise Conflict(LATER)
    details: dict[str, Any] = dict(record["details"])
    spec = _box(kind, slot, details)
    problems: list[str] = []
    name = _text(name, "name", "签名人姓名", NAME_MAX, problems)
    if not name:
        problems.append("name: 请填写签名人姓名")
    entry: dict[str, Any] = {"role": spec.role, "name": name}
    if refusal is not None:
        entry |= _refusal_problems(store, case_id, spec, refusal, problems)
    else:
        problems += signature_problems(image or b"")
    if problems:
        raise InvalidInput("签名未保存", details=problems)
    name, extra, officers = _signer(store, loaded, record, spec, name)
    now = store.clock()
    blobs: list[BlobInfo] = []
    images: dict[str, bytes] = {}
    if refusal is None:
        blobs.append(store.blobs.ingest(BytesIO(image or b"")))  # its row: in the commit
        images[blobs[0].sha256] = image or b""
        entry |= {"method": "signature", "signed_at": now.isoformat()}
        entry |= {"image_sha256": blobs[0].sha256, **extra}
        details["signatures"] = [*details.get("signatures", []), entry]
    else:
        entry["refused_at"] = now.isoformat()
        details["refusals"] = [*details.get("refusals", []), entry]
    files = []
    for data, file_name, media in _signed_files(
        store, actor, loaded, record, details, officers, images
    ):
        blobs.append(store.blobs.ingest(BytesIO(data)))
        files.append(AttachedFile(blobs[-1].sha256, file_name, media, role="rendered"))
    return _commit(store, actor, record, slot, entry, details, (files, blobs), now)


def _signed_files(
    store: Store,
    actor: Actor,
    case: Mapping[str, Any],
    record: Mapping[str, Any],
    details: Mapping[str, Any],
    officers: Mapping[str, tuple[str, str]],
    images: dict[str, bytes],
) -> list[tuple[bytes, str, str]]:
    """The signed version's PDF (every handwritten line drawn at its place) and .docx;
    ``images``: the new signature's, the earlier ones are read from the store."""
    for s in details.get("signatures", []):
        sha = s.get("image_sha256")
        if sha and sha not in images:
            with store.blobs.open(sha) as f:
                images[sha] = f.read()
    agency = (str(case["agency_id"]), str(case["agency_name"]))
    filled = filled_from_details(str(record["doc_kind"]), details, agency[1], officers, images)
    return rendered_files(store, actor, filled, agency)


def _commit(
    store: Store,
    actor: Actor,
    record: Mapping[str, Any],
    slot: str,
    entry: Mapping[str, Any],
    details: dict[str, Any],
    stored: tuple[list[AttachedFile], list[BlobInfo]],
    now: datetime,
) -> SignedLine:
    """The signature's row, its blobs' rows and the signed version, in one transaction."""
    files, blobs = stored
    record_id, new_record_id, signature_id = str(record["id"]), new_id(), new_id()
    refused = "reason" in entry
    who = f"{entry['name']}{'拒绝签名' if refused else '在屏幕上签名'}"
    shaped = _bundle_shaped("text", str(record["doc_kind"]), record["act_id"], details)
    _check_shape("text", new_record_id, shaped)  # the bundle schema, as any record's
    with store.transaction(actor) as tx:
        tx.lock("records", record_id)  # two signers of one version: the second waits here
        if has_newer_version(tx.conn, record_id):
            raise Conflict(LATER)
        for info in blobs:  # their rows ride on this transaction's one event
            row = {"sha256": info.sha256, "sm3": info.sm3, "size": info.size}
            tx.insert_new("blobs", {**row, "stored_at": now})
        row = {"id": signature_id, "case_id": record["case_id"], "record_id": record_id}
        row |= {"signed_record_id": new_record_id, "slot": slot, "role": entry["role"]}
        row |= {
            "name": entry["name"],
            "refused": refused,
            "image_sha256": entry.get("image_sha256"),
        }
        row |= {"details": dict(entry), "created_by": actor.id or "system", "created_at": now}
        _insert_version(tx, record, new_record_id, details, f"{who}（{slot}）", files, now)
        tx.insert("hand_signatures", row)
        tx.record(
            "document.signature_refused" if refused else "document.signed",
            subject_type="record",
            subject_id=new_record_id,
            case_id=record["case_id"],
            payload={
                "supersedes": record_id,
                "version": record["version"] + 1,
                "slot": slot,
                **{k: v for k, v in entry.items() if k != "method"},
                "files": [f.sha256 for f in files],
            },
        )
    return SignedLine(new_record_id, signature_id, entry.get("image_sha256"))


def _insert_version(
    tx: Tx,
    record: Mapping[str, Any],
    new_record_id: str,
    details: dict[str, Any],
    reason: str,
    files: list[AttachedFile],
    now: datetime,
) -> None:
    shaped = _bundle_shaped("text", str(record["doc_kind"]), record["act_id"], details)
    row = {"id": new_record_id, "case_id": record["case_id"], "act_id": record["act_id"]}
    row |= {"supersedes_id": record["id"], "version": record["version"] + 1, "kind": "text"}
    row |= {"doc_kind": record["doc_kind"], "title": record["title"], "details": shaped}
    row |= {"correction_reason": reason, "created_by": tx.actor.id or "system"}
    tx.insert("records", {**row, "created_at": now})
    _attach(tx, new_record_id, files, now)
