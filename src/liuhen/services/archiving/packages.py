"""Case files and archive packages of stored cases (issue 6).

``case_file_pdf`` renders the 案卷 of a case; ``export_package`` writes the whole case as a
BagIt package that anyone can verify offline (``liuhen.archive.verify_package``). Both are
ledger events (``case.exported``, with the format). A package is complete before its export
event is appended: the event is written last and records the package's contents (every
payload and tag file with SHA-256, SM3 and size), and the package's last file, the export
record, proves that event against the checkpoint its transaction signs
(``package_ledger``). Each package also carries its 四性检测 report (DA/T 70), made at export.

An export under way is kept in a journal in the data directory (``archive.export_journal``):
after a crash, the next start removes a partial folder whose event was never recorded, and
completes one whose event was (``export_recovery``), so that an export event always has its
package, or ``leftovers`` names the one that could not be completed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from liuhen.archive.case_file import CaseFile, RecordFile, build_case_file
from liuhen.archive.export_journal import ExportJournal
from liuhen.archive.four_properties import assess_package
from liuhen.archive.front_matter import case_title
from liuhen.archive.items import Appendix, CaseFileOptions
from liuhen.archive.package import PackageWriter, safe_name
from liuhen.archive.pdfa_check import pdfa_problems
from liuhen.errors import StorageError
from liuhen.ledger.events import Actor
from liuhen.services.archiving.package_index import bag_info, files_index
from liuhen.services.archiving.package_ledger import (
    export_journal_dir,
    export_record,
    write_excerpt,
)
from liuhen.services.archiving.package_signatures import signature_files
from liuhen.services.archiving.queries.disposals import disposed_in_case
from liuhen.services.archiving.queries.packages import (
    current_records,
    gate_overrides,
    stored_files,
)
from liuhen.services.archiving.renditions import write_renditions
from liuhen.services.archiving.seals import Sealer
from liuhen.services.cases.bundles import assemble_bundle
from liuhen.services.cases.gates import describe_override, override_entry
from liuhen.services.oversight.scoring_export import case_file_appendix
from liuhen.services.permissions import require_case
from liuhen.store.store import Store

ByteProgress = Callable[[int, int], None]
"""Called with (bytes copied so far, bytes to copy in all)."""


@dataclass(frozen=True)
class ExportResult:
    out: Path
    case_id: str
    number: str
    title: str
    event_seq: int
    files: int
    bytes: int
    pages: int
    items: int
    tree_size: int
    key_fingerprint: str
    four_properties: dict[str, Any]
    """四性检测 summary (DA/T 70): per property, its checks, failures and warnings."""
    package_files: int = 0
    """Every file under the package's ``data/`` (what ``verify-package`` counts); ``files``
    counts only the records' stored originals. For people: not in ``to_dict``."""
    package_bytes: int = 0

    def to_dict(self) -> dict[str, Any]:
        skip = {"package_files", "package_bytes"}
        return {k: v for k, v in self.__dict__.items() if k not in skip} | {"out": str(self.out)}


def case_record_files(store: Store, case_id: str) -> tuple[list[RecordFile], list[str]]:
    """The stored files of the case's current records, with their package paths, and the
    备考表 notes on corrected records."""
    records = current_records(store, case_id)
    by_record, disposed = stored_files(store, [r["id"] for r in records])
    notes: list[str] = []
    files: list[RecordFile] = []
    taken: set[str] = set()
    counters = {"text": 0, "av": 0}
    for record in sorted(records, key=lambda r: r["kind"] != "text"):
        counters[record["kind"]] += 1
        folder = "documents" if record["kind"] == "text" else "av"
        for row in by_record.get(record["id"], []):
            gone = disposed.get((record["id"], row["blob_sha256"]))
            if gone is not None:
                notes.append(
                    f"《{record['title']}》的文件 {row['file_name']}（SHA-256 {row['blob_sha256'][:16]}…）"
                    f"保管期满，已于 {gone.astimezone(store.settings.tz):%Y-%m-%d} 经批准处置；"
                    "其摘要与处置记录保存在全过程日志中。"
                )
                continue
            name = safe_name(row["file_name"])
            path = f"{folder}/{counters[record['kind']]:02d}-{name}"
            if path in taken:
                path = f"{folder}/{counters[record['kind']]:02d}-{row['position']}-{name}"
            taken.add(path)
            files.append(
                RecordFile(
                    record_id=record["id"],
                    role=row["role"],
                    file_name=row["file_name"],
                    media_type=row["media_type"],
                    sha256=row["blob_sha256"],
                    sm3=row["sm3"],
                    size=int(row["size"]),
                    path=f"data/{path}",
                )
            )
    files += signature_files(store, records, taken)
    notes += [
        f"《{r['title']}》经补正，现为第 {r['version']} 版（补正理由：{r['correction_reason'] or '未注明'}）；"
        "此前各版本及其文件保存在系统中，并记入全过程日志。"
        for r in records
        if r["supersedes_id"]
    ]
    return files, notes


