"""Service of documents (送达, six modes), execution records, and closing a case."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from liuhen.domain import vocab
from liuhen.errors import Conflict, InvalidInput, NotFound
from liuhen.ledger.events import Actor
from liuhen.rules.gates import after_closing
from liuhen.services.cases.bundle_import import check_entity
from liuhen.services.cases.gates import Override, action_for, check_reason, hold
from liuhen.services.cases.queries.serving import case_closed, text_record_ids
from liuhen.services.permissions import require_case
from liuhen.store.store import Store
from liuhen.store.unit import Tx, new_id

MODE_EVIDENCE: dict[str, tuple[str, ...]] = {
    "direct": ("receipt",),
    "mail": ("mail",),
    "lien": ("lien", "receipt"),
    "entrusted": ("receipt", "handover_reason"),
    "transferred": ("receipt", "handover_reason"),
    "public_notice": ("public_notice",),
    "electronic": (),
}
"""Which evidence parts a service of each mode carries (the engine judges their content)."""


def _case(tx: Tx, case_id: str) -> Any:
    row = tx.get("cases", case_id)
    if row is None:
        raise NotFound(f"case: 案件 {case_id} 不存在")
    return row


def _check_documents(tx: Tx, case_id: str, document_ids: list[str]) -> None:
    known = text_record_ids(tx.conn, case_id)
    unknown = [d for d in document_ids if d not in known]
    if not document_ids or unknown:
        raise InvalidInput(
            "送达信息有误",
            details=[f"document_ids: 送达的文书不属于本案或不存在：{unknown or '（未选择）'}"],
        )


def _check_records(tx: Tx, case_id: str, document_ids: list[str]) -> None:
    """The documents an execution names are this case's (another case's are "not found":
    no other case's record is confirmed to exist)."""
    known = text_record_ids(tx.conn, case_id)
    unknown = [d for d in document_ids if d not in known]
    if unknown:
        raise InvalidInput(
            "执行情况有误", details=[f"document_ids: 相关文书不属于本案或不存在：{unknown}"]
        )


def _service_problems(
    mode: str, served_at: datetime, recipient: str, evidence: dict[str, Any] | None
) -> list[str]:
    """What is wrong with a service's fields, one line a field."""
    problems = []
    if mode not in vocab.SERVICE_MODES:
        problems.append(f"mode: 送达方式无效 {mode!r}")
    if served_at.tzinfo is None:
        problems.append("served_at: 时间须带时区")
    if not recipient.strip() and mode != "public_notice":
        problems.append("recipient: 受送达人不能为空")
    extra = sorted(set(evidence or {}) - set(MODE_EVIDENCE.get(mode, ())))
    if extra:
        problems.append(
            f"evidence: {vocab.SERVICE_MODES.get(mode, mode)}不需要这些材料：{'、'.join(extra)}"
        )
    return problems


def record_service(
    store: Store,
    actor: Actor,
    *,
    case_id: str,
    mode: str,
    document_ids: list[str],
    served_at: datetime,
    recipient: str,
    address: str = "",
    evidence: dict[str, Any] | None = None,
    av_record_ids: list[str] | None = None,
    case: Mapping[str, Any] | None = None,
) -> str:
    """Record one service with the evidence its mode needs (receipt, mail, lien, notice …).
    ``case``: the case as the permission check loaded it (not read again)."""
    require_case(store, actor, "record.create", case_id, case)
    problems = _service_problems(mode, served_at, recipient, evidence)
    if problems:
        raise InvalidInput("送达信息有误", details=problems)
    service_id = new_id()
    entity = {
        "document_ids": document_ids,
        "served_at": served_at.isoformat(),
        "recipient": recipient.strip(),
        **({"address": address} if address else {}),
        **(evidence or {}),
        **({"av_record_ids": av_record_ids} if av_record_ids else {}),
    }
    check_entity("service", {"id": service_id, "mode": mode, **entity}, "$.services[]")
    with store.transaction(actor) as tx:  # the case was loaded above: it exists
        _check_documents(tx, case_id, document_ids)
        tx.insert(
            "services",
            {
                "id": service_id,
                "case_id": case_id,
                "record_id": document_ids[0],
                "mode": mode,
                "served_at": served_at,
                "recipient": recipient.strip(),
                "evidence": entity,
                "created_by": actor.id or "system",
                "created_at": store.clock(),
            },
        )
        _transition(tx, case_id, "service_execution", served_at, actor)
        tx.record(
            "service.recorded",
            subject_type="service",
            subject_id=service_id,
            case_id=case_id,
            payload={"mode": mode},
        )
    return service_id


