"""The case and everything recorded about it: the pure model behind a case bundle.

All types are frozen dataclasses holding codes from ``liuhen.domain.vocab`` and
timezone-aware datetimes. They carry facts, not judgements: whether the facts satisfy a
regulation is the compliance engine's question (``liuhen.rules``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from liuhen.domain.av import (
    AVRecord,
    Retention,
)
from liuhen.domain.parties import ElectronicServiceConsent, Party, Trip
from liuhen.domain.service import (
    LienEvidence,
    MailEvidence,
    PublicNoticeEvidence,
    Receipt,
    Service,
    ServiceAttempt,
)

__all__ = [
    "AVRecord", "ElectronicServiceConsent", "LienEvidence", "MailEvidence", "Party",
    "PublicNoticeEvidence", "Receipt", "Retention", "Service", "ServiceAttempt", "Trip",
]  # fmt: skip

FieldValue = str | int | float | bool | list[str] | None
"""A document field: text, a number, a yes/no, or a list of codes."""


@dataclass(frozen=True, slots=True)
class Agency:
    name: str
    profile: str | None = None
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class Officer:
    id: str
    name: str
    certificate_number: str | None = None  # 执法证号
    certificate_valid_until: date | None = None
    position: str | None = None


@dataclass(frozen=True, slots=True)
class DeviceEvent:
    """A pre-use check (per act), a maintenance, a fault or its repair (000§12, 000§21(二))."""

    kind: str  # check | maintenance | fault | repair
    at: datetime
    act_id: str | None = None
    items: frozenset[str] = frozenset()
    note: str = ""


@dataclass(frozen=True, slots=True)
class Device:
    id: str
    kind: str
    explosion_proof: bool = False
    serial: str | None = None
    model: str = ""
    events: tuple[DeviceEvent, ...] = ()


@dataclass(frozen=True, slots=True)
class AVExemption:
    """Why an act was not recorded in audio-video (004§6; 000§6 text sufficient)."""

    reason: str
    explanation: str = ""


@dataclass(frozen=True, slots=True)
class Act:
    """One enforcement act (执法环节) with its time, place and the officers present."""

    id: str
    kind: str
    started_at: datetime
    ended_at: datetime | None = None
    place: str = ""
    officer_ids: tuple[str, ...] = ()
    certificates_shown: bool | None = None
    trip_id: str | None = None  # made on a trip (``Case.trips``): stored after the return
    flags: frozenset[str] = frozenset()
    av_exemption: AVExemption | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Signature:
    role: str
    name: str
    officer_id: str | None = None
    method: str = "signature"
    signed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Refusal:
    """A person who refused to sign, and why (recorded by the officers)."""

    role: str
    reason: str = ""
    name: str = ""
    witness: str = ""


@dataclass(frozen=True, slots=True)
class TextRecord:
    """A document (执法文书) or any other written record."""

    id: str
    kind: str
    made_at: datetime
    act_id: str | None = None
    number: str = ""
    title: str = ""
    started_at: datetime | None = None
    ended_at: datetime | None = None
    officer_ids: tuple[str, ...] = ()
    certificates_shown: bool | None = None
    fields: Mapping[str, FieldValue] = field(default_factory=dict)
    signatures: tuple[Signature, ...] = ()
    refusals: tuple[Refusal, ...] = ()
    sealed: bool = False
    confidential: bool = False
    trip_id: str | None = None

    def has(self, name: str) -> bool:
        """True when the field is present and not blank."""
        value = self.fields.get(name)
        if value is None or value is False:
            return False
        if isinstance(value, str | list):
            return bool(value if isinstance(value, list) else value.strip())
        return True


@dataclass(frozen=True, slots=True)
class ApprovalStep:
    """One signature on an internal approval: who, in which role, with what opinion."""

    role: str  # handler | reviewer | approver
    name: str
    at: datetime
    position: str = ""
    officer_id: str | None = None
    opinion: str = ""
    signed: bool = True
    authorised: bool = False


@dataclass(frozen=True, slots=True)
class Approval:
    """An internal approval (立案, 法制审核, 集体讨论, 负责人审批 ...)."""

    id: str
    kind: str
    steps: tuple[ApprovalStep, ...]
    emergency: bool = False
    outcome: str = "approved"  # approved | rejected
    fields: Mapping[str, FieldValue] = field(default_factory=dict)

    @property
    def decided_at(self) -> datetime:
        return max(s.at for s in self.steps)

    def has(self, name: str) -> bool:
        value = self.fields.get(name)
        if isinstance(value, str | list):
            return bool(value if isinstance(value, list) else value.strip())
        return value is not None and value is not False


@dataclass(frozen=True, slots=True)
class ExecutionEvent:
    """A step of execution: payment, performance, reminder statements, court application."""

    id: str
    kind: str
    at: datetime
    document_ids: tuple[str, ...] = ()
    fields: Mapping[str, FieldValue] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True, slots=True)
class AVStatement:
    """How an AV record enters the case file (001§11): carrier or storage location + facts."""

    av_record_id: str
    carrier: str = ""  # disc | location
    location: str = ""
    method: str = ""
    made_at: datetime | None = None
    maker: str = ""
    object: str = ""
    audio_content: str = ""


@dataclass(frozen=True, slots=True)
class CaseFile:
    """The case file (案卷): when formed and handed to the archive, what it holds."""

    formed_at: datetime | None = None
    handed_over_at: datetime | None = None
    custodian: str = ""
    retention: Retention | None = None
    catalogue: tuple[str, ...] = ()
    av_statements: tuple[AVStatement, ...] = ()


@dataclass(frozen=True, slots=True)
class AccessDecision:
    outcome: str  # granted | refused | pending
    by: str = ""
    position: str = ""
    authorised: bool = False
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AccessRequest:
    """A request to view, copy or disclose records, and its decision."""

    id: str
    kind: str  # view | copy | disclosure
    requested_at: datetime
    requested_by: str = ""
    record_ids: tuple[str, ...] = ()
    decision: AccessDecision | None = None


@dataclass(frozen=True, slots=True)
class Correction:
    """An error in the application's materials corrected on the spot (当场更正, 002§8)."""

    at: datetime | None = None
    items: tuple[str, ...] = ()  # what was corrected
    record_id: str | None = None  # the text record of the correction