def override_lines(store: Store, case_id: str) -> list[str]:
    """越过提示的决定 for the 备考表: each of the head's overrides on one line."""
    return [
        describe_override(
            override_entry(e["seq"], e["occurred_at"], e["actor_label"], e["payload"]),
            store.settings.tz,
        )
        for e in gate_overrides(store, case_id)
    ]


def _read_blob(store: Store, sha256: str) -> bytes:
    with store.blobs.open(sha256) as f:
        return f.read()


def case_file_pdf(
    store: Store, actor: Actor, case_id: str, *, options: CaseFileOptions | None = None
) -> CaseFile:
    """The 案卷 of a case as one PDF; rendering it for someone is a ledger event."""
    case = require_case(store, actor, "case.export", case_id)
    bundle = assemble_bundle(store, case_id)
    files, notes = case_record_files(store, case_id)
    files = [replace(f, path="") for f in files]  # no package: the PDF names no package paths
    case_file = build_case_file(
        bundle,
        files,
        lambda sha: _read_blob(store, sha),
        made_at=store.clock().astimezone(store.settings.tz),
        options=options,
        notes=notes,
        overrides=override_lines(store, case_id),
        appendices=case_file_appendix(store, actor, case_id, case),
    )
    case_file, _sealer = _sealed(store, actor, case, case_file)
    with store.transaction(actor) as tx:
        tx.record(
            "case.exported",
            subject_type="case",
            subject_id=case_id,
            case_id=case_id,
            payload={"format": "case-file-pdf", "pages": case_file.total_pages},
        )
    return case_file


def _sealed(
    store: Store, actor: Actor, case: Mapping[str, Any], case_file: CaseFile
) -> tuple[CaseFile, Sealer]:
    """The case file with its PDF sealed by the case's agency (the certificate put on the
    ledger first, the first time the agency's seal is issued)."""
    sealer = Sealer(store, str(case["agency_id"]), str(case["agency_name"]))
    if sealer.issued:
        with store.transaction(actor) as tx:
            sealer.record_issue(tx)
    sealed = sealer.seal(case_file.pdf, reason=f"案卷 {case.get('number', '')}")
    problems = pdfa_problems(sealed) if case_file.conformance else case_file.pdfa_problems
    conformance = case_file.conformance if not problems else ""
    return replace(case_file, pdf=sealed, conformance=conformance, pdfa_problems=problems), sealer


def _copy_files(
    store: Store, pkg: PackageWriter, files: list[RecordFile], progress: ByteProgress | None
) -> None:
    """Stream every file into the package, checking it against its blob row on the way."""
    total = sum(f.size for f in files)
    done = 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total)

    for f in files:
        with store.blobs.open(f.sha256) as source:
            got = pkg.add_stream(f.path.removeprefix("data/"), source, progress=step)
        if (got.sha256, got.sm3, got.size) != (f.sha256, f.sm3, f.size):
            raise StorageError(
                f"存储中的文件 {f.file_name}（记录 {f.record_id}，SHA-256 {f.sha256[:16]}…）"
                "与登记的摘要不符，可能已损坏：未导出。请运行 liuhen fixity 与 liuhen verify 核查"
            )


def _add_review(pkg: PackageWriter, appendix: Appendix) -> dict[str, Any]:
    """The signed 评查表 as its own file of the package (``data/review/case-review.pdf``),
    as ``files.json`` lists it: path, title, SHA-256, SM3 and size."""
    digest = pkg.add_bytes(REVIEW_PATH, appendix.pdf)
    return {"path": f"data/{REVIEW_PATH}", "title": appendix.title, **digest.as_dict()}


