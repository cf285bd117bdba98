"""The dashboard as an .xlsx workbook for 评议考核 (002§35): one sheet per view."""

from __future__ import annotations

from io import BytesIO
from typing import TYPE_CHECKING, Any

from liuhen.ledger.events import Actor
from liuhen.services.cases.cases import PROCEDURES, STAGES
from liuhen.services.cases.summaries import categories
from liuhen.services.oversight.dashboard import Dashboard, Tally
from liuhen.store.store import Store

if TYPE_CHECKING:
    from openpyxl import Workbook

RED = "B3261E"
"""The head row's fill and the colour of a figure that is bad news."""


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:g}%"


def _columns() -> list[str]:
    return [
        "案件数",
        "应音像记录环节",
        "已音像记录",
        "音像记录率",
        "音像已存储",
        "逾期存储",
        "按时存储率",
        "按时形成案卷",
        "逾期形成案卷",
        "案卷按时率",
        "违规问题",
        "有逾期事项的案件",
        *[c.name for c in categories()],
        *["阶段：" + name for name in STAGES.values()],
        *["程序：" + name for name in PROCEDURES.values()],
    ]


def _figures(t: Tally) -> list[Any]:
    return [
        t.cases,
        t.av_needed,
        t.av_have,
        _pct(t.av_share),
        t.av_done,
        t.av_late,
        _pct(t.av_on_time),
        t.files_on_time,
        t.files_late,
        _pct(t.files_share),
        t.violations,
        t.overdue_cases,
        *[t.categories.get(c.id, 0) for c in categories()],
        *[t.stages.get(key, 0) for key in STAGES],
        *[t.procedures.get(key, 0) for key in PROCEDURES],
    ]


def _sheet(wb: Workbook, title: str, head: list[str], rows: list[list[Any]]) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill  # openpyxl: see ``workbook``
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title)
    ws.append(head)
    for cell in ws[1]:
        cell.font = Font(color="FFFFFF", bold=True)
        cell.fill = PatternFill("solid", fgColor=RED)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for row in rows:
        ws.append(row)
    for i, name in enumerate(head, start=1):
        width = max([len(str(name))] + [len(str(r[i - 1])) for r in rows[:200]]) + 2
        ws.column_dimensions[get_column_letter(i)].width = min(max(width * 1.6, 8), 60)
    ws.freeze_panes = "B2"
    for row in ws.iter_rows(min_row=2):
        for j, cell in enumerate(row):
            if head[j] in ("逾期存储", "逾期形成案卷", "违规问题") and cell.value:
                cell.font = Font(color=RED, bold=True)


def workbook(store: Store, actor: Actor, dash: Dashboard) -> bytes:
    """The workbook's bytes; the export itself is on the ledger."""
    from openpyxl import Workbook  # on first use: ~0.2 s a process that never writes one

    wb = Workbook()
    default = wb.active  # the empty sheet a new workbook starts with
    assert default is not None
    wb.remove(default)
    f = dash.filters
    cols = _columns()
    _sheet(wb, "总览", ["项目", "数值"], _overview(store, dash, cols))
    _breakdown_sheets(wb, dash, cols)
    _sheet(
        wb,
        "逾期事项",
        ["期限", "案件编号", "案件名称", "科室", "依据", "事项"],
        _overdue_rows(dash),
    )
    _sheet(
        wb,
        "问题类别",
        ["类别", "依据"],
        [[c.name, "、".join(c.citations)] for c in categories()],
    )
    out = BytesIO()
    wb.save(out)
    with store.transaction(actor) as tx:
        tx.record(
            "dashboard.exported",
            subject_type="dashboard",
            subject_id=f.agency_id or "*",
            payload={"filters": f.query(), "format": "xlsx"},
        )
    return out.getvalue()


def _overview(store: Store, dash: Dashboard, cols: list[str]) -> list[list[Any]]:
    """The filters the figures were counted under, then the totals, one per row."""
    f = dash.filters
    period = f"{f.start:%Y-%m} 至 {f.end:%Y-%m}"
    return [
        ["统计期间（立案月份）", period],
        ["统计时点", dash.now.astimezone(store.settings.tz).strftime("%Y-%m-%d %H:%M")],
        ["科室", f.section or "全部"],
        ["执法人员", dash.officer_names.get(f.officer, f.officer) or "全部"],
        *[[name, value] for name, value in zip(cols, _figures(dash.total), strict=True)],
    ]


def _breakdown_sheets(wb: Workbook, dash: Dashboard, cols: list[str]) -> None:
    """The figures by agency, section, officer and month, one sheet each."""
    _sheet(
        wb,
        "按机关",
        ["机关", *cols],
        [[dash.agencies.get(k, k), *_figures(v)] for k, v in dash.by_agency.items()],
    )
    _sheet(
        wb,
        "按科室",
        ["科室", *cols],
        [[k or "（未填科室）", *_figures(v)] for k, v in dash.by_section.items()],
    )
    _sheet(
        wb,
        "按执法人员",
        ["执法人员", *cols],
        [[dash.officer_names.get(k, k), *_figures(v)] for k, v in dash.by_officer.items()],
    )
    _sheet(wb, "月度趋势", ["月份", *cols], [[f"{m:%Y-%m}", *_figures(v)] for m, v in dash.months])


def _overdue_rows(dash: Dashboard) -> list[list[Any]]:
    return [
        [
            o["due"][:16].replace("T", " "),
            o["number"],
            o["title"],
            o["section"],
            o["citation"],
            o["message"],
        ]
        for o in dash.overdue
    ]
