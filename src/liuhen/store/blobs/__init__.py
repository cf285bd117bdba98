"""Content-addressed blob storage: media and documents by SHA-256, SM3 beside it.

``open_blob_store(settings)`` picks the store from ``LIUHEN_STORE_URL``: ``file:///dir``
for a local directory, ``s3://bucket/prefix`` for S3-compatible object storage. boto3 is
imported only when an S3 store is opened.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from liuhen.config import Settings
from liuhen.errors import ConfigError
from liuhen.store.blobs.base import BlobInfo, BlobStore, Progress
from liuhen.store.blobs.local import LocalBlobStore

__all__ = ["BlobInfo", "BlobStore", "LocalBlobStore", "Progress", "open_blob_store"]


def open_blob_store(settings: Settings) -> BlobStore:
    url = urlsplit(settings.store_url)
    if url.scheme == "file":
        path = Path(unquote(url.path))
        if url.netloc not in ("", "localhost") or not path.is_absolute():
            raise ConfigError(
                f"LIUHEN_STORE_URL: {settings.store_url!r} 应为绝对路径，如 file:///var/lib/liuhen/blobs"
            )
        return LocalBlobStore(path)
    if url.scheme == "s3":
        from liuhen.store.blobs.s3 import S3BlobStore

        if not url.netloc:
            raise ConfigError(
                f"LIUHEN_STORE_URL: {settings.store_url!r} 缺少桶名，应为 s3://桶/前缀"
            )
        return S3BlobStore(
            bucket=url.netloc,
            prefix=unquote(url.path).strip("/"),
            endpoint_url=settings.s3_endpoint,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key,
            region=settings.s3_region,
            spool_dir=settings.data_dir / "tmp" / "s3-spool",
        )
    raise ConfigError(
        f"LIUHEN_STORE_URL: {settings.store_url!r} 不是受支持的存储地址，应为 file:///目录 或 s3://桶/前缀"
    )
