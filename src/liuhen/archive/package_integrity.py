"""完整性 (integrity) of an archive package, one of the four properties
(``archive.four_properties``): the case's mandatory metadata is present, the catalogue
counts every item without gaps in its numbers or pages, every AV segment is accounted for,
and the ledger excerpt's sequence numbers rise without repeats.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol


class Report(Protocol):
    """Where a check's result goes (``FourPropertiesReport``)."""

    def add(
        self, prop: str, item: str, ok: bool, detail: str = "", level: str = "error"
    ) -> None: ...


def integrity(
    report: Report,
    index: Mapping[str, Any],
    bundle: Mapping[str, Any],
    events: list[dict[str, Any]],
) -> None:
    """Every integrity check of the package whose file index is ``index``, its case data
    ``bundle`` and its ledger excerpt ``events``, in the report's order."""
    _case_metadata(report, bundle)
    _text_records(report, bundle)
    _av_records(report, bundle)
    _catalogue(report, index, bundle)
    _av_files(report, index, bundle)
    seqs = [int(e.get("seq", -1)) for e in events]
    report.add(
        "integrity",
        "日志事件序号",
        seqs == sorted(set(seqs)),
        f"{len(seqs)} 条事件，序号递增、无重复",
    )


def _case_metadata(report: Report, bundle: Mapping[str, Any]) -> None:
    case, party, agency = bundle.get("case", {}), bundle.get("party", {}), bundle.get("agency", {})
    required = {
        "案号": case.get("number"),
        "案件名称": case.get("title"),
        "开始时间": case.get("opened_at"),
        "当事人": party.get("name"),
        "执法机关": agency.get("name"),
    }
    missing = [k for k, v in required.items() if not v]
    report.add(
        "integrity",
        "案件元数据",
        not missing,
        "必备项齐全" if not missing else f"缺少：{'、'.join(missing)}",
    )


def _text_records(report: Report, bundle: Mapping[str, Any]) -> None:
    """A document without its kind or time fails (the complete ones add no line)."""
    for record in bundle.get("text_records", []):
        gaps = [k for k, label in (("kind", "种类"), ("made_at", "制作时间")) if not record.get(k)]
        if gaps:
            report.add(
                "integrity",
                f"文书 {record.get('title') or record.get('id')}",
                False,
                f"缺少{'、'.join(gaps)}",
            )


def _av_records(report: Report, bundle: Mapping[str, Any]) -> None:
    """Each AV record's segments, storage time and retention; its segments in order."""
    for record in bundle.get("av_records", []):
        gaps = [
            label
            for k, label in (
                ("segments", "片段"),
                ("stored_at", "存储时间"),
                ("retention", "保存期限"),
            )
            if not record.get(k)
        ]
        report.add(
            "integrity",
            f"音像记录 {record.get('id')}",
            not gaps,
            "必备项齐全" if not gaps else f"缺少{'、'.join(gaps)}",
        )
        starts = [s.get("start", "") for s in record.get("segments", [])]
        ordered = all(
            datetime.fromisoformat(a["end"]) <= datetime.fromisoformat(b["start"])
            for a, b in zip(
                record.get("segments", []), record.get("segments", [])[1:], strict=False
            )
            if a.get("end") and b.get("start")
        )
        if len(starts) > 1:
            report.add(
                "integrity",
                f"音像记录 {record.get('id')} 的片段顺序",
                ordered,
                "按时间先后、互不重叠" if ordered else "片段时间重叠或顺序颠倒",
            )


def _catalogue(report: Report, index: Mapping[str, Any], bundle: Mapping[str, Any]) -> None:
    """The catalogue counts every item; its numbers and pages run on without gaps."""
    catalogue = index.get("catalogue", [])
    expected = sum(
        len(bundle.get(k, []))
        for k in ("text_records", "approvals", "services", "execution", "av_records")
    )
    report.add(
        "integrity",
        "卷内目录件数",
        len(catalogue) == expected,
        f"卷内 {len(catalogue)} 件，案件数据应有 {expected} 件",
    )
    seq_ok = [c.get("seq") for c in catalogue] == list(range(1, len(catalogue) + 1))
    pages_ok = all(
        b.get("first_page") == a.get("last_page", 0) + 1
        for a, b in zip([{"last_page": 0}, *catalogue], catalogue, strict=False)
    )
    report.add(
        "integrity",
        "卷内目录序号与页号",
        seq_ok and pages_ok,
        "序号、页号连续，无缺号" if seq_ok and pages_ok else "序号或页号不连续",
    )


def _av_files(report: Report, index: Mapping[str, Any], bundle: Mapping[str, Any]) -> None:
    """Every AV segment is either in the package or listed as held by digest only."""
    held = {(f.get("record_id"), f.get("sha256")) for f in index.get("files", [])}
    absent = {(n.get("record_id"), n.get("sha256")) for n in index.get("not_held", [])}
    unaccounted = [
        s.get("file_name", "")
        for r in bundle.get("av_records", [])
        for s in r.get("segments", [])
        if (r["id"], s.get("sha256")) not in held | absent
    ]
    report.add(
        "integrity",
        "音像文件",
        not unaccounted,
        f"随包 {len(held)} 个文件，仅有摘要 {len(absent)} 个"
        if not unaccounted
        else f"未说明去向：{'、'.join(unaccounted)}",
    )
