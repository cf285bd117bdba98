"""The signing page's view model (``web/cases/signing.py``): a saved document's signature
boxes with the lines already signed or refused, the next open line of each, the one to sign
now, and the case's recordings a refusal is marked in. Three reads after the case's load:
the document version, the agency's officers, the case's recordings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from liuhen.documents.values import format_datetime, parse_datetime
from liuhen.domain import vocab
from liuhen.errors import NotFound
from liuhen.services.cases.queries.facts import agency_officers
from liuhen.services.cases.queries.signing import case_footage, signing_record
from liuhen.services.cases.signing import signable, slot_of, taken_lines
from liuhen.store.store import Store


@dataclass(frozen=True)
class Box:
    role: str
    label: str
    lines: list[dict[str, Any]]
    next_slot: str
    needed: int
    needs_witness: bool

    @property
    def open(self) -> bool:
        return len(self.lines) < self.needed


@dataclass(frozen=True)
class SigningPage:
    record: dict[str, Any]
    boxes: list[Box]
    newest: bool
    footage: list[tuple[str, str]] = field(default_factory=list)
    officer_names: list[str] = field(default_factory=list)
    party_name: str = ""

    @property
    def waiting(self) -> list[Box]:
        """Boxes the document still needs a signature or refusal in."""
        return [b for b in self.boxes if b.open]

    def box(self, slot: str) -> Box | None:
        """The box whose next line is ``slot``, else the first one still open."""
        chosen = next((b for b in self.boxes if b.next_slot == slot), None)
        return chosen or (self.waiting[0] if self.waiting else None)

    def default_name(self, box: Box) -> str:
        return self.party_name if box.role in ("party", "recipient") else ""


def _lines(details: Mapping[str, Any], role: str) -> list[dict[str, Any]]:
    out = []
    for s in details.get("signatures", []):
        if s.get("role") == role:
            at = parse_datetime(s.get("signed_at"))
            when = f"　{format_datetime(at)}" if at else ""
            how = "（手写签名）" if s.get("image_sha256") else ""
            out.append({"text": f"{s.get('name', '')}{how}{when}", "refused": False})
    for r in details.get("refusals", []):
        if r.get("role") == role:
            text = f"{r.get('name', '')}拒绝签名：{r.get('reason', '')}"
            out.append({"text": text, "refused": True})
    return out


def signing_page(store: Store, case: Mapping[str, Any], record_id: str) -> SigningPage:
    """The page of document ``record_id`` of ``case`` (NotFound: not this case's document)."""
    record = signing_record(store, str(case["id"]), record_id)
    if record is None:
        raise NotFound(f"record: 本案没有文书 {record_id}")
    kind = signable(record)
    details = record["details"]
    boxes = []
    for spec in kind.signatures:
        if spec.role not in vocab.SIGNATURE_ROLES:
            continue
        lines = _lines(details, spec.role)
        taken = taken_lines(details, spec.role)
        needed = spec.minimum if spec.required else 0
        boxes.append(
            Box(
                spec.role,
                spec.label,
                lines,
                slot_of(spec.role, taken),
                max(needed, len(lines)),
                spec.refusal_needs_witness,
            )
        )
    roster = {str(o["id"]): o["name"] for o in agency_officers(store, str(case["agency_id"]))}
    footage = [
        (str(r["id"]), f"{r['title']}（{_start(r['details'])}）")
        for r in case_footage(store, str(case["id"]))
    ]
    view = {k: record[k] for k in ("id", "title", "version", "doc_kind", "created_at")}
    view["number"] = details.get("number", "")
    return SigningPage(
        record=view,
        boxes=boxes,
        newest=not record["newer"],
        footage=footage,
        officer_names=[roster[o] for o in details.get("officer_ids", []) if o in roster],
        party_name=str((case.get("party") or {}).get("name", "")),
    )


def _start(details: Mapping[str, Any]) -> str:
    segments = details.get("segments") or []
    start = parse_datetime(segments[0].get("start")) if segments else None
    return format_datetime(start) if start else "时间未知"
