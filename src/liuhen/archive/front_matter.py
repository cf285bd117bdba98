"""What the case file says about itself: the cover, the rows of the 卷内目录 and the 备考表.

Cover items after GB/T 9705-2008 and the 评查 practice of reference §2.3: 案卷题名 (party +
violation + 案), case and decision numbers, the unit that handled it, opening and closing
dates, retention, items and pages; 全宗号/目录号/案卷号 and 归档号 are left for the archive.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from liuhen.archive.items import CaseFileOptions, Item, parse_time
from liuhen.documents.values import format_date, format_datetime
from liuhen.domain import vocab

KIND_BY_PROCEDURE = {
    "general": "行政处罚案卷",
    "simple": "行政处罚案卷",
    "coercion": "行政强制案卷",
    "inspection": "行政检查案卷",
}
DEFAULT_RETENTION = {"general": "永久", "coercion": "永久"}
"""一般程序 = 重要 → 永久, others 30 年 (国家档案局令第8号 as agencies commonly apply it)."""
DECISION_KINDS = (
    "penalty_decision",
    "no_penalty_decision",
    "on_the_spot_decision",
    "coercion_decision",
)


def case_title(bundle: Mapping[str, Any]) -> str:
    """案卷题名: 当事人 + 违法行为 + 案 when the cause is known, else the case title."""
    case = bundle.get("case", {})
    party = bundle.get("party", {}).get("name", "")
    cause = case.get("cause", "")
    if cause:
        title = cause if cause.startswith(party) else f"{party}{cause}"
        return title if title.endswith("案") else f"{title}案"
    return str(case.get("title") or case.get("number", ""))


def catalogue_rows(items: Sequence[Item]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    volumes = {item.internal for item in items}
    last_volume: bool | None = None
    for i, item in enumerate(items, start=1):
        if len(volumes) > 1 and item.internal != last_volume:
            rows.append({"volume": "副卷" if item.internal else "正卷"})
        last_volume = item.internal
        pages = str(item.first_page)
        if i == len(items) and item.last_page != item.first_page:
            pages = f"{item.first_page}-{item.last_page}"
        rows.append(
            {
                "volume": "",
                "seq": i,
                "number": item.number,
                "author": item.author,
                "title": item.title,
                "date": item.date.strftime("%Y%m%d") if item.date else "",
                "pages": pages,
                "remark": {"generated": "据数据生成", "rendered": "据数据排版"}.get(
                    item.source, ""
                ),
            }
        )
    return rows


def day(text: object) -> str:
    moment = parse_time(text)
    return format_date(moment.date()) if moment else ""


def cover_view(
    bundle: Mapping[str, Any], title: str, items: Sequence[Item], pages: int, made_at: datetime
) -> dict[str, Any]:
    case = bundle.get("case", {})
    agency = bundle.get("agency", {})
    decisions = [
        r.get("number", "")
        for r in bundle.get("text_records", [])
        if r.get("kind") in DECISION_KINDS
    ]
    retention = ((bundle.get("case_file") or {}).get("retention") or {}).get("term")
    keep = vocab.RETENTION_TERMS.get(retention or "", "") if retention not in (None, "case") else ""
    rows = [
        ("案卷题名", title),
        ("案号", case.get("number", "")),
        ("决定书文号", "、".join(d for d in decisions if d)),
        ("办案机构", agency.get("unit") or agency.get("name", "")),
        ("立案日期", day(case.get("opened_at"))),
        ("结案日期", day(case.get("ended_at"))),
        ("保管期限", keep or DEFAULT_RETENTION.get(case.get("procedure", ""), "30年")),
        ("卷内件数、页数", f"共 {len(items)} 件，{pages} 页"),
        ("归档号", ""),
    ]
    return {
        "fonds": "",
        "agency": agency.get("name", ""),
        "kind": KIND_BY_PROCEDURE.get(case.get("procedure", ""), "行政执法案卷"),
        "title": title,
        "rows": rows,
        "footer": f"留痕系统生成于 {format_datetime(made_at)}",
    }


def source_notes(items: Sequence[Item]) -> list[str]:
    def seqs(source: str) -> str:
        return "、".join(
            f"第 {i} 件"
            for i, it in enumerate(items, 1)
            if it.source == source and it.kind == "text"
        )

    notes = []
    if seqs("generated"):
        notes.append(f"{seqs('generated')}在系统中未存原件，由系统根据案件数据生成。")
    if seqs("rendered"):
        notes.append(f"{seqs('rendered')}在系统中未存原件，由系统根据案件数据按文书格式排版。")
    return notes


def back_view(
    bundle: Mapping[str, Any],
    title: str,
    items: Sequence[Item],
    pages: int,
    made_at: datetime,
    options: CaseFileOptions,
    notes: Sequence[str],
) -> dict[str, Any]:
    case_file = bundle.get("case_file") or {}
    av = [it for it in items if it.kind == "av"]
    paragraphs = [
        f"本卷共有文件材料 {len(items)} 件，共 {pages} 页（封面、卷内目录和本表不编页号）。"
    ]
    if av:
        paragraphs.append(
            f"本卷含音像资料说明 {len(av)} 份；音像原始文件的存储位置、制作方法、制作时间、制作人和证明对象"
            "见各说明页，原始文件随电子归档包保存。"
        )
    if any(it.internal for it in items):
        paragraphs.append("内部审批、法制审核、集体讨论等材料列入副卷，不对外公开。")
    if not notes:
        paragraphs.append("卷内材料齐全，无缺损、修改、补充、移出情况。")
    return {
        "title": title,
        "paragraphs": paragraphs,
        "points": list(notes),
        "prepared_by": options.prepared_by or case_file.get("custodian", ""),
        "prepared_on": format_date(made_at.date()),
        "formed_on": day(case_file.get("formed_at")) or format_date(made_at.date()),
        "footer": f"本电子案卷由留痕系统于 {format_datetime(made_at)} 生成。",
    }