@dataclass(frozen=True, slots=True)
class Application:
    """Facts of an application matter (002§8)."""

    oral: bool = False
    accepted: bool | None = None
    needs_supplement: bool = False
    corrections: tuple[Correction, ...] = ()

    @property
    def corrected_on_spot(self) -> bool:
        return bool(self.corrections)


@dataclass(frozen=True, slots=True)
class Complaint:
    """Facts of a complaint or report (002§10)."""

    real_name: bool = False
    pursued: bool = True
    complainant: str = ""


@dataclass(frozen=True, slots=True)
class Penalty:
    kind: str = ""  # warning | fine | ...
    amount: float | None = None
    collected_on_spot: bool = False
    collection_ground: str = ""
    """Why a fine over 100 yuan was collected on the spot (``vocab.COLLECTION_GROUNDS``)."""


@dataclass(frozen=True, slots=True)
class Case:
    """One case (案件) with everything recorded about it, as one immutable snapshot."""

    id: str
    agency: Agency
    procedure: str
    party: Party
    """The principal party (第一当事人); others in ``co_parties``."""
    opened_at: datetime
    number: str = ""
    title: str = ""
    cause: str = ""
    ended_at: datetime | None = None
    outcome: str | None = None
    flags: frozenset[str] = frozenset()
    confidential: bool = False
    penalty: Penalty | None = None
    application: Application | None = None
    complaint: Complaint | None = None
    co_parties: tuple[Party, ...] = ()
    trips: tuple[Trip, ...] = ()
    officers: tuple[Officer, ...] = ()
    devices: tuple[Device, ...] = ()
    acts: tuple[Act, ...] = ()
    text_records: tuple[TextRecord, ...] = ()
    av_records: tuple[AVRecord, ...] = ()
    approvals: tuple[Approval, ...] = ()
    services: tuple[Service, ...] = ()
    execution: tuple[ExecutionEvent, ...] = ()
    case_file: CaseFile | None = None
    access_requests: tuple[AccessRequest, ...] = ()

    @property
    def parties(self) -> tuple[Party, ...]:
        """Every party of the case, the principal first."""
        return (self.party, *self.co_parties)

    def trip(self, trip_id: str | None) -> Trip | None:
        """The trip of that id (None for None or an unknown id)."""
        return next((t for t in self.trips if t.id == trip_id), None) if trip_id else None

    def trip_of(self, av: AVRecord) -> Trip | None:
        """The trip ``av`` was made on: its own, its act's or its service's (003§17 ¶2)."""
        if av.trip_id:
            return self.trip(av.trip_id)
        act = next((a for a in self.acts if a.id == av.act_id), None) if av.act_id else None
        if act is not None and act.trip_id:
            return self.trip(act.trip_id)
        if av.service_id:
            service = next((s for s in self.services if s.id == av.service_id), None)
            return self.trip(service.trip_id) if service is not None else None
        served = next((s for s in self.services if av.id in s.av_record_ids), None)
        return self.trip(served.trip_id) if served is not None else None
