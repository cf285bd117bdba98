"""Step 1 of package verification: the bag as BagIt (RFC 8493) defines it.

``bagit.txt``; both payload manifests (SHA-256 and SM3) and both tag manifests present and
well formed; every file listed exists, every file present is listed; each file's SHA-256 and
SM3 equal both manifests (one read per file); ``Payload-Oxum`` matches. A symlink, device or
FIFO is named and never read. The digests computed here (``bag.computed``) serve the later
steps.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path

from liuhen.archive.digests import file_digests
from liuhen.archive.package_json import HEX64
from liuhen.archive.package_report import (
    ALGORITHMS,
    TAG_MANIFESTS,
    Bag,
    ByteProgress,
    PackageReport,
    plain_file,
)

_PERCENT = re.compile(r"%(0[dDaA]|25)")
_DECODED = {"0D": "\r", "0A": "\n", "25": "%"}
"""RFC 8493 §2.1.3: a manifest percent-encodes CR, LF and % in paths (``package._encode``)."""


def files_on_disk(root: Path) -> list[str]:
    """Every file under ``root`` as a relative NFC path, sorted: plain files, and symlinks
    and special files too (to be named, never followed)."""
    found = []
    for dirpath, dirs, names in os.walk(root):
        linked = [d for d in dirs if Path(dirpath, d).is_symlink()]
        for name in [*names, *linked]:
            rel = Path(dirpath, name).relative_to(root).as_posix()
            found.append(unicodedata.normalize("NFC", rel))
    return sorted(found)


def tags_of(text: str) -> dict[str, str]:
    """``Label: value`` lines of a tag file (the first of each label)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        if ":" in line and not line.startswith((" ", "\t")):
            label, value = line.split(":", 1)
            out.setdefault(label.strip(), value.strip())
    return out


def check_bag(bag: Bag, report: PackageReport, progress: ByteProgress | None) -> None:
    """Step 1 (see the module docstring)."""
    _check_bagit_txt(bag, report)
    payload = {
        alg: _parse_manifest(bag, report, f"manifest-{alg}.txt", payload=True) for alg in ALGORITHMS
    }
    tags = {
        alg: _parse_manifest(bag, report, name, payload=False)
        for alg, name in zip(ALGORITHMS, TAG_MANIFESTS, strict=True)
    }
    on_disk = files_on_disk(bag.root)
    for rel in on_disk:
        if not plain_file(bag.root / rel):
            report.add(rel, "file_not_plain", "不是普通文件（符号链接、设备或管道）：不予读取")
    _check_listed(bag, report, payload, [r for r in on_disk if r.startswith("data/")], "manifest")
    tag_files = [r for r in on_disk if not r.startswith("data/") and r not in TAG_MANIFESTS]
    _check_listed(bag, report, tags, tag_files, "tagmanifest")
    listed = sorted(set().union(*(m.keys() for m in payload.values())))
    present = [rel for rel in listed if plain_file(bag.root / rel)]
    _hash_payload(bag, report, present, payload, progress)
    for rel in sorted(set().union(*(m.keys() for m in tags.values()))):
        if plain_file(bag.root / rel):
            bag.computed[rel] = file_digests(bag.root / rel)
            _compare(report, rel, bag.computed[rel], tags, "tagmanifest")
    _check_oxum(bag, report, [r for r in on_disk if r.startswith("data/")])


def _check_bagit_txt(bag: Bag, report: PackageReport) -> None:
    data = bag.read("bagit.txt")
    if data is None:
        report.add("bagit.txt", "file_missing", "缺少 bagit.txt（BagIt 声明文件）")
        return
    try:
        tags = tags_of(data.decode("utf-8"))
    except UnicodeDecodeError:
        tags = {}
    if (
        "BagIt-Version" not in tags
        or tags.get("Tag-File-Character-Encoding", "").upper() != "UTF-8"
    ):
        report.add(
            "bagit.txt",
            "bagit_invalid",
            "bagit.txt 格式不对：应有 BagIt-Version 与 Tag-File-Character-Encoding: UTF-8",
        )


def _parse_manifest(bag: Bag, report: PackageReport, name: str, *, payload: bool) -> dict[str, str]:
    data = bag.read(name)
    if data is None:
        report.add(name, "manifest_missing", f"缺少清单文件 {name}")
        return {}
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        report.add(name, "manifest_unreadable", f"清单文件不是 UTF-8 文本：{exc}")
        return {}
    entries: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split(None, 1)
        value = parts[0].lower() if parts else ""
        rel = unicodedata.normalize("NFC", parts[1].strip().lstrip("*")) if len(parts) == 2 else ""
        rel = _PERCENT.sub(lambda m: _DECODED[m.group(1).upper()], rel)
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


def _check_listed(
    bag: Bag,
    report: PackageReport,
    manifests: Mapping[str, Mapping[str, str]],
    on_disk: list[str],
    kind: str,
) -> None:
    """Every file a manifest lists is there; every file there is in each manifest."""
    for alg, entries in manifests.items():
        for rel in sorted(entries):
            if not plain_file(bag.root / rel):
                report.add(rel, "file_missing", f"{kind}-{alg}.txt 中列出的文件在包中不存在")
        if not entries:
            continue  # missing or unreadable: said so already
        for rel in on_disk:
            if rel not in entries:
                report.add(rel, "file_unlisted", f"包中有未列入 {kind}-{alg}.txt 的文件（被添加）")


def _hash_payload(
    bag: Bag,
    report: PackageReport,
    present: list[str],
    manifests: Mapping[str, Mapping[str, str]],
    progress: ByteProgress | None,
) -> None:
    total = sum((bag.root / rel).stat().st_size for rel in present)
    done = 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total)

    for rel in present:
        bag.computed[rel] = file_digests(bag.root / rel, step)
        _compare(report, rel, bag.computed[rel], manifests, "manifest")
    report.files = len(present)
    report.bytes = total


def _compare(
    report: PackageReport,
    rel: str,
    got: tuple[str, str, int],
    manifests: Mapping[str, Mapping[str, str]],
    kind: str,
) -> None:
    for alg, value in zip(ALGORITHMS, got[:2], strict=True):
        expected = manifests[alg].get(rel)
        if expected is not None and expected != value:
            name = "SHA-256" if alg == "sha256" else "SM3"
            report.add(
                rel,
                "checksum_mismatch",
                f"文件的 {name} 摘要与 {kind}-{alg}.txt 不符（文件或清单被改动）："
                f"实为 {str(value)[:16]}…，清单为 {expected[:16]}…",
            )


def _check_oxum(bag: Bag, report: PackageReport, on_disk: list[str]) -> None:
    data = bag.read("bag-info.txt")
    try:
        info = tags_of(data.decode("utf-8")) if data is not None else None
    except UnicodeDecodeError:
        info = None
    if info is None:
        report.add("bag-info.txt", "bag_info_missing", "缺少或无法读取 bag-info.txt")
        return
    oxum = info.get("Payload-Oxum", "")
    size = sum((bag.root / r).stat().st_size for r in on_disk if plain_file(bag.root / r))
    actual = f"{size}.{len(on_disk)}"
    if oxum != actual:
        report.add(
            "bag-info.txt",
            "oxum_mismatch",
            f"Payload-Oxum 为 {oxum or '（无）'}，实际为 {actual}（字节数.文件数）",
        )
