"""The 评查表 as rows: every line of the sheet under its category, with what it lost and
why (each finding, or the reviewer's note). The page, the PDF and the workbook draw it."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from liuhen.domain.finding import SUBJECT_KINDS
from liuhen.rules.scoring import Deduction, Line, ScoreCard, Veto, plain
from liuhen.services.oversight.scoring import Review, finding_anchor


def review_view(review: Review, tz: tzinfo) -> dict[str, Any]:
    """What every form of the 评查表 shows (``card`` None: the problem instead)."""
    case = review.case
    signed = review.signed
    out: dict[str, Any] = {
        "case": {
            "id": case["id"],
            "number": case["number"],
            "title": case["title"],
            "section": case.get("section") or "",
            "agency": case.get("agency_name") or "",
            "procedure": review.procedure_name,
            "closed_at": _local(review.closed_at, tz),
        },
        "profile": review.profile_name,
        "problem": review.problem,
        "version": review.version,
        "signed": None
        if signed is None
        else {
            "version": signed["version"],
            "reviewer": signed.get("reviewer") or "",
            "at": _local(signed["created_at"], tz),
        },
        "history": [
            {
                "version": v["version"],
                "reviewer": v.get("reviewer") or "",
                "at": _local(v["created_at"], tz),
                "total": v["total"],
                "grade": v["grade"],
            }
            for v in reversed(review.versions)
        ],
    }
    if review.card is not None:
        out.update(_card(review, review.card))
    return out


def _card(review: Review, card: ScoreCard) -> dict[str, Any]:
    href = f"/cases/{review.case['id']}#"
    lost: dict[str, list[Deduction]] = {}
    for d in card.deductions():
        lost.setdefault(d.line.id, []).append(d)
    vetoed: dict[str, list[Veto]] = {}
    for v in card.vetoes:
        vetoed.setdefault(v.line.id, []).append(v)
    categories = []
    for c in card.categories:
        lines = [x for x in card.sheet.lines if x.category == c.category.id]
        extra = [d.line for d in c.deductions if card.sheet.line(d.line.id) is None]
        seen: set[str] = set()
        rows = []
        for line in [*lines, *extra]:
            if line.id in seen:
                continue
            seen.add(line.id)
            rows.append(_row(line, lost.get(line.id, []), vetoed.get(line.id, []), review, href))
        categories.append(
            {
                "id": c.category.id,
                "name": c.category.name,
                "points": plain(c.category.points),
                "score": plain(c.score),
                "lost": plain(c.lost),
                "rows": rows,
            }
        )
    return {
        "title": card.sheet.title,
        "citation": card.sheet.citation,
        "categories": categories,
        "total": plain(card.total),
        "points": plain(card.sheet.points),
        "grade": card.grade,
        "failed": card.failed,
        "complete": card.complete,
        "unscored": [x.title for x in card.unscored],
        "pending": len(card.pending),
        "bands": [{"grade": b.grade, "min": plain(b.min)} for b in card.sheet.bands],
        "bands_text": _bands(card),
        "manual": _manual_lines(review),
    }


def _row(
    line: Line, lost: list[Deduction], vetoes: list[Veto], review: Review, href: str
) -> dict[str, Any]:
    reasons = [_reason(d.finding, d.manual, href, d.points, d.capped) for d in lost]
    reasons += [_reason(v.finding, v.manual, href, None, False) for v in vetoes]
    scored = review.manual.get(line.id)
    return {
        "id": line.id,
        "title": line.title,
        "citation": line.citation,
        "kind": ("评查人判定" if line.manual else "按发现")
        if line.veto
        else ("人工评分" if line.manual else "按发现扣分"),
        "rule": _describe(line),
        "lost": plain(sum(d.points for d in lost)),
        "vetoed": bool(vetoes),
        "unscored": line.manual and scored is None,
        "reasons": reasons,
    }


def _bands(card: ScoreCard) -> str:
    """优秀 90 分及以上；合格 60 分及以上；不合格 低于 60 分."""
    ordered = sorted(card.sheet.bands, key=lambda b: b.min, reverse=True)
    parts = [f"{b.grade} {plain(b.min)} 分及以上" for b in ordered[:-1]]
    if len(ordered) > 1:
        parts.append(f"{ordered[-1].grade} 低于 {plain(ordered[-2].min)} 分")
    return "；".join(parts) or ordered[0].grade


def _describe(line: Line) -> str:
    """How the line costs points: 一票否决, 每项扣 2 分，最多扣 6 分, 最多扣 15 分."""
    if line.veto:
        return "一票否决"
    parts = [f"每项扣 {plain(line.deduct)} 分"] if line.deduct and not line.manual else []
    if line.max:
        parts.append(f"最多扣 {plain(line.max)} 分")
    return "，".join(parts)


def _reason(f: Any, m: Any, href: str, points: float | None, capped: bool) -> dict[str, Any]:
    if f is not None:
        return {
            "text": f.message,
            "rule": f.rule_id,
            "subject": SUBJECT_KINDS.get(f.subject.kind, f.subject.kind),
            "finding": f"{f.rule_id}（{SUBJECT_KINDS.get(f.subject.kind, f.subject.kind)}）",
            "citation": f.citation,
            "href": href + finding_anchor(f),
            "points": None if points is None else plain(points),
            "capped": capped,
        }
    return {
        "text": (m.note if m is not None else "") or "评查人评定",
        "rule": "",
        "subject": "",
        "finding": "评查人评定",
        "citation": "",
        "href": "",
        "points": None if points is None else plain(points),
        "capped": capped,
    }


def _manual_lines(review: Review) -> list[dict[str, Any]]:
    """The lines the reviewer scores, with the newest signed scores filled in."""
    assert review.card is not None
    out = []
    for line in review.card.sheet.manual_lines():
        given = review.manual.get(line.id)
        out.append(
            {
                "id": line.id,
                "title": line.title,
                "citation": line.citation,
                "veto": line.veto,
                "max": plain(line.max or 0),
                "deduct": "" if given is None else plain(given.deduct),
                "vetoed": bool(given and given.veto),
                "note": given.note if given else "",
            }
        )
    return out


def _local(moment: Any, tz: tzinfo) -> str:
    return "" if moment is None else moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")
