"""四性检测 of an archive package, after DA/T 70-2018 (文书类电子档案检测一般要求).

    report = assess_package(root, checked_at=now)          # root: a package directory
    report.ok, report.summary()                             # per property: checks, failures

The four properties, as LiuHen can establish them from the package alone:

- 真实性 authenticity: every file's SHA-256, SM3 and size equal the file index; the recorded
  metadata equals the real file (declared type matches the bytes; an AV file's duration
  matches its segment's recorded times — a warning, as clocks drift); the checkpoint is
  signed by the shipped key and every ledger event is in it;
- 完整性 integrity: the case's mandatory metadata is present (number, title, party, agency,
  times; each document's kind and time; each AV record's segments, storage time and
  retention); the catalogue counts every item; every file and AV segment is accounted for;
  no gaps in the catalogue's numbers, the page numbers or the ledger's sequence;
- 可用性 usability: each file opens as its declared format (PDF pages, images, media probed
  with PyAV, text as UTF-8, .docx as a Word package, JSON);
- 安全性 security: the ledger excerpt is linked (chain hashes) and covered by the signed
  checkpoint, and the events that must exist do: the case's creation, its export (in the
  excerpt, or in the package's export record: ``export_recorded``), and every access to its
  files on record.

A check is an ``error`` (the property fails) or a ``warning`` (shown, not failing).
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from liuhen.archive.digests import file_digests
from liuhen.archive.package_integrity import integrity
from liuhen.archive.package_report import FILES, METADATA
from liuhen.archive.verify_export import export_event_of
from liuhen.archive.verify_ledger import check_ledger

PROPERTIES = {
    "authenticity": "真实性",
    "integrity": "完整性",
    "usability": "可用性",
    "security": "安全性",
}
DURATION_SLACK_SECONDS = 2
ACCESS_ACTIONS = frozenset({"record.file_read", "case.exported"})
Digests = Mapping[str, tuple[str, str, int]]


@dataclass
class Check:
    property: str
    item: str
    ok: bool
    detail: str = ""
    level: str = "error"  # error | warning


@dataclass
class FourPropertiesReport:
    standard: str = "DA/T 70-2018"
    checked_at: str = ""
    checks: list[Check] = field(default_factory=list)

    def add(self, prop: str, item: str, ok: bool, detail: str = "", level: str = "error") -> None:
        self.checks.append(Check(prop, item, ok, detail, level))

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks if c.level == "error")

    def summary(self) -> dict[str, dict[str, Any]]:
        out = {}
        for key, name in PROPERTIES.items():
            mine = [c for c in self.checks if c.property == key]
            failed = [c for c in mine if not c.ok and c.level == "error"]
            warned = [c for c in mine if not c.ok and c.level == "warning"]
            out[key] = {
                "name": name,
                "ok": not failed,
                "checks": len(mine),
                "failed": len(failed),
                "warnings": len(warned),
            }
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "standard": self.standard,
            "checked_at": self.checked_at,
            "ok": self.ok,
            "summary": self.summary(),
            "checks": [asdict(c) for c in self.checks],
        }


def _load(root: Path, rel: str) -> Any:
    try:
        return json.loads((root / rel).read_text("utf-8"))
    except (OSError, ValueError):
        return None


def assess_package(
    root: Path,
    *,
    checked_at: datetime,
    digests: Digests | None = None,
    export_recorded: str | None = None,
) -> FourPropertiesReport:
    """The four properties of the package at ``root`` (finished or still being written).

    ``digests`` (path -> sha256, sm3, size) saves re-reading files already hashed.
    ``export_recorded`` says where this package's export event is when it is not in the
    ledger excerpt (at export: still to be written); without it, the export record is read."""
    report = FourPropertiesReport(checked_at=checked_at.isoformat())
    bundle = _load(root, METADATA)
    index = _load(root, FILES)
    if not isinstance(bundle, dict) or not isinstance(index, dict):
        report.add("integrity", METADATA, False, "案件数据或文件清单缺失、无法读取")
        return report
    known = dict(digests or {})
    ledger, cp, events = check_ledger(root)
    if export_recorded is None and (export := export_event_of(root)) is not None:
        export_recorded = f"本包导出事件 #{export['seq']} 在 export-event.json 中，签名与证明成立"
    _authenticity(report, root, index, bundle, known, ledger)
    integrity(report, index, bundle, events)
    _usability(report, root, index)
    _security(report, events, cp, ledger, export_recorded)
    return report


def _digest(
    root: Path, rel: str, known: dict[str, tuple[str, str, int]]
) -> tuple[str, str, int] | None:
    if rel not in known:
        path = root / rel
        if path.is_symlink() or not path.is_file():
            return None  # missing, or not a plain file (a FIFO would never end)
        try:
            known[rel] = file_digests(path)
        except OSError:
            return None
    return known[rel]


def _authenticity(
    report: FourPropertiesReport,
    root: Path,
    index: Mapping[str, Any],
    bundle: Mapping[str, Any],
    known: dict[str, tuple[str, str, int]],
    ledger: Any,
) -> None:
    entries = [*index.get("files", []), index.get("case_file") or {}]
    for entry in entries:
        rel = str(entry.get("path", ""))
        got = _digest(root, rel, known)
        expected = (entry.get("sha256"), entry.get("sm3"), entry.get("size"))
        ok = got is not None and tuple(got) == expected
        report.add(
            "authenticity",
            rel,
            ok,
            "SHA-256、SM3、大小与登记一致" if ok else "摘要或大小与登记不符，或文件缺失",
        )
    segments = {
        (r["id"], s.get("sha256")): s
        for r in bundle.get("av_records", [])
        for s in r.get("segments", [])
    }
    for entry in index.get("files", []):
        segment = segments.get((entry.get("record_id"), entry.get("sha256")))
        if segment is not None and (root / entry["path"]).is_file():
            _media_matches(report, root / entry["path"], entry, segment)
    signature = [
        p
        for p in ledger.problems
        if p.kind in ("checkpoint_signature", "checkpoint_invalid", "key_invalid", "key_mismatch")
    ]
    report.add(
        "authenticity",
        "data/ledger/checkpoint.json",
        not signature and bool(ledger.key_fingerprint),
        signature[0].message
        if signature
        else f"检查点签名有效（公钥指纹 {ledger.key_fingerprint}）",
    )
    failed = [p for p in ledger.problems if p.item.startswith("日志事件")]
    report.add(
        "authenticity",
        "data/ledger/events.jsonl",
        not failed and ledger.events > 0,
        f"{ledger.proofs_verified} 条事件的包含证明成立"
        if not failed
        else f"{failed[0].item}：{failed[0].message}",
    )


def _media_matches(
    report: FourPropertiesReport, path: Path, entry: Mapping[str, Any], segment: Mapping[str, Any]
) -> None:
    from liuhen.media.probe import probe

    facts = probe(path)
    rel = str(entry["path"])
    if not facts.ok:
        return  # usability reports it
    declared = str(entry.get("media_type", "")).split("/")[0]
    actual = facts.media_type.split("/")[0]
    report.add(
        "authenticity",
        rel,
        declared == actual,
        f"登记类型 {entry.get('media_type')}，实为 {facts.media_type}",
    )
    start, end = segment.get("start"), segment.get("end")
    if facts.duration is not None and start and end:
        recorded = (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
        slack = max(DURATION_SLACK_SECONDS, recorded * 0.02)
        ok = abs(recorded - facts.duration) <= slack
        report.add(
            "authenticity",
            rel,
            ok,
            f"记录时段 {recorded:.0f} 秒，文件时长 {facts.duration:.0f} 秒"
            + ("" if ok else "：不一致，请核实设备时钟或片段记录"),
            level="warning",
        )


OFD = "application/ofd"


def _opens(path: Path, media_type: str) -> tuple[bool, str]:
    """Whether ``path`` opens as ``media_type``, and what was seen."""
    try:
        if media_type == "application/pdf":
            from pypdf import PdfReader

            from liuhen.archive.pdf_fonts import cjk_problems

            pages = len(PdfReader(path).pages)
            fonts = cjk_problems(path.read_bytes()) if pages else []
            if fonts:
                return False, f"PDF，{pages} 页；" + "；".join(fonts)
            return pages > 0, f"PDF，{pages} 页"
        if media_type.startswith("image/"):
            from PIL import Image

            with Image.open(path) as image:
                image.verify()
                return True, f"图像 {image.format} {image.size[0]}×{image.size[1]}"
        if media_type.startswith(("video/", "audio/")):
            from liuhen.media.probe import probe

            facts = probe(path)
            return facts.ok, (
                f"{facts.container}，时长 {facts.duration or 0:.0f} 秒"
                if facts.ok
                else facts.reason
            )
        if media_type.startswith("text/"):
            path.read_bytes().decode("utf-8")
            return True, "UTF-8 文本"
        if media_type.endswith("wordprocessingml.document"):
            with zipfile.ZipFile(path) as docx:
                return "word/document.xml" in docx.namelist(), "Word 文档（.docx）"
        if media_type == "application/json":
            json.loads(path.read_text("utf-8"))
            return True, "JSON"
        if media_type == OFD:
            from liuhen.archive.ofd_read import read_ofd

            return True, f"OFD 版式文件，{len(read_ofd(path.read_bytes()))} 页"
    except Exception as exc:  # noqa: BLE001 - any failure to open is the finding itself
        return False, f"无法按 {media_type} 打开：{type(exc).__name__}: {exc}"[:200]
    return True, f"{media_type}：未作格式检测"


def _usability(report: FourPropertiesReport, root: Path, index: Mapping[str, Any]) -> None:
    entries = [
        *index.get("files", []),
        {**(index.get("case_file") or {}), "media_type": "application/pdf"},
        {"path": "data/metadata/case-bundle.json", "media_type": "application/json"},
        *({"path": r.get("path"), "media_type": OFD} for r in index.get("renditions") or []),
    ]
    for entry in entries:
        rel = str(entry.get("path", ""))
        media_type = str(entry.get("media_type", "")).split(";")[0].strip()
        if not (root / rel).is_file():
            report.add("usability", rel, False, "文件缺失")
            continue
        ok, seen = _opens(root / rel, media_type)
        report.add(
            "usability", rel, ok, seen, level="error" if ok or "未作" not in seen else "warning"
        )


def _security(
    report: FourPropertiesReport,
    events: list[dict[str, Any]],
    cp: Any,
    ledger: Any,
    export_recorded: str | None,
) -> None:
    linked = [
        p
        for p in ledger.problems
        if p.kind in ("event_altered", "payload_altered", "event_invalid")
    ]
    by_seq = {int(e["seq"]): e for e in events if isinstance(e.get("seq"), int)}
    breaks = [
        s
        for s in by_seq
        if s - 1 in by_seq and by_seq[s].get("prev_hash") != by_seq[s - 1].get("chain_hash")
    ]
    report.add(
        "security",
        "日志哈希链",
        not linked and not breaks,
        "事件链接完整" if not linked and not breaks else "事件链接断裂或事件被改动",
    )
    covered = cp is not None and all(s < cp.tree_size for s in by_seq)
    report.add(
        "security",
        "检查点覆盖",
        covered,
        f"签名检查点覆盖全部 {len(by_seq)} 条事件" if covered else "有事件不在签名检查点范围内",
    )
    actions = [str(e.get("action", "")) for e in events]
    created = any(a in ("case.opened", "case.imported") for a in actions)
    report.add(
        "security",
        "建案事件",
        created,
        "日志中有立案（或导入）事件" if created else "日志中没有本案的建立事件",
    )
    exported = export_recorded is not None or any(a == "case.exported" for a in actions)
    reads = sum(1 for a in actions if a in ACCESS_ACTIONS)
    detail = f"查阅、下载、导出事件 {reads} 条，均在日志中"
    report.add(
        "security",
        "访问记录",
        exported,
        (f"{detail}；{export_recorded}" if export_recorded else detail)
        if exported
        else "日志中没有导出事件",
    )
