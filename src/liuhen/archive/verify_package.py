"""Verifying an archive package offline: no database, no data directory, no server.

    report = verify_package(Path("案卷包"))
    report.ok, report.first_problem, report.key_fingerprint

Checks, in this order, so the first problem named is the first thing that broke:

1. the bag (``verify_bag``): ``bagit.txt``, both payload manifests (SHA-256 and SM3) and both
   tag manifests present; every file listed exists, every file present is listed; each
   file's SHA-256 and SM3 equal both manifests (one read per file); ``Payload-Oxum`` matches;
2. the ledger excerpt (``verify_ledger``): the shipped public key and the checkpoint's
   signature over its tree size and root; each event's canonical bytes equal its fields, its
   payload its digest, its chain link and leaf hash are right, and its inclusion proof
   reaches the signed root; the events are exactly the ones the proofs are for;
3. the export (``verify_export``): the export record's ``case.exported`` event, signed and
   proven, lists every payload and tag file with SHA-256, SM3 and size; the package holds
   exactly those files, each unchanged, and the record and tag manifests are exactly what
   LiuHen writes;
4. the metadata against the files: every file the index lists is there with its SHA-256,
   SM3 and size, and every AV segment and record of the case bundle is accounted for;
5. the electronic seals (``verify_seals``) of the case file and of every document issued
   under the agency's seal, against the seal CA the package carries or the one the verifier
   gives (``seal_ca``);
6. the archive formats (``verify_renditions``): the case file's PDF/A check and each OFD
   rendition opened and compared with the text of the PDF it renders.

Anyone who rewrites a file and the manifests still fails step 3; rewriting the export event
too fails its signature, which only the agency's key can make. What the checks cannot tell
is whether the key is the agency's: the report shows its fingerprint for the clerk to compare
with the one the agency publishes. A package is hostile input: malformed JSON or fields are
problems naming the file and JSON path, and a step that meets something it did not foresee
fails the package (``unverifiable``) rather than end in a traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from liuhen.archive.package_json import bundle_faults, index_faults, printable
from liuhen.archive.package_report import (
    EXPORT_RECORD,
    FILES,
    METADATA,
    PUBLIC_KEY,
    Bag,
    ByteProgress,
    PackageReport,
    Problem,
    add_faults,
    read_json,
)
from liuhen.archive.verify_bag import check_bag
from liuhen.archive.verify_export import check_export
from liuhen.archive.verify_ledger import check_events, check_ledger, check_signature
from liuhen.archive.verify_renditions import check_renditions
from liuhen.archive.verify_seals import (
    SEAL_CERTIFICATE,
    check_case_file_seal,
    check_document_seals,
)
from liuhen.archive.verify_witnesses import COSIGNATURES, check_cosignatures
from liuhen.errors import InvalidInput

__all__ = ["PackageReport", "Problem", "check_ledger", "verify_package"]
T = TypeVar("T")


def verify_package(
    path: Path,
    *,
    expected_fingerprint: str | None = None,
    four_properties: bool = False,
    progress: ByteProgress | None = None,
    seal_ca: bytes | None = None,
    witnesses: list[str] | None = None,
    tsa_ca: bytes | None = None,
) -> PackageReport:
    """Verify the package at ``path``; ``InvalidInput`` if it is not a package at all.

    With ``expected_fingerprint`` (the one the agency publishes), a package signed by any
    other key fails; without it, the clerk compares ``report.key_fingerprint`` by eye. With
    ``four_properties``, the DA/T 70 report (``four_properties.py``) is added; it informs
    and does not change ``ok``. Each of ``witnesses`` (vkeys) must have cosigned the
    package's checkpoint (``verify_witnesses``). With ``tsa_ca`` (a timestamp authority's
    root), every seal must carry an RFC 3161 timestamp that chains to it.
    """
    root = Path(path)
    _check_readable(root)
    report = PackageReport(path=str(root))
    bag = Bag(root)
    _step(report, "清单（manifest）", check_bag, bag, report, progress)
    cp = _step(report, "data/ledger/", check_signature, bag, report)
    if expected_fingerprint and report.key_fingerprint != expected_fingerprint.strip():
        report.add(
            PUBLIC_KEY,
            "key_unexpected",
            f"签名公钥指纹 {report.key_fingerprint or '（无）'} 不是预期的 {expected_fingerprint}："
            "本包不是由该机关的密钥签发",
        )
    _step(report, COSIGNATURES, check_cosignatures, bag, report, cp, list(witnesses or []))
    events = _step(report, "data/ledger/events.jsonl", check_events, bag, report, cp) or []
    bundle, index = _step(report, METADATA, _load_metadata, bag, report) or (None, None)
    case_id = bundle["case"]["id"] if bundle is not None else None
    _step(report, EXPORT_RECORD, check_export, bag, report, cp, case_id)
    _check_case(report, events, case_id)
    if bundle is not None and index is not None:
        _step(report, FILES, _check_metadata, bag, report, bundle, index)
    _step(report, SEAL_CERTIFICATE, check_case_file_seal, bag, report, seal_ca, tsa_ca)
    if index is not None:
        _step(report, FILES, check_document_seals, bag, report, index, seal_ca, tsa_ca)
        _step(report, FILES, check_renditions, bag, report, index)
    if four_properties:
        _assess(bag, report, bundle, index)
    return report


def _step(report: PackageReport, item: str, check: Callable[..., T], *args: Any) -> T | None:
    """Run one step of the check. A package is hostile input: whatever a step did not foresee
    fails the package, named, and never ends the run in a traceback."""
    try:
        return check(*args)
    except Exception as exc:  # noqa: BLE001 - fail closed on anything unforeseen
        report.add(
            item, "unverifiable", f"无法完成该项核验（{type(exc).__name__}: {exc}）：按未通过处理"
        )
        return None


def _assess(
    bag: Bag,
    report: PackageReport,
    bundle: Mapping[str, Any] | None,
    index: Mapping[str, Any] | None,
) -> None:
    from liuhen.archive.four_properties import assess_package

    if bundle is None or index is None:
        report.notes.append("案件数据或文件清单缺失或格式不对，未做四性检测")
        return
    try:
        assessed = assess_package(bag.root, checked_at=datetime.now(UTC), digests=bag.computed)
    except Exception as exc:  # noqa: BLE001 - the report informs; it never decides ``ok``
        report.notes.append(f"四性检测未能完成（{type(exc).__name__}: {exc}）")
        return
    report.four_properties = assessed.to_dict()


def _check_readable(root: Path) -> None:
    """``InvalidInput`` unless ``root`` is a directory that looks like a package: a damaged
    package is verified (and fails, naming what is wrong), a plain folder is refused."""
    if not root.is_dir():
        raise InvalidInput(f"DIR: {root} 不存在或不是目录")
    marks = ("bagit.txt", "data", EXPORT_RECORD, "manifest-sha256.txt", "manifest-sm3.txt")
    if not any((root / mark).exists() or (root / mark).is_symlink() for mark in marks):
        raise InvalidInput(f"DIR: {root} 中没有 bagit.txt，不是 BagIt 归档包")


# -- 4. the metadata ----------------------------------------------------------------------


def _load_metadata(
    bag: Bag, report: PackageReport
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The case bundle and the file index, each only when its fields are as checked."""
    bundle = read_json(bag, report, METADATA)
    index = read_json(bag, report, FILES)
    if bundle is not None:
        faults = bundle_faults(bundle)
        add_faults(report, METADATA, faults)
        bundle = None if faults else bundle
    if index is not None:
        faults = index_faults(index)
        add_faults(report, FILES, faults)
        index = None if faults else index
    if bundle is not None:
        case = bundle["case"]
        report.case = {k: printable(str(case.get(k) or "")) for k in ("id", "number", "title")}
    return bundle, index


