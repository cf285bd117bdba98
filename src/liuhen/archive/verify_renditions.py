"""Step 6 of ``verify-package``: the archive formats — the case file as PDF/A and the OFD
renditions (GB/T 33190) of the case file and of each issued document.

The file index (``data/metadata/files.json``) says what the export made: ``case_file``
``conformance`` (``PDF/A-2B`` when the case file passed the offline PDF/A check at export)
and ``renditions`` (each OFD file with its SHA-256, SM3, size and the PDF it renders). Here:

- a case file that claims PDF/A must pass ``pdfa_check.pdfa_problems`` now;
- each rendition must be in the package with its recorded digests and size, open as OFD
  (``ofd_read``), have as many pages as its PDF and the same text on each page (whitespace
  aside) as the PDF's text layer.

A package exported before these formats existed has neither key: the report notes it and
the step passes (the package is as verifiable as it was when it was made).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from liuhen.archive.package_report import Bag, PackageReport

PDFA_CHECK = "LiuHen 离线 PDF/A 检查（pypdf：文件结构、XMP 标识与元数据一致、输出意图、字体嵌入、动作与注释）"


def check_renditions(bag: Bag, report: PackageReport, index: Mapping[str, Any]) -> None:
    case_file = index.get("case_file") or {}
    renditions = index.get("renditions")
    if renditions is None and "conformance" not in case_file:
        report.notes.append(
            "本包导出时尚无 PDF/A 案卷和 OFD 版式文件（本版以前导出），未核验这两项"
        )
        return
    _check_case_file(bag, report, case_file)
    good = 0
    for entry in renditions or []:
        good += _check_ofd(bag, report, entry)
    if good:
        report.notes.append(
            f"OFD 版式文件 {good} 个（GB/T 33190），能打开且文字与所依据的 PDF 一致"
        )


def _check_case_file(bag: Bag, report: PackageReport, case_file: Mapping[str, Any]) -> None:
    from liuhen.archive.pdfa_check import pdfa_problems

    rel = str(case_file.get("path") or "data/case-file.pdf")
    claim = case_file.get("conformance") or ""
    if not claim:
        why = "；".join(str(p) for p in case_file.get("pdfa_problems") or []) or "未说明"
        report.notes.append(f"案卷 PDF 导出时未能制成 PDF/A：{why}")
        return
    pdf = bag.read(rel)
    if pdf is None:
        return  # the bag step has named the missing file
    problems = pdfa_problems(pdf)
    if problems:
        report.add(
            rel,
            "pdfa_invalid",
            f"案卷 PDF 标明 {claim}，但未通过 PDF/A 检查：{'；'.join(problems[:5])}",
        )
    else:
        report.notes.append(f"案卷 PDF 为 {claim}，通过 {PDFA_CHECK}")


def _check_ofd(bag: Bag, report: PackageReport, entry: Mapping[str, Any]) -> int:
    from liuhen.archive.ofd import text_layout
    from liuhen.archive.ofd_read import OfdInvalid, read_ofd

    rel, source = str(entry.get("path", "")), str(entry.get("source", ""))
    data = bag.read(rel)
    if data is None:
        report.add(rel, "file_missing", "文件清单（files.json）列出的 OFD 版式文件不在包中")
        return 0
    got = bag.computed.get(rel)
    if got is not None and tuple(got) != (entry.get("sha256"), entry.get("sm3"), entry.get("size")):
        report.add(rel, "metadata_mismatch", "OFD 版式文件的 SHA-256、SM3 或大小与文件清单不符")
    try:
        pages = read_ofd(data)
    except OfdInvalid as exc:
        report.add(rel, "ofd_invalid", f"不是有效的 OFD 版式文件：{exc}")
        return 0
    pdf = bag.read(source)
    if pdf is None:
        report.add(rel, "ofd_source_missing", f"OFD 版式文件所依据的 {source} 不在包中")
        return 0
    expected = [page.text() for page in text_layout(pdf)]
    if len(pages) != len(expected):
        report.add(
            rel, "ofd_text_mismatch", f"OFD 有 {len(pages)} 页，{source} 有 {len(expected)} 页"
        )
        return 0
    for number, (ours, theirs) in enumerate(zip(pages, expected, strict=True), start=1):
        if _squash(ours) != _squash(theirs):
            report.add(rel, "ofd_text_mismatch", f"OFD 第 {number} 页的文字与 {source} 不一致")
            return 0
    return 1


def _squash(text: str) -> str:
    return "".join(text.split())
