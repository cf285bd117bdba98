"""The backup's MANIFEST: what the backup holds, and the SHA-256 of every file in it.

Every file is hashed as it is written (``copy_hashed``), the MANIFEST lists them, and
``MANIFEST.sha256`` holds the MANIFEST's own digest, so one byte changed anywhere in a backup
is found by ``check_backup`` before a restore changes anything.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path, PurePosixPath
from typing import Any

from liuhen.errors import BackupInvalid
from liuhen.store.backup import FORMAT, MANIFEST, MANIFEST_DIGEST

CHUNK = 1 << 20


def copy_hashed(
    src: Path, dst: Path, *, limit: int | None = None, mode: int = 0o644
) -> dict[str, Any]:
    """Copy ``src`` (its first ``limit`` bytes when given) to the new file ``dst``, synced to
    disk; its SHA-256 and size as the MANIFEST lists them."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    left = limit
    with open(src, "rb") as reader, open(dst, "xb") as writer:
        while left is None or left > 0:
            chunk = reader.read(CHUNK if left is None else min(CHUNK, left))
            if not chunk:
                break
            writer.write(chunk)
            digest.update(chunk)
            size += len(chunk)
            if left is not None:
                left -= len(chunk)
        writer.flush()
        os.fsync(writer.fileno())
    os.chmod(dst, mode)
    return {"sha256": digest.hexdigest(), "size": size}


def file_entry(path: Path) -> dict[str, Any]:
    """The SHA-256 and size of a file already in the backup."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return {"sha256": digest.hexdigest(), "size": size}


def write_manifest(out: Path, body: dict[str, Any]) -> None:
    """Write MANIFEST (``body``, with its ``files``) and its digest, last of all: a backup
    cut short has no MANIFEST and is refused as incomplete."""
    data = (
        json.dumps({"format": FORMAT, **body}, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    ).encode("utf-8")
    for name, content in (
        (MANIFEST, data),
        (MANIFEST_DIGEST, f"{hashlib.sha256(data).hexdigest()}  {MANIFEST}\n".encode()),
    ):
        with open(out / name, "xb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
    fd = os.open(out, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def check_backup(src: Path, progress: Any = None) -> dict[str, Any]:
    """The MANIFEST of the backup in ``src`` once every file it lists is present with its
    size and SHA-256; ``BackupInvalid`` (one line, naming the first file that differs and how
    many do) otherwise. Reads only."""
    manifest = _read_manifest(src)
    files: dict[str, Any] = manifest["files"]
    bad: list[str] = []
    done = 0
    for name, entry in sorted(files.items()):
        problem = _check_file(src, name, entry)
        if problem:
            bad.append(problem)
        done += int(entry.get("size", 0)) if isinstance(entry, dict) else 0
        if progress is not None:
            progress(done)
    if bad:
        more = f"（共 {len(bad)} 个文件不符）" if len(bad) > 1 else ""
        raise BackupInvalid(
            f"备份 {src} 已损坏：{bad[0]}{more}；未改动任何数据，请换一份完好的备份"
        )
    return manifest


def _read_manifest(src: Path) -> dict[str, Any]:
    if not src.is_dir():
        raise BackupInvalid(f"{src} 不是目录：请给出 liuhen backup --out 写出的备份目录")
    try:
        data = (src / MANIFEST).read_bytes()
        recorded = (src / MANIFEST_DIGEST).read_text("utf-8").split()[0]
    except FileNotFoundError as exc:
        raise BackupInvalid(
            f"{src} 中没有 {Path(exc.filename or MANIFEST).name}：不是完整的留痕备份（备份未完成？）"
        ) from None
    except (OSError, UnicodeDecodeError, IndexError) as exc:
        raise BackupInvalid(f"{src}/{MANIFEST_DIGEST} 无法读取（{exc}）：备份已损坏") from None
    if hashlib.sha256(data).hexdigest() != recorded:
        raise BackupInvalid(f"备份 {src} 已损坏：{MANIFEST} 与其 SHA-256 不符；未改动任何数据")
    try:
        manifest = json.loads(data)
    except ValueError as exc:
        raise BackupInvalid(f"{src}/{MANIFEST} 不是 JSON（{exc}）：备份已损坏") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupInvalid(f"{src}/{MANIFEST} 不是本版本留痕的备份清单（应为 {FORMAT}）")
    if not isinstance(manifest.get("files"), dict):
        raise BackupInvalid(f"{src}/{MANIFEST} 缺少文件清单（files）：备份已损坏")
    return manifest


def _check_file(src: Path, name: str, entry: Any) -> str | None:
    """Why the file ``name`` differs from its MANIFEST entry, or None when it matches."""
    parts = PurePosixPath(name).parts
    if not parts or PurePosixPath(name).is_absolute() or ".." in parts:
        return f"清单中的路径 {name!r} 不在备份目录之内"
    if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str):
        return f"清单中 {name} 的条目不完整"
    path = src.joinpath(*parts)
    try:
        if path.stat().st_size != entry.get("size"):
            return f"{name} 的长度与清单不符"
        if file_entry(path)["sha256"] != entry["sha256"]:
            return f"{name} 的 SHA-256 与清单不符"
    except FileNotFoundError:
        return f"缺少 {name}"
    except OSError as exc:
        return f"{name} 无法读取（{exc.strerror or exc}）"
    return None
