"""Resumable uploads staged in the S3 bucket itself: one multipart upload per tus upload.

The staged object is ``<prefix>/staging/<upload id>``; its parts are sent as they fill
(``part_size``, at least S3's 5 MiB minimum), and the bytes of an unfinished PATCH short of a
part wait in a small *tail* object (``…/<upload id>.tail-<offset>``, one per offset so a
late writer cannot overwrite the tail another one committed) until the next PATCH, on any
node, picks them up. Completing the multipart upload makes the staged object; the blob store
then takes it under its content address with a server-side copy (``S3BlobStore.
adopt_staged``): no byte of it passes through the application node a second time. (A
multipart upload must name its key when it starts, and a blob's key is the SHA-256 known
only at the end, hence the copy inside the object store rather than a rename.)

When the sender announced the SHA-256, the multipart upload is made at the content address
itself (``start(…, key=)``) and its completion, once the bytes are found to match, is the
promotion: ``complete_new`` completes only where no object is yet (``If-None-Match: *``),
so bytes already stored are never replaced.

Incomplete multipart uploads cut off by a crash stay until ``abort`` (expiry) or the
bucket's AbortIncompleteMultipartUpload lifecycle rule.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from boto3.exceptions import S3UploadFailedError
from botocore.exceptions import BotoCoreError, ClientError

from liuhen.errors import StorageError
from liuhen.store.blobs.hashing import hash_stream

S3_ERRORS = (BotoCoreError, ClientError, S3UploadFailedError)

MIN_PART = 5 << 20
PART = 16 << 20
MAX_PARTS = 9_000
"""Below S3's 10,000-part limit, leaving room for parts sent twice after a failure."""
READ_BUFFER = 1 << 20