def record_execution(
    store: Store,
    actor: Actor,
    *,
    case_id: str,
    kind: str,
    at: datetime,
    fields: dict[str, Any] | None = None,
    document_ids: list[str] | None = None,
    note: str = "",
    case: Mapping[str, Any] | None = None,
) -> str:
    """Record an execution event: fine paid, rectification checked, reminder, court …
    ``case``: the case as the permission check loaded it (not read again)."""
    require_case(store, actor, "record.create", case_id, case)
    if kind not in vocab.EXECUTION_KINDS:
        raise InvalidInput(
            f"kind: 执行情况类型无效 {kind!r}，可选：{'、'.join(vocab.EXECUTION_KINDS)}"
        )
    execution_id = new_id()
    details = {
        **({"fields": fields} if fields else {}),
        **({"document_ids": document_ids} if document_ids else {}),
        **({"note": note} if note else {}),
    }
    check_entity(
        "execution_event",
        {"id": execution_id, "kind": kind, "at": at.isoformat(), **details},
        "$.execution[]",
    )
    with store.transaction(actor) as tx:  # the case was loaded above: it exists
        if document_ids:
            _check_records(tx, case_id, document_ids)
        tx.insert(
            "executions",
            {
                "id": execution_id,
                "case_id": case_id,
                "kind": kind,
                "at": at,
                "details": details,
                "created_by": actor.id or "system",
                "created_at": store.clock(),
            },
        )
        tx.record(
            "execution.recorded",
            subject_type="execution",
            subject_id=execution_id,
            case_id=case_id,
            payload={"kind": kind},
        )
    return execution_id


def close_case(
    store: Store,
    actor: Actor,
    *,
    case_id: str,
    at: datetime,
    outcome: str,
    case: Mapping[str, Any] | None = None,
    override: Override | None = None,
) -> None:
    """结案: the case's end time (from which the case-file deadline runs) and its outcome.
    ``case``: the case as the permission check loaded it (not read again). Refused while
    findings blocking the ``close`` gate are open, unless ``override`` (the head's)."""
    loaded = require_case(store, actor, action_for("record.create", override), case_id, case)
    if outcome not in vocab.OUTCOMES:
        raise InvalidInput(f"outcome: 结案结果无效 {outcome!r}，可选：{'、'.join(vocab.OUTCOMES)}")
    check_reason(override)
    with store.transaction(actor) as tx:
        if at < loaded["opened_at"]:
            raise InvalidInput("at: 结案时间早于立案时间")
        tx.lock("cases", case_id)  # two closings at once: the second sees the first
        if case_closed(tx.conn, case_id):
            raise Conflict("case: 该案件已结案")
        hold(
            tx,
            store,
            loaded,
            "close",
            lambda _bundle, c: after_closing(c, at, outcome),
            now=max(store.clock(), at),
            override=override,
            subject=("case", case_id),
        )
        _transition(tx, case_id, "closed", at, actor, note=outcome)
        tx.record(
            "case.closed",
            subject_type="case",
            subject_id=case_id,
            case_id=case_id,
            payload={"outcome": outcome},
        )


def _transition(
    tx: Tx, case_id: str, stage: str, at: datetime, actor: Actor, note: str = ""
) -> None:
    tx.insert(
        "case_transitions",
        {
            "id": new_id(),
            "case_id": case_id,
            "stage": stage,
            "note": note,
            "at": at,
            "created_by": actor.id or "system",
        },
    )
