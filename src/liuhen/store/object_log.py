"""The checkpoint log in the object store: one log for every node of a cluster.

With an S3 blob store the data directory's ``checkpoints.jsonl`` would be one file per node,
each holding only the checkpoints its node signed, so ``liuhen verify`` on any node would
find the others missing. The log then lives beside the blobs instead, outside the database
as before (what a rollback of the database cannot reach): one object per checkpoint,
``<prefix>/checkpoint-log/<tree size, 12 digits>-<digest of the entry>.json``, each holding
the entry as the file's line would. Objects are written once and never rewritten; listing
them in key order reads the log in tree order, and the newest tree size is in the last key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from liuhen.errors import StorageError
from liuhen.ledger.note import read_log_entry
from liuhen.store.blobs.s3_staging import S3_ERRORS

FOLDER = "checkpoint-log"


class ObjectLog:
    """The shared checkpoint log of one S3 store (its client, bucket and prefix)."""

    def __init__(
        self,
        client: Any,
        bucket: str,
        prefix: str,
        ensure_bucket: Callable[[], None] = lambda: None,
    ) -> None:
        self.client, self.bucket = client, bucket
        self.prefix = f"{prefix}/{FOLDER}/" if prefix else f"{FOLDER}/"
        self._ensure_bucket = ensure_bucket

    @property
    def location(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def append(self, entry: dict[str, Any]) -> None:
        """Write one entry as its own object (the same entry twice is the same object).
        ``StorageError`` when the store refuses: the write has committed, and the next
        start adds what is missing (``store.recovery.catch_up_shared_log``)."""
        line = json.dumps(entry, ensure_ascii=False, sort_keys=True).encode("utf-8")
        size = read_log_entry(entry)[0].tree_size
        key = f"{self.prefix}{size:012d}-{hashlib.sha256(line).hexdigest()[:16]}.json"
        try:
            self._ensure_bucket()
            self.client.put_object(Bucket=self.bucket, Key=key, Body=line + b"\n")
        except S3_ERRORS as exc:
            raise StorageError(
                f"检查点 @{size} 已签名，但写入共享检查点记录 {self.location} 失败（{exc}）："
                "下次启动时补写；请检查对象存储"
            ) from exc

    def keys(self) -> list[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        return [item["Key"] for page in pages for item in page.get("Contents", [])]

    def lines(self, keys: list[str] | None = None) -> list[bytes]:
        """Every entry (or those of ``keys``), in tree order; ``OSError`` when the store
        cannot be read."""
        out = []
        try:
            for key in self.keys() if keys is None else keys:
                body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
                try:
                    out.append(bytes(body.read()).rstrip(b"\n"))
                finally:
                    body.close()
        except S3_ERRORS as exc:
            raise OSError(f"对象存储 {self.location} 无法读取：{exc}") from exc
        return out

    def newest_entry(self) -> tuple[int, str] | None:
        """The newest checkpoint held (tree size, root hash in hex); None when there is none
        or it cannot be read."""
        keys = [k for k in self.keys() if _named(k, self)]
        if not keys:
            return None
        try:
            [line] = self.lines(keys[-1:])
            cp = read_log_entry(json.loads(line))[0]
        except (OSError, ValueError, TypeError, KeyError):
            return None
        return cp.tree_size, cp.root_hash.hex()

    def set_aside(self, name: str) -> int:
        """Move every entry to ``<prefix>/checkpoint-log-<name>/`` (a restore replacing the
        store keeps the log it replaced, as a data directory keeps its file); how many."""
        aside = f"{self.prefix[: -len(FOLDER) - 1]}{FOLDER}-{name}/"
        keys = self.keys()
        try:
            for key in keys:
                source = {"Bucket": self.bucket, "Key": key}
                target = aside + key[len(self.prefix) :]
                self.client.copy_object(CopySource=source, Bucket=self.bucket, Key=target)
                self.client.delete_object(Bucket=self.bucket, Key=key)
        except S3_ERRORS as exc:
            raise StorageError(f"无法移开共享检查点记录 {self.location}（{exc}）") from exc
        return len(keys)

    def newest(self) -> int | None:
        """The largest tree size held (-1 when the log holds none), from the keys alone;
        None when the store cannot be listed."""
        try:
            keys = self.keys()
        except S3_ERRORS:
            return None
        sizes = [int(k[len(self.prefix) :].split("-", 1)[0]) for k in keys if _named(k, self)]
        return max(sizes, default=-1)


def _named(key: str, log: ObjectLog) -> bool:
    head = key[len(log.prefix) :].split("-", 1)[0]
    return len(head) == 12 and head.isdigit()
