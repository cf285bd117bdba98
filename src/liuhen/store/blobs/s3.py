"""Blobs in S3-compatible object storage (SeaweedFS, MinIO, Ceph RGW): ``<prefix>/sha256/<hex>``.

An ingest spools the stream to a local temp file while hashing it (the key is only known at
the end), then uploads it with boto3's managed multipart transfer unless the key already
exists, with the SM3 as object metadata, and checks the stored size afterwards. Memory stays
constant: the spool is on disk and multipart parts are read from it one at a time. Objects
uploaded but not yet registered are marked beside the spool (``pending``): the markers are
local to the node, so the next start of the node whose ingest died removes its orphans.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO, cast

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from liuhen.errors import InvalidInput, NotFound, StorageError
from liuhen.store.blobs.base import (
    BlobInfo,
    BlobStore,
    Progress,
    StoredObject,
    check_key,
    check_range,
    is_key,
)
from liuhen.store.blobs.hashing import CHUNK_SIZE, hash_stream
from liuhen.store.blobs.pending import PendingBlobs
from liuhen.store.blobs.s3_staging import S3_ERRORS, S3Staging
from liuhen.store.blobs.spool import TempBlob, cleanup, stale

MULTIPART_CHUNK = 16 << 20


def s3_client(
    endpoint_url: str | None,
    access_key: str | None,
    secret_key: str | None,
    region: str,
    *,
    attempts: int = 3,
    connect_timeout: float = 10,
    read_timeout: float = 120,
) -> Any:
    """A boto3 S3 client for an S3-compatible server (path-style addresses, as SeaweedFS and
    MinIO serve them); the blob store's and the S3 witness's."""
    with _SESSION_LOCK:  # a session is not thread-safe; the clients it makes are
        return _session().client(
            "s3",
            endpoint_url=endpoint_url,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            region_name=region,
            config=Config(
                s3={"addressing_style": "path"},
                retries={"max_attempts": attempts, "mode": "standard"},
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
            ),
        )


_SESSION_LOCK = threading.Lock()


@cache
def _session() -> boto3.session.Session:
    """One boto3 session a process: a new one reads botocore's endpoint and S3 model files
    again (~0.1 s of CPU each client), which the first one keeps loaded."""
    return boto3.session.Session()


_S3_ERRORS = S3_ERRORS


class S3BlobStore(BlobStore):
    def __init__(
        self,
        bucket: str,
        prefix: str,
        endpoint_url: str | None,
        access_key: str | None,
        secret_key: str | None,
        region: str = "us-east-1",
        *,
        spool_dir: Path | None = None,
        multipart_chunk_size: int = MULTIPART_CHUNK,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self._key_prefix = f"{self.prefix}/sha256/" if self.prefix else "sha256/"
        self.endpoint_url = endpoint_url
        self.region = region
        self.spool_dir = Path(spool_dir or Path(tempfile.gettempdir()) / "liuhen-spool")
        self.pending = PendingBlobs(self.spool_dir.with_name(self.spool_dir.name + "-pending"))
        self._client = s3_client(endpoint_url, access_key, secret_key, region)
        self._transfer = TransferConfig(
            multipart_threshold=multipart_chunk_size,
            multipart_chunksize=multipart_chunk_size,
            max_concurrency=4,
            preferred_transfer_client="classic",
        )
        self._bucket_ready = False

    def key_for(self, sha256: str) -> str:
        return self._key_prefix + check_key(sha256)

    def ingest(self, source: BinaryIO, *, progress: Progress | None = None) -> BlobInfo:
        self._ensure_bucket()  # fail before reading gigabytes if the store is unreachable
        with TempBlob(self.spool_dir, durable=False) as temp:
            sha256, sm3, size = temp.fill(source, progress)
            key = self.key_for(sha256)
            extra = {"Metadata": {"sm3": sm3}, "ContentType": "application/octet-stream"}

            def put() -> None:
                try:
                    self._client.upload_file(
                        str(temp.path), self.bucket, key, ExtraArgs=extra, Config=self._transfer
                    )
                except _S3_ERRORS as exc:
                    raise self._error(exc, f"上传 {key}") from exc
                self._verify_upload(key, size)

            created = self.pending.place(sha256, lambda: self._head(key) is not None, put)
        return BlobInfo(sha256, sm3, size, created=created)

    def shared_log(self) -> Any:
        """The checkpoint log of the cluster, beside the blobs (``store.object_log``)."""
        from liuhen.store.object_log import ObjectLog

        return ObjectLog(self._client, self.bucket, self.prefix, self._ensure_bucket)

    def staging(self) -> S3Staging:
        """Where resumable uploads are staged: multipart uploads in this bucket."""
        return S3Staging(self._client, self.bucket, self.prefix, self._ensure_bucket, self._error)

    def adopt_staged(self, staged_key: str, digests: tuple[str, str], size: int) -> BlobInfo:
        """Take the staged object (a completed multipart upload whose digests were computed
        as it arrived) under its content address with a server-side copy, the SM3 as its
        metadata; the staged object stays (its upload removes it)."""
        sha256, sm3 = digests
        key = self.key_for(sha256)
        extra = {
            "Metadata": {"sm3": sm3},
            "MetadataDirective": "REPLACE",
            "ContentType": "application/octet-stream",
        }

        def put() -> None:
            try:
                self._client.copy(
                    {"Bucket": self.bucket, "Key": staged_key},
                    self.bucket,
                    key,
                    ExtraArgs=extra,
                    Config=self._transfer,
                )
            except _S3_ERRORS as exc:
                raise self._error(exc, f"复制 {staged_key} 到 {key}") from exc
            self._verify_upload(key, size)

        created = self.pending.place(sha256, lambda: self._head(key) is not None, put)
        return BlobInfo(sha256, sm3, size, created=created)

    def place_uploaded(self, s3_id: str, parts: list[list[Any]], sha256: str, size: int) -> bool:
        """Complete the multipart upload made at the content address of ``sha256`` (the
        caller found its bytes to match it): True when this made the blob; False when the
        store held it already (then the multipart upload is aborted and nothing is written:
        stored bytes are never replaced). Marked ``pending`` until its row commits."""
        key = self.key_for(sha256)
        staging = self.staging()
        made = False

        def put() -> None:
            nonlocal made
            made = staging.complete_new(key, s3_id, parts)
            if made:
                self._verify_upload(key, size)

        self.pending.place(sha256, lambda: self._head(key) is not None, put)
        if not made:
            staging.abort("", s3_id, key=key)
        return made

    def exists(self, sha256: str) -> bool:
        return self._head(self.key_for(sha256)) is not None

    def size(self, sha256: str) -> int:
        head = self._head(self.key_for(sha256))
        if head is None:
            raise self._not_found(sha256)
        return int(head["ContentLength"])

    def sm3(self, sha256: str) -> str | None:
        """The SM3 stored as metadata at upload, or None if the object has none."""
        head = self._head(self.key_for(sha256))
        if head is None:
            raise self._not_found(sha256)
        value = head.get("Metadata", {}).get("sm3")
        return str(value) if value else None

    def open(self, sha256: str) -> BinaryIO:
        return cast(BinaryIO, self._get(sha256)["Body"])

    def read_range(self, sha256: str, start: int, end_inclusive: int) -> Iterator[bytes]:
        check_range(start, end_inclusive)
        body = self._get(sha256, Range=f"bytes={start}-{end_inclusive}")["Body"]
        return self._iter_body(sha256, body)

    def rehash(self, sha256: str) -> tuple[str, str, int]:
        with self.open(sha256) as body:
            try:
                return hash_stream(body)
            except (*_S3_ERRORS, OSError) as exc:
                raise self._error(exc, f"读取 {self.key_for(sha256)}") from exc

    def iter_objects(self) -> Iterator[StoredObject]:
        prefix = self._key_prefix
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        )
        try:
            for page in pages:
                for item in page.get("Contents", []):
                    name = item["Key"][len(prefix) :]
                    if is_key(name):
                        yield StoredObject(
                            name, int(item["Size"]), item["LastModified"].timestamp()
                        )
        except ClientError as exc:
            if _code(exc) != "NoSuchBucket":
                raise self._error(exc, "列出对象") from exc
        except BotoCoreError as exc:
            raise self._error(exc, "列出对象") from exc

    def stat(self, sha256: str) -> StoredObject | None:
        head = self._head(self.key_for(sha256))
        if head is None:
            return None
        return StoredObject(sha256, int(head["ContentLength"]), head["LastModified"].timestamp())

    def location(self, sha256: str) -> str:
        return self.key_for(sha256)

    def delete(self, sha256: str) -> None:
        key = self.key_for(sha256)
        if self._head(key) is None:
            raise self._not_found(sha256)
        try:
            self._client.delete_object(Bucket=self.bucket, Key=key)
        except _S3_ERRORS as exc:
            raise self._error(exc, f"删除 {key}") from exc

    def cleanup_temp(self) -> int:
        """Remove stray spool files. Parts of multipart uploads cut off by a crash stay in
        the bucket until its lifecycle rule (AbortIncompleteMultipartUpload) removes them."""
        return cleanup(self.spool_dir)

    def stale_temp(self, older_than: float) -> list[tuple[Path, float]]:
        return stale(self.spool_dir, older_than)

    def settle(self, keys: Iterable[str]) -> None:
        self.pending.settle(keys)

    def recover_pending(self, registered: Callable[[str], bool]) -> list[str]:
        return self.pending.recover(registered, self._remove_orphan)

    def pending_leftovers(self, older_than: float) -> list[tuple[str, float]]:
        return self.pending.unheld(older_than)

    def marker_held(self, sha256: str) -> bool | None:
        return self.pending.held(check_key(sha256))

    def collecting(self, sha256: str) -> AbstractContextManager[bool]:
        return self.pending.taken(check_key(sha256))

    def _remove_orphan(self, sha256: str) -> bool:
        try:
            self.delete(sha256)
        except NotFound:
            return False
        return True

    def describe(self) -> str:
        where = f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"
        return f"{where}（{self.endpoint_url}）" if self.endpoint_url else where

    # -- helpers ---------------------------------------------------------------------
    def _ensure_bucket(self) -> None:
        if self._bucket_ready:
            return
        try:
            self._client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if _status(exc) != 404:
                raise self._error(exc, f"访问桶 {self.bucket}") from exc
            self._create_bucket()
        except BotoCoreError as exc:
            raise self._error(exc, f"访问桶 {self.bucket}") from exc
        self._bucket_ready = True

    def _create_bucket(self) -> None:
        args: dict[str, Any] = {"Bucket": self.bucket}
        if self.region != "us-east-1":
            args["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        try:
            self._client.create_bucket(**args)
        except ClientError as exc:
            if _code(exc) not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise self._error(exc, f"创建桶 {self.bucket}") from exc
        except BotoCoreError as exc:
            raise self._error(exc, f"创建桶 {self.bucket}") from exc

    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            return cast(dict[str, Any], self._client.head_object(Bucket=self.bucket, Key=key))
        except ClientError as exc:
            if _status(exc) == 404:
                return None
            raise self._error(exc, f"查询 {key}") from exc
        except BotoCoreError as exc:
            raise self._error(exc, f"查询 {key}") from exc

    def _get(self, sha256: str, **args: str) -> dict[str, Any]:
        key = self.key_for(sha256)
        try:
            return cast(
                dict[str, Any], self._client.get_object(Bucket=self.bucket, Key=key, **args)
            )
        except ClientError as exc:
            if _status(exc) == 404:
                raise self._not_found(sha256) from None
            if _status(exc) == 416:
                raise InvalidInput(f"读取范围 {args.get('Range')} 超出文件长度") from None
            raise self._error(exc, f"读取 {key}") from exc
        except BotoCoreError as exc:
            raise self._error(exc, f"读取 {key}") from exc

    def _iter_body(self, sha256: str, body: Any) -> Iterator[bytes]:
        try:
            yield from body.iter_chunks(CHUNK_SIZE)
        except (*_S3_ERRORS, OSError) as exc:
            raise self._error(exc, f"读取 {self.key_for(sha256)}") from exc
        finally:
            body.close()

    def _verify_upload(self, key: str, size: int) -> None:
        head = self._head(key)
        stored = None if head is None else int(head["ContentLength"])
        if stored == size:
            return
        try:
            self._client.delete_object(Bucket=self.bucket, Key=key)
        except _S3_ERRORS:
            pass  # reported below either way
        raise StorageError(
            f"上传到 {self.describe()} 的 {key} 校验失败：应为 {size} 字节，实际为 {stored}；"
            "已删除不完整的对象，请检查对象存储后重试"
        )

    def _not_found(self, sha256: str) -> NotFound:
        return NotFound(
            f"存储 {self.describe()} 中没有摘要为 {sha256} 的文件：它可能已按审批销毁，"
            "或存储位置（LIUHEN_STORE_URL）设置有误"
        )

    def _error(self, exc: Exception, action: str) -> StorageError:
        if isinstance(exc, ClientError):
            detail = f"{_code(exc)} {exc.response.get('Error', {}).get('Message', '')}".strip()
            hint = "请检查桶权限和 LIUHEN_S3_ACCESS_KEY、LIUHEN_S3_SECRET_KEY 设置"
        else:
            detail = str(exc)
            hint = "请检查 LIUHEN_S3_ENDPOINT 和网络连接后重试"
        return StorageError(f"对象存储 {self.describe()} {action}失败：{detail}；{hint}")


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _status(exc: ClientError) -> int:
    meta = exc.response.get("ResponseMetadata", {})
    code = meta.get("HTTPStatusCode") or 0
    if not code and _code(exc) in ("404", "NoSuchKey", "NoSuchBucket", "NotFound"):
        return 404
    return int(code)
