"""Writing an archive package: a BagIt bag (RFC 8493) with SHA-256 and SM3 manifests.

Layout (everything a court needs is under ``data/``, so the payload manifests cover it)::

    bagit.txt  bag-info.txt  README.txt
    manifest-sha256.txt  manifest-sm3.txt  tagmanifest-sha256.txt  tagmanifest-sm3.txt
    export-event.json                  the export event, written last (export_record.py)
    data/case-file.pdf                 the 案卷 (PDF/A-2b, sealed): cover, 卷内目录, documents, AV
                                       statements, 备考表
    data/ofd/*.ofd                     OFD renditions (GB/T 33190) of the case file and of each
                                       issued document (services/archiving/renditions.py)
    data/documents/NN-<name>           every stored file of the case's text records
    data/av/NN-<name>                  every AV original (segment), byte for byte
    data/metadata/case-bundle.json     the case in the case-bundle format (docs/bundle.md)
    data/metadata/files.json           which file is which record's, with SHA-256, SM3, size
    data/metadata/four-properties.json 四性检测 report at export (DA/T 70; four_properties.py)
    data/ledger/events.jsonl           the case's ledger events, as stored, with canonical bytes
    data/ledger/proofs.json            each event's inclusion proof against the checkpoint
    data/ledger/checkpoint.json        one signed checkpoint covering them all
    data/ledger/public-key.pem         the key that signed it

Every file is written in one streaming pass that also computes both digests (constant
memory, however large the AV). ``close`` completes the bag but for the export record and
returns its contents: every payload and tag file with SHA-256, SM3 and size, which the
``case.exported`` event records; ``seal`` writes that event's record and the tag manifests
over every tag file, and only then renames the bag into place. ``bagit`` (bagit-python)
reads only manifests of algorithms in ``hashlib.algorithms_guaranteed``, which SM3 is not:
it validates the SHA-256 manifests and sees ``manifest-sm3.txt`` as an ordinary tag file
(covered by the SHA-256 tag manifest). ``liuhen verify-package`` checks the SM3 manifests
itself.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import unicodedata
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

from liuhen.archive.digests import bytes_digests
from liuhen.archive.export_journal import ExportEntry, ExportJournal
from liuhen.errors import InvalidInput
from liuhen.store.blobs.hashing import CHUNK_SIZE, DualHasher
from liuhen.store.blobs.spool import fsync_dir, storage_error

BAGIT_VERSION = "1.0"
ALGORITHMS = ("sha256", "sm3")
TAG_FILES = ("bagit.txt", "bag-info.txt", "README.txt")
EXPORT_RECORD = "export-event.json"
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|%]")

README = """\
本目录是留痕（LiuHen）行政执法系统导出的案件电子归档包（BagIt 格式，RFC 8493）。

内容：data/case-file.pdf 为案卷（封面、卷内目录、文书、音像资料说明、备考表；PDF/A-2b）；
data/ofd/ 为案卷和文书的 OFD 版式文件（GB/T 33190）；
data/documents/ 为文书原件，data/av/ 为音像原始文件，data/metadata/ 为案件数据，
data/ledger/ 为本案全过程日志摘录、包含证明、签名检查点和签名公钥；
export-event.json 为最后写入的导出事件，逐一记载本包每个文件的摘要，并附其证明。

核验方法（无需连接留痕服务器）：
    liuhen verify-package 本目录 [--json]
