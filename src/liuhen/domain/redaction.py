"""Redaction marks on a party's copy (复制件遮盖): what a mark is, and the pure operations on
the text a mark covers.

A document's text is a sequence of ``Segment``s (one per printed field, signature line or
plain-text file), each with a stable key; a ``Mark`` covers ``text[start:end]`` of one
segment and gives its kind, its legal ground (国家秘密 / 商业秘密 / 个人隐私: 002§34,
004§38) and the reason the approver wrote. ``redact`` replaces every covered span with a
visible block and the mark's number (``■■■■〔1〕``), so the words are not in the copy at all;
``mark_problems`` checks marks against the text and names the field of each problem;
``text_digest`` is a keyed digest of covered text for the ledger, which must not carry the
text itself (nor an unkeyed hash that a short number could be found from by trying).
Detection (``services/access/detection.py``) proposes marks; the approver confirms them.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

KINDS: dict[str, str] = {
    "resident_id": "居民身份证号码",
    "credit_code": "统一社会信用代码",
    "phone": "电话号码",
    "name": "姓名",
    "address": "住址",
    "other": "其他",
}
"""What a mark covers."""
GROUNDS: dict[str, str] = {
    "privacy": "个人隐私",
    "commercial_secret": "商业秘密",
    "state_secret": "国家秘密",
}
"""Why it may not be given to the party (002§34, 004§38); the same codes as ``MARKS`` of a case."""
BLOCK = "■■■■"
"""What stands in the copy for covered text: the same length whatever was covered."""
REASON_MAX = 500


@dataclass(frozen=True, slots=True)
class Segment:
    """One piece of a document's printed text: ``key`` is stable across renderings of the
    same record (``field.qa``, ``sign.2``, ``text``), ``label`` is what a reader calls it."""

    key: str
    label: str
    text: str


@dataclass(frozen=True, slots=True)
class Mark:
    """``text[start:end]`` of the segment ``segment`` is to be removed from the copy."""

    segment: str
    start: int
    end: int
    kind: str
    ground: str
    reason: str = ""

    @property
    def kind_name(self) -> str:
        return KINDS.get(self.kind, self.kind)

    @property
    def ground_name(self) -> str:
        return GROUNDS.get(self.ground, self.ground)

    def covered(self, segments: Mapping[str, Segment]) -> str:
        return segments[self.segment].text[self.start : self.end]

    def to_dict(self) -> dict[str, object]:
        return {
            "segment": self.segment,
            "start": self.start,
            "end": self.end,
            "kind": self.kind,
            "ground": self.ground,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, object]) -> Mark:
        return cls(
            segment=str(raw.get("segment", "")),
            start=_int(raw.get("start")),
            end=_int(raw.get("end")),
            kind=str(raw.get("kind", "")),
            ground=str(raw.get("ground", "")),
            reason=str(raw.get("reason", "") or "").strip(),
        )


def _int(value: object) -> int:
    try:
        return int(str(value))
    except ValueError:
        return -1


def by_key(segments: Sequence[Segment]) -> dict[str, Segment]:
    return {s.key: s for s in segments}


def mark_problems(segments: Sequence[Segment], marks: Sequence[Mark]) -> list[str]:
    """Every problem of ``marks`` over ``segments`` as ``"marks[i].field: 说明"`` (i from 1,
    as the form numbers them); ``[]`` when the marks may be saved."""
    known = by_key(segments)
    problems: list[str] = []
    for n, mark in enumerate(marks, start=1):
        where = f"marks[{n}]"
        segment = known.get(mark.segment)
        if segment is None:
            problems.append(f"{where}.segment: 第 {n} 处遮盖所在的位置不是本文书的内容")
            continue
        if not 0 <= mark.start < mark.end <= len(segment.text):
            problems.append(
                f"{where}.end: 第 {n} 处遮盖的范围（{mark.start}–{mark.end}）超出"
                f"“{segment.label}”的文字（共 {len(segment.text)} 字）"
            )
        if mark.kind not in KINDS:
            problems.append(
                f"{where}.kind: 第 {n} 处遮盖请选择内容类别（{'、'.join(KINDS.values())}）"
            )
        if mark.ground not in GROUNDS:
            problems.append(
                f"{where}.ground: 第 {n} 处遮盖请选择法定理由（{'、'.join(GROUNDS.values())}）"
            )
        if not mark.reason:
            problems.append(f"{where}.reason: 第 {n} 处遮盖须写明理由")
        elif len(mark.reason) > REASON_MAX:
            problems.append(f"{where}.reason: 第 {n} 处遮盖的理由过长（最多 {REASON_MAX} 字）")
    problems += _overlaps(known, marks)
    return problems


def _overlaps(known: Mapping[str, Segment], marks: Sequence[Mark]) -> list[str]:
    """A mark that overlaps an earlier one (of those within their text), named once."""
    fit = [
        (n, m)
        for n, m in enumerate(marks, start=1)
        if m.segment in known and 0 <= m.start < m.end <= len(known[m.segment].text)
    ]
    out = []
    for i, (n, mark) in enumerate(fit):
        first = next(
            (
                k
                for k, other in fit[:i]
                if other.segment == mark.segment
                and other.start < mark.end
                and mark.start < other.end
            ),
            None,
        )
        if first is not None:
            out.append(f"marks[{n}].start: 第 {n} 处遮盖与第 {first} 处重叠，请合并为一处")
    return out


def ordered(segments: Sequence[Segment], marks: Sequence[Mark]) -> list[Mark]:
    """``marks`` in reading order: by segment as the document prints them, then position.
    The number a mark is shown with (〔1〕, 〔2〕 …) is its place in this order."""
    place = {s.key: i for i, s in enumerate(segments)}
    return sorted(marks, key=lambda m: (place.get(m.segment, len(place)), m.start, m.end))


def redact(segments: Sequence[Segment], marks: Sequence[Mark]) -> dict[str, str]:
    """Segment key -> its text with every mark's span replaced by ``■■■■〔n〕`` (n: the
    mark's number in reading order); only segments that change are returned. The marks
    must have passed ``mark_problems``."""
    known = by_key(segments)
    numbered = ordered(segments, marks)
    out: dict[str, str] = {}
    for key in dict.fromkeys(m.segment for m in numbered):
        text = known[key].text
        # from the end, so earlier offsets stay valid
        for n, mark in reversed([(i, m) for i, m in enumerate(numbered, 1) if m.segment == key]):
            text = text[: mark.start] + f"{BLOCK}〔{n}〕" + text[mark.end :]
        out[key] = text
    return out


def text_digest(salt: str, text: str) -> str:
    """HMAC-SHA256 of covered text under the redaction's own salt (kept in the database, not
    on the ledger): it proves later what was covered without telling it."""
    return hmac.new(salt.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).hexdigest()


def find_spans(
    segments: Sequence[Segment], needle: str, segment: str | None = None
) -> list[tuple[str, int, int]]:
    """Every occurrence of ``needle`` as (segment key, start, end), in ``segment`` only when
    given (an approver adds a mark by typing the words it should cover)."""
    needle = needle.strip()
    if not needle:
        return []
    found = []
    for s in segments:
        if segment and s.key != segment:
            continue
        start = s.text.find(needle)
        while start >= 0:
            found.append((s.key, start, start + len(needle)))
            start = s.text.find(needle, start + len(needle))
    return found
