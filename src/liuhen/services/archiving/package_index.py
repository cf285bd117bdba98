"""The index files of an archive package (``packages.export_package``): ``files.json``, which
lists every payload file of the case with its digests, and the BagIt ``bag-info.txt`` fields."""

from __future__ import annotations

from typing import Any

from liuhen import __version__
from liuhen.archive.case_file import CaseFile, RecordFile
from liuhen.ledger.checkpoint import Checkpoint
from liuhen.services.archiving.renditions import sealed_paths


def files_index(
    bundle: dict[str, Any],
    files: list[RecordFile],
    case_file: CaseFile,
    pdf: dict[str, Any],
    disposed: frozenset[str] | set[str] = frozenset(),
    renditions: list[dict[str, Any]] | None = None,
    reviews: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """``files.json``: version 2 adds the case file's PDF/A result, ``sealed`` on documents
    issued under the agency's seal, the OFD ``renditions`` and the signed 评查表
    (``reviews``: each file with its title, SHA-256, SM3 and size)."""
    held = {(f.record_id, f.sha256) for f in files}
    sealed = sealed_paths(bundle, files)
    not_held = [
        {
            "record_id": r["id"],
            "sha256": s.get("sha256"),
            "file_name": s.get("file_name", ""),
            "reason": "保管期满，已经批准处置（摘要与处置记录在全过程日志中）"
            if s.get("sha256") in disposed
            else "案件数据只记载了该音像文件的摘要，原件未存入本系统",
        }
        for r in bundle.get("av_records", [])
        for s in r.get("segments", [])
        if (r["id"], s.get("sha256")) not in held
    ]
    return {
        "format": "liuhen-package-files",
        "version": 2,
        "case_id": bundle["case"]["id"],
        "case_number": bundle["case"].get("number", ""),
        "case_file": {
            "path": "data/case-file.pdf",
            **pdf,
            "pages": case_file.total_pages,
            "conformance": case_file.conformance,
            "pdfa_problems": case_file.pdfa_problems,
        },
        "catalogue": case_file.catalogue(),
        "files": [
            {
                "path": f.path,
                "record_id": f.record_id,
                "role": f.role,
                "file_name": f.file_name,
                "media_type": f.media_type,
                "sha256": f.sha256,
                "sm3": f.sm3,
                "size": f.size,
                **({"sealed": True} if f.path in sealed else {}),
            }
            for f in files
        ],
        "not_held": not_held,
        "renditions": renditions or [],
        "reviews": reviews or [],
    }


def bag_info(
    bundle: dict[str, Any], title: str, case_id: str, excerpt: Checkpoint, fingerprint: str
) -> dict[str, str]:
    return {
        "Source-Organization": bundle["agency"]["name"],
        "External-Identifier": bundle["case"].get("number", ""),
        "External-Description": f"{title}（行政执法案卷电子归档包）",
        "Bag-Software-Agent": f"LiuHen {__version__}",
        "LiuHen-Case-Id": case_id,
        "LiuHen-Checkpoint": f"{excerpt.tree_size} {excerpt.root_hash.hex()}",
        "LiuHen-Key-Fingerprint": fingerprint,
        "LiuHen-Export-Record": "export-event.json",
    }
