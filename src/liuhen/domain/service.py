"""Service (送达) in the case model: the service, each attempt at it, and the evidence its
mode needs (receipt, mail, lien, public notice). Held on ``Case.services`` (``domain/case.py``)."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class Receipt:
    """The service receipt (送达回证/文书送达回执)."""

    server_signed: bool = False
    recipient_signed: bool = False
    signer: str = ""
    signer_relation: str = ""
    date: _dt.date | None = None  # the date the recipient wrote on the receipt


@dataclass(frozen=True, slots=True)
class MailEvidence:
    carrier: str = ""
    tracking_number: str = ""
    registration_kept: bool = False
    postage_proof_kept: bool = False
    return_receipt_kept: bool = False


@dataclass(frozen=True, slots=True)
class LienEvidence:
    refusal_reason: str = ""
    refusal_date: date | None = None
    witness: str = ""
    witness_signed: bool = False
    left_at_residence: bool = False


@dataclass(frozen=True, slots=True)
class PublicNoticeEvidence:
    other_modes_failed: str = ""  # why every other mode failed
    medium: str = ""
    published_at: datetime | None = None  # posted (张贴、刊登)
    notice_kept: bool = False
    reasons_in_file: bool = False
    taken_down_at: datetime | None = None  # taken down (撤下)


@dataclass(frozen=True, slots=True)
class ServiceAttempt:
    """One try at serving: how, when, what came of it, and its receipt if any."""

    at: datetime
    mode: str  # ``vocab.SERVICE_MODES``
    result: str  # ``vocab.SERVICE_RESULTS``
    receipt: Receipt | None = None
    tracking_number: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class Service:
    """Service (送达) of one or more documents, with the evidence its mode needs."""

    id: str
    mode: str
    document_ids: tuple[str, ...]
    served_at: datetime | None = None
    recipient: str = ""
    address: str = ""
    receipt: Receipt | None = None
    mail: MailEvidence | None = None
    lien: LienEvidence | None = None
    handover_reason: str = ""  # 委托、转交原因
    public_notice: PublicNoticeEvidence | None = None
    attempts: tuple[ServiceAttempt, ...] = ()
    """Earlier tries that did not serve (and the one that did, if recorded)."""
    av_record_ids: tuple[str, ...] = ()
    party_id: str | None = None  # the party served (None: the principal party)
    trip_id: str | None = None  # served on a trip (``Case.trips``)
