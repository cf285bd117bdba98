"""案卷评查 of a closed case (评议考核, 002§35): its 评查表 computed from its findings, and the
manual lines a reviewer scores and signs.

The sheet is the case's profile's ``score_sheet`` (``rules/scoring.py``). Each deduction
names the finding it comes from, linked to that finding on the case page. A reviewer
(``case.review``: 法制审核人员, 机关负责人, 监督人员) scores every manual line and signs:
that is one new insert-only version in ``case_reviews`` (the scores and the sheet as it
stood) and one ``case.reviewed`` event. A re-score is the next version: the reviewer says
which version they saw, the case is locked, and a version saved by someone else in between
is a ``Conflict`` (``uq_case_reviews_version`` holds it even without the lock).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from liuhen.domain.finding import Finding
from liuhen.errors import Conflict, InvalidInput, LiuhenError
from liuhen.ledger.events import Actor
from liuhen.rules.scoring import (
    ManualScore,
    ScoreCard,
    manual_from,
    manual_problems,
    plain,
    score,
)
from liuhen.rules.sources.bundle import stored_case
from liuhen.rules.sources.profiles import load_profile
from liuhen.services.cases.bundles import bundle_findings, bundle_of
from liuhen.services.cases.cases import PROCEDURES
from liuhen.services.cases.queries.case_rows import load_rows
from liuhen.services.oversight.queries import review_versions
from liuhen.services.permissions import allowed, require_case
from liuhen.store.store import Store
from liuhen.store.unit import new_id


@dataclass
class Review:
    """A case's 评查表 as it stands: the card from its findings and the newest manual
    scores, the signed versions, and what stops it (``problem``)."""

    case: dict[str, Any]
    procedure_name: str
    profile_name: str = ""
    closed_at: datetime | None = None
    card: ScoreCard | None = None
    manual: dict[str, ManualScore] = field(default_factory=dict)
    versions: list[dict[str, Any]] = field(default_factory=list)
    problem: str = ""
    findings: list[Finding] = field(default_factory=list)
    """The case's findings now (the card's source)."""

    @property
    def version(self) -> int:
        """The newest signed version (0: none yet)."""
        return self.versions[-1]["version"] if self.versions else 0

    @property
    def signed(self) -> dict[str, Any] | None:
        return self.versions[-1] if self.versions else None


def finding_anchor(f: Finding) -> str:
    """The id of a finding's entry on the case page (``case.html``)."""
    return f"f-{f.rule_id}-{f.subject.kind}-{f.subject.id}"


def load_review(
    store: Store,
    actor: Actor,
    case_id: str,
    *,
    case: Mapping[str, Any] | None = None,
    now: datetime | None = None,
    action: str = "case.read",
) -> Review:
    """The case's 评查表 (reads the case's rows once and its signed versions); records
    nothing (the caller's page or export does)."""
    loaded = require_case(store, actor, action, case_id, case)
    rows = load_rows(store, loaded)
    with store.read() as conn:
        versions = review_versions(conn, case_id)
    review = Review(
        case=dict(loaded),
        procedure_name=PROCEDURES.get(loaded["procedure"], loaded["procedure"]),
        closed_at=rows.closed_at(),
        versions=versions,
    )
    if review.closed_at is None:
        review.problem = "案件尚未结案：结案后按评查表评分。"
        return review
    try:
        profile = load_profile(str(loaded["profile_id"] or ""))
        review.profile_name = profile.name
        if profile.score_sheet is None:
            review.problem = f"{profile.name}没有评查表（制度配置的 score_sheet）。"
            return review
        bundle = bundle_of(rows, store.settings.tz)
        found = bundle_findings(bundle, now or store.clock(), store.calendar(), stored_case(bundle))
    except LiuhenError as exc:
        review.problem = f"暂时无法评查：{exc.message}"
        return review
    signed = versions[-1]["scores"] if versions else {}
    review.manual = manual_from(signed)
    review.findings = found
    review.card = score(profile.score_sheet, found, review.manual)
    return review