def _check_case(
    report: PackageReport, events: Iterable[Mapping[str, Any]], case_id: str | None
) -> None:
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
        r.get("id")
        for r in [*(bundle.get("text_records") or []), *(bundle.get("av_records") or [])]
    }
    held: set[tuple[str, str]] = set()
    for entry in index["files"]:
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
    not_held = {
        (str(n.get("record_id")), str(n.get("sha256"))) for n in index.get("not_held") or []
    }
    for record in bundle.get("av_records") or []:
        for segment in record.get("segments") or []:
            key = (str(record.get("id")), str(segment.get("sha256")))
            if key in not_held:
                continue
            if key not in held:
                report.add(
                    f"音像记录 {record.get('id')} 的片段 {segment.get('file_name', '')}",
                    "segment_missing",
                    f"案件数据列出的音像文件（SHA-256 {str(segment.get('sha256'))[:16]}…）不在包中",
                )
    _check_signatures(report, bundle, held)
    _check_reviews(bag, report, index)
    if not_held:
        report.notes.append(
            f"{len(not_held)} 个音像文件只有摘要记录（导入的案件数据，原件未存入系统），未随包提供"
        )


def _check_reviews(bag: Bag, report: PackageReport, index: Mapping[str, Any]) -> None:
    """The signed 评查表 (``files.json`` ``reviews``): in the package, with its digests."""
    for entry in index.get("reviews") or []:
        rel = str(entry.get("path", ""))
        got = bag.computed.get(rel)
        if got is None:
            report.add(rel or FILES, "file_missing", "文件清单列出的案卷评查表不在包中")
        elif (got[0], got[1], got[2]) != (entry.get("sha256"), entry.get("sm3"), entry.get("size")):
            report.add(rel, "metadata_mismatch", "案卷评查表的 SHA-256、SM3 或大小与文件清单不符")


def _check_signatures(
    report: PackageReport, bundle: Mapping[str, Any], held: set[tuple[str, str]]
) -> None:
    """Every handwritten signature a document of the case bundle names (``image_sha256``)
    is a file of that document in the package (its digests checked with every file)."""
    for record in bundle.get("text_records") or []:
        for n, signature in enumerate(record.get("signatures") or [], 1):
            sha = signature.get("image_sha256")
            if sha and (str(record.get("id")), str(sha)) not in held:
                report.add(
                    f"文书 {record.get('id')} 的第 {n} 个签名",
                    "signature_missing",
                    f"案件数据记载的手写签名图像（SHA-256 {str(sha)[:16]}…）不在包中",
                )
