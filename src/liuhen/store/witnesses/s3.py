"""A bucket as a witness: one object per signed checkpoint, ``<prefix>/<origin>/<size>.note``
(size zero-padded to 20 digits, so the listing is in order), never overwritten. When the
bucket has object lock enabled, each object is written under COMPLIANCE retention
(``RETENTION_YEARS``), so not even the account that wrote it can delete or change it before
then; a bucket without it still keeps a copy outside the data directory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError

from liuhen.store.blobs.s3 import s3_client
from liuhen.store.witnesses import S3WitnessError

__all__ = ["RETENTION_YEARS", "S3Witness", "S3WitnessError"]

RETENTION_YEARS = 30


class S3Witness:
    def __init__(
        self,
        url: str,
        endpoint_url: str | None,
        access_key: str | None,
        secret_key: str | None,
        region: str,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError(f"not an s3://bucket/prefix address: {url!r}")
        self.bucket = parts.netloc
        self.prefix = parts.path.strip("/")
        self._client = s3_client(  # a witness that is down must not hold up the write
            endpoint_url, access_key, secret_key, region,
            attempts=1, connect_timeout=3, read_timeout=10,
        )  # fmt: skip
        self._locked: bool | None = None

    def _folder(self, origin: str) -> str:
        return f"{self.prefix}/{origin}/" if self.prefix else f"{origin}/"

    def object_lock(self) -> bool:
        """Whether the bucket has object lock enabled (asked once)."""
        if self._locked is None:
            try:
                conf = self._client.get_object_lock_configuration(Bucket=self.bucket)
                enabled = conf.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled")
                self._locked = enabled == "Enabled"
            except (ClientError, BotoCoreError):
                self._locked = False
        return self._locked

    def put(self, origin: str, tree_size: int, note: str) -> None:
        key = f"{self._folder(origin)}{tree_size:020d}.note"
        extra: dict[str, Any] = {}
        try:
            if self.object_lock():
                until = datetime.now(UTC) + timedelta(days=365 * RETENTION_YEARS)
                extra = {"ObjectLockMode": "COMPLIANCE", "ObjectLockRetainUntilDate": until}
            try:
                self._client.head_object(Bucket=self.bucket, Key=key)
                return  # never overwrite what the witness holds
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") not in (
                    "404",
                    "NoSuchKey",
                    "NotFound",
                ):
                    raise
            self._client.put_object(Bucket=self.bucket, Key=key, Body=note.encode("utf-8"), **extra)
        except (ClientError, BotoCoreError) as exc:
            raise S3WitnessError(str(exc)) from exc

    def notes(self, origin: str) -> list[tuple[str, str | None]]:
        """(object key, its text or None when unreadable), in key order."""
        found: list[tuple[str, str | None]] = []
        try:
            pages = self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self._folder(origin)
            )
            keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
            for key in sorted(keys):
                body = self._client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
                try:
                    found.append((key, body.decode("utf-8")))
                except UnicodeDecodeError:
                    found.append((key, None))
        except (ClientError, BotoCoreError) as exc:
            raise S3WitnessError(str(exc)) from exc
        return found

    def location(self, key: str = "") -> str:
        return f"s3://{self.bucket}/{key}"