def sign_review(
    store: Store,
    actor: Actor,
    case_id: str,
    seen: int,
    scores: Mapping[str, Any],
    *,
    case: Mapping[str, Any] | None = None,
    loaded: Review | None = None,
) -> dict[str, Any]:
    """Save the reviewer's manual scores of every manual line as the next signed version of
    the case's 评查表, after version ``seen`` (the one the reviewer's page showed). Nothing is
    saved when a score is wrong (``InvalidInput`` naming each field) or another version was
    signed since (``Conflict``). Returns the version's id, number, total and grade. ``loaded``:
    the review as the caller read it in this request with ``action="case.review"``.

    Long: the sheet is computed and every score checked first; then one transaction locks
    the case, checks the newest version is still ``seen``, inserts the next one and records
    case.reviewed with every deduction and the finding it comes from."""
    if loaded is not None and loaded.case["id"] == case_id:
        review = loaded  # the page's read of this request (``load_review`` as case.review)
        require_case(store, actor, "case.review", case_id, case or loaded.case)
    else:
        review = load_review(store, actor, case_id, case=case, action="case.review")
    if review.card is None:
        raise Conflict(review.problem or "该案件不能评查")
    sheet = review.card.sheet
    problems = manual_problems(sheet, scores)
    problems += [
        f"scores.{line.id}: 请评分（{line.title}）"
        for line in sheet.manual_lines()
        if line.id not in scores
    ]
    if problems:
        raise InvalidInput("评查评分有误", details=problems)
    manual = manual_from(scores)
    card = score(sheet, review.findings, manual)
    body = card_dict(card)
    assert review.closed_at is not None
    year = review.closed_at.astimezone(store.settings.tz).year
    review_id = new_id()
    with store.transaction(actor) as tx:
        tx.lock("cases", case_id)
        newest = review_versions(tx.conn, case_id)
        latest = newest[-1] if newest else None
        if (latest["version"] if latest else 0) != seen:
            raise Conflict(
                f"评查表刚由{latest['reviewer'] if latest else '他人'}签名为第 "
                f"{latest['version'] if latest else 0} 版（您看到的是第 {seen} 版）：请刷新后再评分"
            )
        version = seen + 1
        tx.insert(
            "case_reviews",
            {
                "id": review_id,
                "case_id": case_id,
                "version": version,
                "supersedes_id": latest["id"] if latest else None,
                "profile_id": str(review.case.get("profile_id") or ""),
                "year": year,
                "scores": {k: v.to_dict() for k, v in manual.items()},
                "card": body,
                "total": str(plain(card.total)),
                "grade": card.grade,
                "created_by": actor.id or "system",
                "created_at": store.clock(),
            },
        )
        tx.record(
            "case.reviewed",
            subject_type="case",
            subject_id=case_id,
            case_id=case_id,
            payload={
                "review_id": review_id,
                "version": version,
                "supersedes": latest["id"] if latest else None,
                "year": year,
                "scores": {k: v.to_dict() for k, v in manual.items()},
                **body,
            },
        )
    return {"id": review_id, "version": version, "total": plain(card.total), "grade": card.grade}


def card_dict(card: ScoreCard) -> dict[str, Any]:
    """The card as stored with a signed version and its event: totals, every deduction with
    the finding (rule, subject, citation) or manual score it comes from, and the vetoes."""
    return {
        "sheet": card.sheet.title,
        "total": plain(card.total),
        "grade": card.grade,
        "failed": card.failed,
        "categories": [
            {"id": c.category.id, "points": plain(c.category.points), "score": plain(c.score)}
            for c in card.categories
        ],
        "deductions": [
            {
                "line": d.line.id,
                "citation": d.line.citation,
                "points": plain(d.points),
                **_source(d.finding, d.manual),
            }
            for d in card.deductions()
        ],
        "vetoes": [
            {"line": v.line.id, "citation": v.line.citation, **_source(v.finding, v.manual)}
            for v in card.vetoes
        ],
    }


def _source(f: Finding | None, m: ManualScore | None) -> dict[str, Any]:
    if f is not None:
        return {
            "rule": f.rule_id,
            "subject": [f.subject.kind, f.subject.id],
            "finding_citation": f.citation,
            "message": f.message,
        }
    return {"manual": True, "note": m.note if m is not None else ""}


def may_review(actor: Actor, case: Mapping[str, Any]) -> bool:
    return allowed(actor, "case.review", case)