退出码 0 表示完好，1 表示发现问题（并指出第一处问题），2 表示无法读取。
请将输出的签名公钥指纹与执法机关公布的指纹核对。
manifest-sha256.txt 与 manifest-sm3.txt 分别列出每个文件的 SHA-256 与 SM3（GB/T 32905）摘要。
"""


@dataclass(frozen=True)
class Digest:
    sha256: str
    sm3: str
    size: int

    def as_dict(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "sm3": self.sm3, "size": self.size}


def safe_name(name: str, fallback: str = "file") -> str:
    """A file name that is safe in any package path: NFC, no separators or control chars."""
    cleaned = _UNSAFE.sub("_", unicodedata.normalize("NFC", name)).strip(" .")
    return cleaned[:120] or fallback


def json_bytes(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False) + "\n").encode("utf-8")


class PackageWriter:
    """Builds one bag in a temp directory beside ``out``: payload files, then ``close`` (tag
    files and payload manifests), then ``seal`` (the export record and the tag manifests),
    which renames it into place.

    Use as a context manager: leaving the block with an exception removes the temp directory,
    unless the export event may have been recorded (``recorded``): then the folder is left
    for the next start to complete (``export_journal``, which a ``journal`` keeps).
    """

    def __init__(
        self,
        out: Path,
        *,
        journal: ExportJournal | None = None,
        case_id: str = "",
        purpose: str = "export",
    ) -> None:
        self.out = Path(out)
        if self.out.exists() and (not self.out.is_dir() or any(self.out.iterdir())):
            raise InvalidInput(f"--out: {self.out} 已存在且不是空目录：请指定一个新目录")
        parent = self.out.parent
        if not parent.is_dir():
            raise InvalidInput(f"--out: 上级目录 {parent} 不存在")
        self.export_id = uuid.uuid4().hex
        self.root = parent / f".{self.out.name}.partial-{self.export_id[:8]}"
        self.entries: dict[str, Digest] = {}
        self.tags: dict[str, Digest] = {}
        self.recorded = False
        """Set once the export event may have committed: a failure then keeps the folder."""
        self._finished = False
        self._journal, self._held = journal, -1
        if journal is not None:
            self._held = journal.begin(
                ExportEntry(
                    self.export_id,
                    case_id,
                    purpose,
                    str(self.out.absolute()),
                    str(self.root.absolute()),
                    datetime.now(UTC).isoformat(),
                )
            )
        try:
            (self.root / "data").mkdir(parents=True)
        except OSError as exc:
            self._let_go(keep=False)
            raise storage_error(exc, self.root) from exc

    @classmethod
    def reopen(cls, root: Path, out: Path, tags: Mapping[str, Digest]) -> PackageWriter:
        """A writer for a bag at ``root`` complete but for ``seal`` (left by a crash), whose
        tag files are ``tags``."""
        pkg = cls.__new__(cls)
        pkg.out, pkg.root, pkg.export_id = Path(out), Path(root), ""
        pkg.entries, pkg.tags, pkg.recorded = {}, dict(tags), True
        pkg._finished, pkg._journal, pkg._held = False, None, -1
        return pkg

    def __enter__(self) -> PackageWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._finished:
            if not self.recorded:
                shutil.rmtree(self.root, ignore_errors=True)
            self._let_go(keep=self.recorded)

    def _let_go(self, *, keep: bool) -> None:
        """Release the journal entry: removed, or kept for the next start (``keep``)."""
        if self._journal is None or self._held < 0:
            return
        if keep:
            os.close(self._held)
        else:
            self._journal.end(self.export_id, self._held)
        self._held = -1

    def path(self, rel: str) -> Path:
        """Where payload file ``rel`` (relative to ``data/``) is being written."""
        return self.root / "data" / rel

    def _target(self, rel: str) -> Path:
        if rel in self.entries:
            raise ValueError(f"package path written twice: {rel}")
        target = self.path(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def add_stream(
        self, rel: str, source: BinaryIO, *, progress: Callable[[int], None] | None = None
    ) -> Digest:
        """Copy ``source`` to ``data/rel`` in chunks, hashing as it goes; fsynced."""
        target = self._target(rel)
        try:
            with open(target, "wb", buffering=0) as dst, DualHasher() as hasher:
                while chunk := source.read(CHUNK_SIZE):
                    hasher.update(chunk)
                    view = memoryview(chunk)
                    while view:
                        view = view[dst.write(view) :]
                    if progress:
                        progress(len(chunk))
                os.fsync(dst.fileno())
                sha256, sm3 = hasher.hexdigests()
        except OSError as exc:
            raise storage_error(exc, target) from exc
        digest = Digest(sha256, sm3, hasher.size)
        self.entries[rel] = digest
        return digest

    def add_bytes(self, rel: str, data: bytes) -> Digest:
        digest = _write(self._target(rel), data)
        self.entries[rel] = digest
        return digest

    def add_json(self, rel: str, value: Any) -> Digest:
        return self.add_bytes(rel, json_bytes(value))

    def close(self, info: Mapping[str, str], *, bagging_date: date) -> list[dict[str, Any]]:
        """Write the tag files and both payload manifests: the bag is complete but for the
        export record. Return its contents, sorted by path: every payload and tag file
        written so far with its SHA-256, SM3 and size (what the export event records)."""
        files = sorted(self.entries)
        oxum = f"{sum(self.entries[f].size for f in files)}.{len(files)}"
        tags: dict[str, bytes] = {
            "bagit.txt": f"BagIt-Version: {BAGIT_VERSION}\nTag-File-Character-Encoding: UTF-8\n".encode(),
            "bag-info.txt": _bag_info(info, bagging_date, oxum),
            "README.txt": README.encode("utf-8"),
        }
        payload = {f"data/{f}": (d.sha256, d.sm3) for f, d in self.entries.items()}
        for alg in ALGORITHMS:
            tags[f"manifest-{alg}.txt"] = manifest_bytes(payload, alg)
        for name, data in tags.items():
            self.tags[name] = _write(self.root / name, data)
        every = {**{f"data/{f}": d for f, d in self.entries.items()}, **self.tags}
        return [{"path": path, **every[path].as_dict()} for path in sorted(every)]

    def seal(self, record: bytes) -> Path:
        """Write the export record, then the tag manifests over every tag file, and move the
        bag to ``out``; return ``out``."""
        self.tags[EXPORT_RECORD] = _write(self.root / EXPORT_RECORD, record)
        listed = {name: (d.sha256, d.sm3) for name, d in self.tags.items()}
        for alg in ALGORITHMS:
            _write(self.root / f"tagmanifest-{alg}.txt", manifest_bytes(listed, alg))
        try:
            if self.out.exists():
                self.out.rmdir()  # empty, checked on construction
            os.rename(self.root, self.out)
            fsync_dir(self.out.parent)
        except OSError as exc:
            raise storage_error(exc, self.out) from exc
        self._finished = True
        self._let_go(keep=False)
        return self.out


def manifest_bytes(digests: Mapping[str, Sequence[str]], alg: str) -> bytes:
    """A manifest or tag manifest (RFC 8493 §2.1.3): ``<digest>  <path>`` per file, sorted
    by path; ``digests`` maps each path to its (SHA-256, SM3). The writer and the verifier
    both use it, so a tag manifest can be demanded to be exactly this."""
    column = ALGORITHMS.index(alg)
    lines = [f"{digests[path][column]}  {_encode(path)}\n" for path in sorted(digests)]
    return "".join(lines).encode("utf-8")


def _write(target: Path, data: bytes) -> Digest:
    """Write ``data`` to ``target``, fsynced; its digests."""
    try:
        with open(target, "wb") as dst:
            dst.write(data)
            dst.flush()
            os.fsync(dst.fileno())
    except OSError as exc:
        raise storage_error(exc, target) from exc
    sha256, sm3 = bytes_digests(data)
    return Digest(sha256, sm3, len(data))


def _encode(path: str) -> str:
    """RFC 8493 §2.1.3: percent-encode CR, LF and % in manifest paths."""
    return path.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _bag_info(info: Mapping[str, str], bagging_date: date, oxum: str) -> bytes:
    fields = {**info, "Bagging-Date": bagging_date.isoformat(), "Payload-Oxum": oxum}
    lines = []
    for label, value in fields.items():
        text = " ".join(str(value).split())  # one line per tag, no folding needed
        lines.append(f"{label}: {text}\n")
    return "".join(lines).encode("utf-8")
