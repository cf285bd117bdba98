"""Proposing redaction marks: third parties' personal data found in a document's text.

Pure (no I/O). Found by their form and check digit: 18-digit resident ID numbers (GB 11643,
check digit and birth date by python-stdnum's ``cn.ric`` helpers; the region code is not
required to be in stdnum's table, whose ``validate`` refuses real numbers of new or
abolished regions); 15-digit first-generation ones (no check digit, so both a real birth
date 19YYMMDD and a region code stdnum's table knows, of any year, are required: a bare run
of 15 digits is too common to propose), unified social credit codes (GB 32100, check character by
``cn.uscc``), mobile and landline numbers. Found because the case knows who is who: the
names and addresses of the persons the case's records name (the party, persons
questioned, recipients …; ``persons_from``). Nothing of the requester's own side is
proposed: the requester, and the party when the requester is the party, its representative
or agent. The approver confirms, removes and adds marks (``services/access/redactions.py``).
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from stdnum.cn import ric, uscc

from liuhen.domain.redaction import Mark, Segment

OWN_RELATIONS = frozenset({"party", "legal_representative", "agent"})
"""A requester in one of these relations asks on the party's behalf: the party's data is
the requester's own."""

_ID = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx])(?![0-9A-Za-z])")
_ID15 = re.compile(r"(?<![0-9A-Za-z])(\d{15})(?![0-9A-Za-z])")
_USCC = re.compile(r"(?<![0-9A-Z])([0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10})(?![0-9A-Z])")
_MOBILE = re.compile(
    r"(?<![0-9A-Za-z])(?:\+?86[- ]?)?(1[3-9]\d[- ]?\d{4}[- ]?\d{4})(?![0-9A-Za-z])"
)
_LANDLINE = re.compile(
    r"(?<![0-9A-Za-z])(\(?0\d{2,3}\)?[- ]?[2-9]\d{6,7}(?:-\d{1,4})?)(?![0-9A-Za-z])"
)
_DIGITS = re.compile(r"[^0-9X]")


@dataclass(frozen=True, slots=True)
class Person:
    """Someone the case names, with the identifiers and addresses it knows for them."""

    name: str
    id_numbers: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    own: bool = False  # the requester's side: never proposed


def resident_id_ok(number: str) -> bool:
    """An 18-character resident ID number whose check digit and birth date are right."""
    number = number.upper()
    if not re.fullmatch(r"\d{17}[\dX]", number):
        return False
    try:
        born = ric.get_birth_date(number)
    except Exception:  # stdnum raises its InvalidComponent for a date that does not exist
        return False
    return ric.calc_check_digit(number) == number[-1] and _dt.date(1890, 1, 1) <= born


def first_generation_id_ok(number: str) -> bool:
    """A 15-digit (first-generation) resident ID number: a region code in stdnum's table
    (any year, abolished ones too) and a real birth date 19YYMMDD. It has no check digit."""
    from stdnum import numdb

    if not re.fullmatch(r"[1-8]\d{14}", number):
        return False
    try:
        _dt.date(1900 + int(number[6:8]), int(number[8:10]), int(number[10:12]))
    except ValueError:
        return False
    known = numdb.get("cn/loc").info(number[:6])
    return any("county" in props for _part, props in known)


def upgraded(number: str) -> str:
    """The 18-digit form of a 15-digit ID number (``19`` before the year, the check digit
    after), so one person's two numbers compare equal; other values unchanged."""
    if len(number) != 15 or not number.isdigit():
        return number
    body = number[:6] + "19" + number[6:]
    return body + ric.calc_check_digit(body + "0")


def credit_code_ok(code: str) -> bool:
    """An 18-character unified social credit code whose check character is right."""
    if not _USCC.fullmatch(code):
        return False
    return bool(uscc.calc_check_digit(code[:17]) == code[-1])


def _normal(value: str) -> str:
    return upgraded(_DIGITS.sub("", value.upper()))


def persons_from(
    party: Mapping[str, object],
    records: Iterable[Mapping[str, object]],
    requester: Mapping[str, object],
) -> list[Person]:
    """The persons a case names: its party (and legal representative), and in each
    record's fields every ``X_name`` with its ``X_id_number``, ``X_phone`` and
    ``X_address``; those on the requester's side marked ``own``."""
    found: list[Person] = [_person(requester, "", True)]
    own_ids = {_normal(str(requester.get("id_number") or ""))} - {""}
    own_names = {str(requester.get("name") or "").strip()} - {""}
    party_own = str(requester.get("relation") or "") in OWN_RELATIONS
    found.append(_person(party, "", party_own))
    rep = str(party.get("legal_representative") or "").strip()
    if rep:
        found.append(Person(rep, own=party_own))
    for fields in records:
        for key in fields:
            if key.endswith("_name") and key != "agency_name":
                found.append(_person(fields, key.removesuffix("_name") + "_", False))
    out = []
    for p in found:
        if not p.name and not p.id_numbers:
            continue
        ids = {_normal(i) for i in p.id_numbers}
        own = p.own or bool(ids & own_ids) or (p.name in own_names and not ids - own_ids)
        out.append(Person(p.name, p.id_numbers, p.phones, p.addresses, own))
    return out


