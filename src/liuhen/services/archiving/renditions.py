"""The archive formats an export writes beside the originals (issue 17 item 4): the OFD
rendition (GB/T 33190) of the case file and of each issued document, and what the file index
says about them and about the case file's PDF/A check.

``write_renditions`` reads the files already in the package (the verified copies), writes
``data/ofd/case-file.ofd`` and ``data/ofd/<document>.ofd`` for every PDF LiuHen rendered for a
record (``role`` ``rendered``), and returns their entries for ``files.json``, each with its
SHA-256, SM3, size and the PDF it renders. ``sealed_paths`` names the package files of
documents issued under the agency's seal, which ``verify-package`` checks seal by seal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from liuhen.archive.case_file import PDF, CaseFile, RecordFile
from liuhen.archive.ofd import OfdInfo, pdf_to_ofd
from liuhen.archive.package import PackageWriter

OFD_STANDARD = "GB/T 33190-2016"
CASE_FILE = "data/case-file.pdf"


def issued(files: Sequence[RecordFile]) -> list[RecordFile]:
    """The PDFs LiuHen rendered for the case's documents (not uploads, not the .docx)."""
    return [f for f in files if f.role == "rendered" and f.media_type == PDF]


def sealed_paths(bundle: Mapping[str, Any], files: Sequence[RecordFile]) -> set[str]:
    """Package paths of the PDFs of documents issued under the agency's seal."""
    sealed = {r["id"] for r in bundle.get("text_records", []) if r.get("sealed")}
    return {f.path for f in issued(files) if f.record_id in sealed}


def write_renditions(
    pkg: PackageWriter,
    bundle: Mapping[str, Any],
    files: Sequence[RecordFile],
    case_file: CaseFile,
    made_at: datetime,
) -> list[dict[str, Any]]:
    """Write the OFD renditions into ``pkg``; their ``files.json`` entries."""
    agency = bundle.get("agency", {}).get("name", "")
    number = bundle.get("case", {}).get("number", "")
    titles = {r["id"]: r.get("title") or r.get("kind", "") for r in bundle.get("text_records", [])}
    numbers = {r["id"]: r.get("number", "") for r in bundle.get("text_records", [])}
    entries = [
        _write(
            pkg,
            "ofd/case-file.ofd",
            CASE_FILE,
            case_file.pdf,
            OfdInfo(case_file.title, agency, f"案卷 {number}", made_at),
            None,
        )
    ]
    taken = {"ofd/case-file.ofd"}
    for f in issued(files):
        rel = f"ofd/{PurePosixPath(f.path).stem}.ofd"
        if rel in taken:
            rel = f"ofd/{PurePosixPath(f.path).stem}-{f.sha256[:8]}.ofd"
        taken.add(rel)
        pdf = pkg.path(f.path.removeprefix("data/")).read_bytes()
        subject = numbers.get(f.record_id) or number
        info = OfdInfo(titles.get(f.record_id, f.file_name), agency, subject, made_at)
        entries.append(_write(pkg, rel, f.path, pdf, info, f.record_id))
    return entries


def _write(
    pkg: PackageWriter,
    rel: str,
    source: str,
    pdf: bytes,
    info: OfdInfo,
    record_id: str | None,
) -> dict[str, Any]:
    digest = pkg.add_bytes(rel, pdf_to_ofd(pdf, info))
    return {
        "path": f"data/{rel}",
        "format": "ofd",
        "standard": OFD_STANDARD,
        "source": source,
        "record_id": record_id,
        **digest.as_dict(),
    }