REVIEW_PATH = "review/case-review.pdf"
EXPORT_PENDING = "本次导出事件在本包写完后记入全过程日志，见 export-event.json"


def export_package(
    store: Store,
    actor: Actor,
    case_id: str,
    out: Path,
    *,
    options: CaseFileOptions | None = None,
    progress: ByteProgress | None = None,
    purpose: str = "export",
) -> ExportResult:
    """Write the case as a BagIt package at ``out`` (a new or empty directory).

    ``purpose``: ``export``, or ``filing``/``on_demand`` when the package is written only
    to assess the four properties (kept in the export event).

    Long: the package is written inside one ``PackageWriter`` in a fixed order where each step
    needs the one before: files, the case-file PDF (from the verified copies), metadata and file
    index, the ledger excerpt, the 四性检测 report over the package, the tag files; then the
    export event that lists them all, and the export record that proves it."""
    case = require_case(store, actor, "case.export", case_id)
    bundle = assemble_bundle(store, case_id)
    files, notes = case_record_files(store, case_id)
    now = store.clock().astimezone(store.settings.tz)
    copies = {f.sha256: f.path.removeprefix("data/") for f in files}
    title = case_title(bundle)
    appendices = case_file_appendix(store, actor, case_id, case)  # the signed 评查表
    journal = ExportJournal(export_journal_dir(store.settings))
    with PackageWriter(out, journal=journal, case_id=case_id, purpose=purpose) as pkg:
        _copy_files(store, pkg, files, progress)
        case_file = build_case_file(  # reads the verified copies, not the store again
            bundle,
            files,
            lambda sha: pkg.path(copies[sha]).read_bytes(),
            made_at=now,
            options=options,
            notes=notes,
            overrides=override_lines(store, case_id),
            appendices=appendices,
        )
        case_file, sealer = _sealed(store, actor, case, case_file)
        pdf = pkg.add_bytes("case-file.pdf", case_file.pdf)
        reviews = [_add_review(pkg, a) for a in appendices]
        pkg.add_bytes("metadata/seal-certificate.pem", sealer.chain_pem)
        renditions = write_renditions(pkg, bundle, files, case_file, now)
        metadata = pkg.add_json("metadata/case-bundle.json", bundle)
        disposed = disposed_in_case(store, case_id)
        index = pkg.add_json(
            "metadata/files.json",
            files_index(bundle, files, case_file, pdf.as_dict(), disposed, renditions, reviews),
        )
        excerpt = write_excerpt(store, pkg, case_id)
        assessed = assess_package(
            pkg.root,
            checked_at=now,
            digests={f"data/{rel}": (d.sha256, d.sm3, d.size) for rel, d in pkg.entries.items()},
            export_recorded=EXPORT_PENDING,
        )
        pkg.add_json("metadata/four-properties.json", assessed.to_dict())
        contents = pkg.close(
            bag_info(bundle, title, case_id, excerpt, store.fingerprint), bagging_date=now.date()
        )
        with store.transaction(actor) as tx:
            seq = tx.record(
                "case.exported",
                subject_type="case",
                subject_id=case_id,
                case_id=case_id,
                payload={
                    "format": "bagit",
                    "package": out.name,
                    "export_id": pkg.export_id,
                    **({"purpose": purpose} if purpose != "export" else {}),
                    "number": bundle["case"].get("number", ""),
                    "metadata_sha256": metadata.sha256,
                    "files_sha256": index.sha256,
                    "case_file_sha256": pdf.sha256,
                    **({"review_sha256": reviews[0]["sha256"]} if reviews else {}),
                    "files": len(files),
                    "bytes": sum(f.size for f in files),
                    "contents": contents,
                },
            )
            pkg.recorded = True  # from here a failure leaves the folder to be completed
        record, checkpoint = export_record(store, case_id, seq, excerpt)
        pkg.seal(record)
    return ExportResult(
        out=out,
        case_id=case_id,
        number=bundle["case"].get("number", ""),
        title=title,
        event_seq=seq,
        files=len(files),
        bytes=sum(f.size for f in files),
        pages=case_file.total_pages,
        items=len(case_file.items),
        tree_size=checkpoint.tree_size,
        key_fingerprint=store.fingerprint,
        four_properties={"ok": assessed.ok, **assessed.summary()},
        package_files=len(pkg.entries),
        package_bytes=sum(d.size for d in pkg.entries.values()),
    )