def _person(values: Mapping[str, object], prefix: str, own: bool) -> Person:
    def text(key: str) -> str:
        value = values.get(key)
        return value.strip() if isinstance(value, str) else ""

    name = text(f"{prefix}name")
    number = text(f"{prefix}id_number")
    phone = text(f"{prefix}phone")
    address = text(f"{prefix}address")
    return Person(
        name,
        (number,) if number else (),
        (phone,) if phone else (),
        (address,) if address else (),
        own,
    )


def detect(segments: Sequence[Segment], persons: Sequence[Person]) -> list[Mark]:
    """Proposed marks over ``segments``, in reading order, none overlapping (a longer find
    wins: an address holding a name is one mark). Each with its kind, the suggested ground
    and a suggested reason the approver may keep or change."""
    own = [p for p in persons if p.own]
    own_ids = {_normal(i) for p in own for i in p.id_numbers}
    own_phones = {_normal(i) for p in own for i in p.phones}
    own_names = {p.name for p in own}
    others = [p for p in persons if not p.own]
    found: list[Mark] = []
    for segment in segments:
        found += _numbers(segment, own_ids, own_phones)
        for person in others:
            if person.name and person.name not in own_names and len(person.name) >= 2:
                found += _literal(segment, person.name, "name")
            for address in person.addresses:
                if len(address) >= 4:
                    found += _literal(segment, address, "address")
    return _without_overlaps(segments, found)


def _numbers(segment: Segment, own_ids: set[str], own_phones: set[str]) -> list[Mark]:
    text, out = segment.text, []
    for match in _ID.finditer(text):
        number = match.group(1)
        if resident_id_ok(number) and _normal(number) not in own_ids:
            out.append(_mark(segment, match.start(1), match.end(1), "resident_id"))
    for match in _ID15.finditer(text):
        number = match.group(1)
        if first_generation_id_ok(number) and _normal(number) not in own_ids:
            out.append(_mark(segment, match.start(1), match.end(1), "resident_id"))
    for match in _USCC.finditer(text):
        code = match.group(1)
        is_id = code.isdigit() and resident_id_ok(code)  # proposed above as an ID number
        if credit_code_ok(code) and not is_id and code not in own_ids:
            out.append(_mark(segment, match.start(1), match.end(1), "credit_code"))
    for pattern in (_MOBILE, _LANDLINE):
        for match in pattern.finditer(text):
            if _normal(match.group(1)).removeprefix("86") not in own_phones:
                out.append(_mark(segment, match.start(1), match.end(1), "phone"))
    return out


def _literal(segment: Segment, needle: str, kind: str) -> list[Mark]:
    out, start = [], segment.text.find(needle)
    while start >= 0:
        out.append(_mark(segment, start, start + len(needle), kind))
        start = segment.text.find(needle, start + len(needle))
    return out


SUGGESTED_REASONS = {
    "resident_id": "第三人的居民身份证号码，属个人信息，依法保护个人隐私",
    "credit_code": "第三方的统一社会信用代码，与申请人无关，依法保护其商业秘密",
    "phone": "第三人的联系电话，属个人信息，依法保护个人隐私",
    "name": "第三人的姓名，属个人信息，依法保护个人隐私",
    "address": "第三人的住址，属个人信息，依法保护个人隐私",
}


def _mark(segment: Segment, start: int, end: int, kind: str) -> Mark:
    ground = "commercial_secret" if kind == "credit_code" else "privacy"
    return Mark(segment.key, start, end, kind, ground, SUGGESTED_REASONS[kind])


def _without_overlaps(segments: Sequence[Segment], marks: list[Mark]) -> list[Mark]:
    place = {s.key: i for i, s in enumerate(segments)}
    longest_first = sorted(marks, key=lambda m: (place[m.segment], -(m.end - m.start), m.start))
    kept: list[Mark] = []
    for mark in longest_first:
        if not any(
            k.segment == mark.segment and k.start < mark.end and mark.start < k.end for k in kept
        ):
            kept.append(mark)
    return sorted(kept, key=lambda m: (place[m.segment], m.start))
