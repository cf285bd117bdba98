"""Verifying an archive package offline: no database, no data directory, no server.

    report = verify_package(Path("案卷包"))
    report.ok, report.first_problem, report.key_fingerprint

Checks, in this order, so the first problem named is the first thing that broke:

1. the bag: ``bagit.txt``, both payload manifests (SHA-256 and SM3) and both tag manifests
   present; every file listed exists, every file present is listed; each file's SHA-256
   and SM3 equal both manifests (one read per file); ``Payload-Oxum`` matches;
2. the ledger excerpt: the shipped public key and the checkpoint's signature over its
   tree size and root; each event's canonical bytes equal its fields, its payload its
   digest, its chain link and leaf hash are right, and its inclusion proof reaches the
   signed root;
3. the export: the ``case.exported`` event (signed, in the excerpt) records the SHA-256 of
   the metadata, the file index and the case-file PDF; they must be the files shipped;
4. the metadata against the files: every file the index lists is there with its SHA-256,
   SM3 and size, and every AV segment and record of the case bundle is accounted for.

Anyone who rewrites a file and the manifests still fails step 3 or 4; rewriting the
metadata too fails step 3, whose event only the agency's key can sign. What the checks
cannot tell is whether the key is the agency's: the report shows its fingerprint for the
clerk to compare with the one the agency publishes.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from liuhen.archive.digests import file_digests
from liuhen.archive.package_report import (
    ALGORITHMS,
    CASE_FILE,
    EVENTS,
    FILES,
    HEX64,
    METADATA,
    PUBLIC_KEY,
    Bag,
    ByteProgress,
    PackageReport,
    Problem,
    read_json,
)
from liuhen.archive.verify_ledger import check_events, check_ledger, check_signature
from liuhen.errors import InvalidInput

__all__ = ["PackageReport", "Problem", "check_ledger", "verify_package"]


def verify_package(
    path: Path,
    *,
    expected_fingerprint: str | None = None,
    four_properties: bool = False,
    progress: ByteProgress | None = None,
) -> PackageReport:
    """Verify the package at ``path``; ``InvalidInput`` if it is not a readable bag at all.

    With ``expected_fingerprint`` (the one the agency publishes), a package signed by any
    other key fails; without it, the clerk compares ``report.key_fingerprint`` by eye. With
    ``four_properties``, the DA/T 70 report (``four_properties.py``) is added; it informs
    and does not change ``ok``.
    """
    root = Path(path)
    _check_readable(root)
    report = PackageReport(path=str(root))
    bag = Bag(root)
    _check_bag(bag, report, progress)
    cp = check_signature(bag, report)
    if expected_fingerprint and report.key_fingerprint != expected_fingerprint.strip():
        report.add(
            PUBLIC_KEY,
            "key_unexpected",
            f"签名公钥指纹 {report.key_fingerprint or '（无）'} 不是预期的 {expected_fingerprint}："
            "本包不是由该机关的密钥签发",
        )
    events = check_events(bag, report, cp)
    bundle, index = _load_metadata(bag, report)
    _check_export(bag, report, events, bundle)
    if bundle is not None and index is not None:
        _check_metadata(bag, report, bundle, index)
    if four_properties:
        from liuhen.archive.four_properties import assess_package

        assessed = assess_package(root, checked_at=datetime.now(UTC), digests=bag.computed)
        report.four_properties = assessed.to_dict()
    return report


# -- 1. the bag -------------------------------------------------------------------------


def _check_readable(root: Path) -> None:
    if not root.is_dir():
        raise InvalidInput(f"DIR: {root} 不存在或不是目录")
    bagit = root / "bagit.txt"
    try:
        text = bagit.read_text("utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"DIR: {root} 中没有 bagit.txt，不是 BagIt 归档包") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"DIR: 无法读取 {bagit}：{exc}") from None
    tags = _tags(text)
    if (
        "BagIt-Version" not in tags
        or tags.get("Tag-File-Character-Encoding", "").upper() != "UTF-8"
    ):
        raise InvalidInput(
            f"DIR: {bagit} 格式不对：应有 BagIt-Version 与 Tag-File-Character-Encoding: UTF-8"
        )


def _tags(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        if ":" in line and not line.startswith((" ", "\t")):
            label, value = line.split(":", 1)
            out.setdefault(label.strip(), value.strip())
    return out


def _parse_manifest(bag: Bag, report: PackageReport, name: str, *, payload: bool) -> dict[str, str]:
    try:
        text = (bag.root / name).read_text("utf-8")
    except FileNotFoundError:
        report.add(name, "manifest_missing", f"缺少清单文件 {name}")
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        report.add(name, "manifest_unreadable", f"清单文件无法读取：{exc}")
        return {}
    entries: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split(None, 1)
        value = parts[0].lower() if parts else ""
        rel = unicodedata.normalize("NFC", parts[1].strip().lstrip("*")) if len(parts) == 2 else ""
        rel = rel.replace("%0D", "\r").replace("%0A", "\n")
        inside = rel.startswith("data/") if payload else not rel.startswith("data/")
        if not HEX64.fullmatch(value) or not rel or not inside or _unsafe(rel) or rel in entries:
            report.add(
                f"{name}:{number}",
                "manifest_malformed",
                f"清单第 {number} 行格式不对或路径不安全：{line[:120]}",
            )
            continue
        entries[rel] = value
    return entries


def _unsafe(rel: str) -> bool:
    return rel.startswith("/") or ".." in rel.split("/") or "\\" in rel


def _payload_on_disk(root: Path) -> list[str]:
    found = []
    for dirpath, _dirs, names in os.walk(root / "data"):
        for name in names:
            rel = Path(dirpath, name).relative_to(root).as_posix()
            found.append(unicodedata.normalize("NFC", rel))
    return sorted(found)


def _check_bag(bag: Bag, report: PackageReport, progress: ByteProgress | None) -> None:
    payload = {
        alg: _parse_manifest(bag, report, f"manifest-{alg}.txt", payload=True) for alg in ALGORITHMS
    }
    tags = {
        alg: _parse_manifest(bag, report, f"tagmanifest-{alg}.txt", payload=False)
        for alg in ALGORITHMS
    }
    on_disk = _payload_on_disk(bag.root)
    listed = sorted(set().union(*(m.keys() for m in payload.values())))
    for rel in listed:
        if not (bag.root / rel).is_file():
            report.add(rel, "file_missing", "清单中列出的文件在包中不存在（被删除或改名）")
    for rel in on_disk:
        for alg, entries in payload.items():
            if entries and rel not in entries:
                report.add(
                    rel, "file_unlisted", f"包中有未列入 manifest-{alg}.txt 的文件（被添加）"
                )
    for alg in ALGORITHMS:
        for rel in sorted(tags[alg]):
            if not (bag.root / rel).is_file():
                report.add(rel, "file_missing", f"tagmanifest-{alg}.txt 中列出的文件不存在")
    present = [rel for rel in listed if (bag.root / rel).is_file()]
    total = sum((bag.root / rel).stat().st_size for rel in present)
    done = 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total)

    for rel in present:
        bag.computed[rel] = file_digests(bag.root / rel, step)
        _compare(report, rel, bag.computed[rel], payload)
    tag_files = sorted(set().union(*(m.keys() for m in tags.values())))
    for rel in tag_files:
        if (bag.root / rel).is_file():
            _compare(report, rel, file_digests(bag.root / rel), tags)
    report.files = len(present)
    report.bytes = total
    _check_oxum(bag, report, on_disk)


def _compare(
    report: PackageReport,
    rel: str,
    got: tuple[str, str, int],
    manifests: Mapping[str, Mapping[str, str]],
) -> None:
    for alg, value in zip(ALGORITHMS, got[:2], strict=True):
        expected = manifests[alg].get(rel)
        if expected is not None and expected != value:
            name = "SHA-256" if alg == "sha256" else "SM3"
            report.add(
                rel,
                "checksum_mismatch",
                f"文件的 {name} 摘要与清单不符（内容被改动）：实为 {str(value)[:16]}…，清单为 {expected[:16]}…",
            )


def _check_oxum(bag: Bag, report: PackageReport, on_disk: list[str]) -> None:
    try:
        info = _tags((bag.root / "bag-info.txt").read_text("utf-8"))
    except (OSError, UnicodeDecodeError):
        report.add("bag-info.txt", "bag_info_missing", "缺少或无法读取 bag-info.txt")
        return
    oxum = info.get("Payload-Oxum", "")
    actual = f"{sum((bag.root / rel).stat().st_size for rel in on_disk)}.{len(on_disk)}"
    if oxum != actual:
        report.add(
            "bag-info.txt",
            "oxum_mismatch",
            f"Payload-Oxum 为 {oxum or '（无）'}，实际为 {actual}（字节数.文件数）",
        )


# -- 3. and 4. the export and the metadata ----------------------------------------------


def _load_metadata(
    bag: Bag, report: PackageReport
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    bundle = read_json(bag, report, METADATA)
    index = read_json(bag, report, FILES)
    if isinstance(bundle, dict):
        case = bundle.get("case") or {}
        report.case = {k: str(case.get(k, "")) for k in ("id", "number", "title")}
    return (
        bundle if isinstance(bundle, dict) else None,
        index if isinstance(index, dict) else None,
    )


def _check_export(
    bag: Bag,
    report: PackageReport,
    events: Iterable[Mapping[str, Any]],
    bundle: Mapping[str, Any] | None,
) -> None:
    exports = [
        e
        for e in events
        if e.get("action") == "case.exported" and (e.get("payload") or {}).get("format") == "bagit"
    ]
    if not exports:
        report.add(EVENTS, "export_event_missing", "日志摘录中没有本包的导出事件（case.exported）")
        return
    export = exports[-1]
    payload = export.get("payload") or {}
    for rel, key in (
        (METADATA, "metadata_sha256"),
        (FILES, "files_sha256"),
        (CASE_FILE, "case_file_sha256"),
    ):
        if bag.sha256(rel) is not None and payload.get(key) != bag.sha256(rel):
            report.add(
                rel, "export_mismatch", "文件与已签名的导出事件记载的 SHA-256 不符（导出后被改动）"
            )
    case_id = (bundle or {}).get("case", {}).get("id")
    for event in events:
        if case_id and event.get("case_id") != case_id:
            report.add(f"日志事件 #{event.get('seq')}", "event_foreign", "该事件不属于本案")


def _check_metadata(
    bag: Bag, report: PackageReport, bundle: Mapping[str, Any], index: Mapping[str, Any]
) -> None:
    case_id = bundle.get("case", {}).get("id")
    if index.get("case_id") != case_id:
        report.add(FILES, "metadata_mismatch", "文件清单所属案件与案件数据不符")
    records = {
        r.get("id") for r in [*bundle.get("text_records", []), *bundle.get("av_records", [])]
    }
    held: set[tuple[str, str]] = set()
    for entry in index.get("files", []):
        rel = str(entry.get("path", ""))
        got = bag.computed.get(rel)
        if got is None:
            report.add(rel or FILES, "file_missing", "文件清单（files.json）列出的文件不在包中")
        elif (got[0], got[1], got[2]) != (entry.get("sha256"), entry.get("sm3"), entry.get("size")):
            report.add(
                rel, "metadata_mismatch", "文件的 SHA-256、SM3 或大小与案件元数据（files.json）不符"
            )
        if entry.get("record_id") not in records:
            report.add(
                rel or FILES,
                "metadata_mismatch",
                f"文件所属记录 {entry.get('record_id')} 不在案件数据中",
            )
        held.add((str(entry.get("record_id")), str(entry.get("sha256"))))
    not_held = {(str(n.get("record_id")), str(n.get("sha256"))) for n in index.get("not_held", [])}
    for record in bundle.get("av_records", []):
        for segment in record.get("segments", []):
            key = (str(record.get("id")), str(segment.get("sha256")))
            if key in not_held:
                continue
            if key not in held:
                report.add(
                    f"音像记录 {record.get('id')} 的片段 {segment.get('file_name', '')}",
                    "segment_missing",
                    f"案件数据列出的音像文件（SHA-256 {str(segment.get('sha256'))[:16]}…）不在包中",
                )
    if not_held:
        report.notes.append(
            f"{len(not_held)} 个音像文件只有摘要记录（导入的案件数据，原件未存入系统），未随包提供"
        )