def part_size(length: int) -> int:
    """The part size for an upload of ``length`` bytes: 16 MiB, more for very large files."""
    need = -(-length // MAX_PARTS)
    return max(PART, -(-need // (1 << 20)) << 20)


class S3Staging:
    """The staging area of one S3 blob store: its client, bucket and prefix, how it makes
    sure the bucket exists and how it words a failed call."""

    def __init__(
        self,
        client: Any,
        bucket: str,
        prefix: str,
        ensure_bucket: Callable[[], None],
        error: Callable[[Exception, str], StorageError],
    ) -> None:
        self.client, self.bucket = client, bucket
        self._base = f"{prefix}/staging/" if prefix else "staging/"
        self._ensure_bucket, self._error = ensure_bucket, error

    def key(self, upload_id: str) -> str:
        return self._base + upload_id

    def tail_key(self, upload_id: str, offset: int) -> str:
        return f"{self._base}{upload_id}.tail-{offset}"

    def start(self, upload_id: str, *, key: str | None = None) -> str:
        """Begin the multipart upload (at ``key``, else the staged key); its id."""
        self._ensure_bucket()
        made = self._call(
            "create_multipart_upload",
            "开始暂存",
            Key=key or self.key(upload_id),
            ContentType="application/octet-stream",
        )
        return str(made["UploadId"])

    def put_part(
        self, upload_id: str, s3_id: str, number: int, data: bytes, *, key: str | None = None
    ) -> str:
        """Send one part; its ETag."""
        sent = self._call(
            "upload_part",
            f"暂存第 {number} 段",
            Key=key or self.key(upload_id),
            UploadId=s3_id,
            PartNumber=number,
            Body=data,
        )
        return str(sent["ETag"])

    def complete(self, upload_id: str, s3_id: str, parts: list[list[Any]]) -> None:
        self._call(
            "complete_multipart_upload",
            "完成暂存",
            Key=self.key(upload_id),
            UploadId=s3_id,
            MultipartUpload={"Parts": _listed(parts)},
        )

    def complete_new(self, key: str, s3_id: str, parts: list[list[Any]]) -> bool:
        """Complete the multipart upload at ``key`` unless an object is there already: True
        when this made it; False when one was there (nothing written; the upload stays,
        for ``abort``)."""
        try:
            self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=key,
                UploadId=s3_id,
                MultipartUpload={"Parts": _listed(parts)},
                IfNoneMatch="*",
            )
        except ClientError as exc:
            if _code(exc) in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
                return False
            raise self._error(exc, "完成上传") from exc
        except S3_ERRORS as exc:
            raise self._error(exc, "完成上传") from exc
        return True

    def abort(self, upload_id: str, s3_id: str, *, key: str | None = None) -> None:
        try:
            self.client.abort_multipart_upload(
                Bucket=self.bucket, Key=key or self.key(upload_id), UploadId=s3_id
            )
        except ClientError as exc:
            if _code(exc) not in ("NoSuchUpload", "404"):
                raise self._error(exc, "放弃暂存") from exc

    def put_tail(self, key: str, data: bytes) -> None:
        self._call("put_object", "暂存未满一段的数据", Key=key, Body=data)

    def get_tail(self, key: str) -> bytes:
        body = self._call("get_object", "读取未满一段的数据", Key=key)["Body"]
        try:
            return bytes(body.read())
        finally:
            body.close()

    def remove(self, key: str) -> None:
        """Delete a staged object or tail (gone already is fine)."""
        self._call("delete_object", "删除暂存", Key=key)

    def digests(self, upload_id: str) -> tuple[str, str, int]:
        """(sha256, sm3, size) of the completed staged object, read once from the store:
        needed only when no node kept the running digests to the end."""
        body = self._call("get_object", "读取暂存", Key=self.key(upload_id))["Body"]
        try:
            return hash_stream(body)
        finally:
            body.close()

    def export_key(self, job_id: str, name: str = "") -> str:
        """Where a finished export's file is kept for any node to send (``exports/<job>/``)."""
        return f"{self._base}exports/{job_id}/{name}"

    def put_file(self, key: str, path: Path) -> None:
        """Upload a file (multipart when large)."""
        self._ensure_bucket()
        try:
            self.client.upload_file(str(path), self.bucket, key)
        except S3_ERRORS as exc:
            raise self._error(exc, "保存导出的文件") from exc

    def exported(self) -> list[str]:
        """The export job ids that have files kept here."""
        base = f"{self._base}exports/"
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=base
        )
        try:
            keys = [item["Key"] for page in pages for item in page.get("Contents", [])]
        except S3_ERRORS as exc:
            raise self._error(exc, "列出导出的文件") from exc
        return sorted({key[len(base) :].split("/", 1)[0] for key in keys})

    def remove_export(self, job_id: str) -> None:
        for name in self._names(job_id):
            self.remove(self.export_key(job_id, name))

    def _names(self, job_id: str) -> list[str]:
        base = self.export_key(job_id)
        listed = self._call("list_objects_v2", "列出导出的文件", Prefix=base)
        return [item["Key"][len(base) :] for item in listed.get("Contents", [])]

    def reader(self, upload_id: str) -> tuple[int, BinaryIO]:
        """The completed staged object as a seekable file (ranged reads), for the probe."""
        return self.object_reader(self.key(upload_id))

    def object_reader(self, key: str) -> tuple[int, BinaryIO]:
        """An object as a seekable file (ranged reads) and its size."""
        size = int(self._call("head_object", "查询暂存", Key=key)["ContentLength"])
        return size, io.BufferedReader(_Ranges(self, key, size), buffer_size=READ_BUFFER)

    def open_object(self, key: str) -> tuple[int, Any]:
        """An object's size and its body, streamed (``iter_chunks``, then ``close``)."""
        got = self._call("get_object", "读取导出的文件", Key=key)
        return int(got["ContentLength"]), got["Body"]

    def _call(self, method: str, action: str, **args: Any) -> Any:
        try:
            return getattr(self.client, method)(Bucket=self.bucket, **args)
        except S3_ERRORS as exc:
            raise self._error(exc, action) from exc


def _listed(parts: list[list[Any]]) -> list[dict[str, Any]]:
    return [{"PartNumber": int(n), "ETag": etag} for n, etag, _ in parts]


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class _Ranges(io.RawIOBase):
    """A seekable read-only file over one object: each read is a ranged GET."""

    def __init__(self, staging: S3Staging, key: str, size: int) -> None:
        self._staging, self._key, self._size, self._pos = staging, key, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        want = min(len(buffer), self._size - self._pos)
        if want <= 0:
            return 0
        end = self._pos + want - 1
        got = self._staging._call(
            "get_object", "读取暂存", Key=self._key, Range=f"bytes={self._pos}-{end}"
        )
        body = got["Body"]
        try:
            data = body.read()
        finally:
            body.close()
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)
