"""The 评查表 exported: as a PDF (``documents/review_sheet``, sealed by the case's agency like
its case file), as an .xlsx workbook (openpyxl, as the dashboard's export), and bound into
the case file's 副卷 once a reviewer has signed it. Every export is a ledger event
(``case.review_exported``, with the format)."""

from __future__ import annotations

from collections.abc import Mapping
from io import BytesIO
from typing import Any

from liuhen.archive.items import Appendix
from liuhen.documents.review_sheet import render_review_sheet
from liuhen.errors import Conflict
from liuhen.ledger.events import Actor
from liuhen.services.archiving.seals import Sealer
from liuhen.services.oversight.scoring import Review, load_review
from liuhen.services.oversight.scoring_view import review_view
from liuhen.store.store import Store

HEAD_COLOUR = "B3261E"


def _ready(
    store: Store, actor: Actor, case_id: str, case: Mapping[str, Any] | None, fmt: str
) -> Review:
    """The review to export; one that cannot be (an open case) is refused, the asking on
    the ledger all the same."""
    review = load_review(store, actor, case_id, case=case)
    if review.card is None:
        problem = review.problem or "该案件没有评查表"
        _recorded(store, actor, review, fmt, refused=problem)
        raise Conflict(problem)
    return review


def _recorded(store: Store, actor: Actor, review: Review, fmt: str, refused: str = "") -> None:
    store.record_view(
        actor,
        "case.review_exported",
        subject_type="case",
        subject_id=str(review.case["id"]),
        case_id=str(review.case["id"]),
        payload={
            "format": fmt,
            "version": review.version,
            **({"refused": refused} if refused else {}),
        },
    )


def file_name(review: Review, ext: str) -> str:
    return f"案卷评查表-{review.case['number']}.{ext}"


def review_pdf(
    store: Store, actor: Actor, case_id: str, *, case: Mapping[str, Any] | None = None
) -> tuple[str, bytes]:
    """The 评查表 as a sealed PDF, and its file name."""
    review = _ready(store, actor, case_id, case, "pdf")
    pdf = _sealed(store, actor, review, render_review_sheet(review_view(review, store.settings.tz)))
    _recorded(store, actor, review, "pdf")
    return file_name(review, "pdf"), pdf


def _sealed(store: Store, actor: Actor, review: Review, pdf: bytes) -> bytes:
    sealer = Sealer(store, str(review.case["agency_id"]), str(review.case["agency_name"]))
    if sealer.issued:
        with store.transaction(actor) as tx:
            sealer.record_issue(tx)
    return sealer.seal(pdf, reason=f"案卷评查表 {review.case['number']}")


def review_xlsx(
    store: Store, actor: Actor, case_id: str, *, case: Mapping[str, Any] | None = None
) -> tuple[str, bytes]:
    """The 评查表 as a workbook (one row a line, one a reason), and its file name."""
    review = _ready(store, actor, case_id, case, "xlsx")
    view = review_view(review, store.settings.tz)
    from openpyxl import Workbook  # on first use: ~0.2 s a process that never writes one
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "评查表"
    c = view["case"]
    for row in (
        [view["title"]],
        ["案件编号", c["number"], "案件名称", c["title"]],
        ["程序", c["procedure"], "结案时间", c["closed_at"]],
        ["评查依据", f"{view['profile']}（{view['citation']}）"],
        [],
        [
            "类别",
            "类别分值",
            "类别得分",
            "评查项目",
            "依据",
            "计分方法",
            "扣分",
            "扣分理由",
            "评查发现",
        ],
    ):
        ws.append(row)
    for head in ws[6]:
        head.font = Font(color="FFFFFF", bold=True)
        head.fill = PatternFill("solid", fgColor=HEAD_COLOUR)
    for cat in view["categories"]:
        for r in cat["rows"]:
            lost = "否决" if r["vetoed"] else ("待评" if r["unscored"] else r["lost"])
            reasons = r["reasons"] or [{"text": "", "finding": ""}]
            for why in reasons:
                ws.append(
                    [cat["name"], cat["points"], cat["score"], r["title"], r["citation"],
                     r["rule"], lost, why["text"], why["finding"]]
                )  # fmt: skip
    signed = view["signed"] or {}
    ws.append([])
    ws.append(["总分", view["total"], "满分", view["points"], "等次", view["grade"]])
    ws.append(["评查人", signed.get("reviewer", "（未签名）"), "签名时间", signed.get("at", "")])
    for letter, width in zip("ABCDEFGHI", (10, 8, 8, 36, 14, 18, 6, 48, 28), strict=True):
        ws.column_dimensions[letter].width = width
    for cells in ws.iter_rows(min_row=7):
        for each in cells:
            each.alignment = Alignment(wrap_text=True, vertical="top")
    out = BytesIO()
    wb.save(out)
    _recorded(store, actor, review, "xlsx")
    return file_name(review, "xlsx"), out.getvalue()


def case_file_appendix(
    store: Store, actor: Actor, case_id: str, case: Mapping[str, Any]
) -> list[Appendix]:
    """The signed 评查表 for the case file's 副卷 (none before a reviewer signs one)."""
    review = load_review(store, actor, case_id, case=case, action="case.export")
    if review.card is None or review.signed is None:
        return []
    view = review_view(review, store.settings.tz)
    return [
        Appendix(
            title=f"{view['title']}（第 {review.version} 版）",
            pdf=render_review_sheet(view),
            date=review.versions[-1]["created_at"],
            author=str(review.signed.get("reviewer") or ""),
        )
    ]
