"""Who a case is about and where its officers went: parties (当事人), their consent to
electronic service, and trips (外出执法) that acts, services and records belong to.

Frozen dataclasses like the rest of ``domain/case.py``, which holds them on ``Case.party``,
``Case.co_parties`` and ``Case.trips``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ElectronicServiceConsent:
    """The party agreed, and signed a confirmation (确认书), that documents may be served on
    it electronically (传真、电子邮件等), 行政处罚法§61 ¶2."""

    consented_at: datetime
    address: str = ""  # the fax number or e-mail address agreed
    record_id: str | None = None  # the text record of the signed confirmation


@dataclass(frozen=True, slots=True)
class Party:
    kind: str  # person | organisation
    name: str
    id_number: str | None = None  # 身份证号 or 统一社会信用代码
    address: str | None = None
    phone: str | None = None
    legal_representative: str | None = None
    electronic_service: ElectronicServiceConsent | None = None
    id: str | None = None
    """Referenced by ``services[].party_id``; a co-party must have one, the principal may not."""


@dataclass(frozen=True, slots=True)
class Trip:
    """Officers away from the unit (连续工作、异地工作或者在边远、交通不便地区执法): what is
    recorded on it may be stored after the return (000§16, 001§10, 003§17 ¶2)."""

    id: str
    departed_at: datetime | None = None
    returned_at: datetime | None = None  # None: not back yet
    place: str = ""
    officer_ids: tuple[str, ...] = ()
    note: str = ""
