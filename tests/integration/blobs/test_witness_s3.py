"""A bucket as a witness (``liuhen witness add s3://bucket/prefix``), on a real SeaweedFS:
every checkpoint after the registration is an object, under object lock when the bucket has
it; ``verify`` reads them back and reports a deleted one, naming the witness; a bucket that
cannot be reached never fails a write."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from tests.fixtures import ADMIN_PASSWORD

from liuhen.ledger.events import Actor
from liuhen.services.admin.ledger import checkpoint_now
from liuhen.services.admin.setup import initialise
from liuhen.services.archiving.integrity import verify
from liuhen.services.oversight.witnesses import add_witness
from liuhen.store.store import Store

from .conftest import S3_ACCESS_KEY, S3_SECRET_KEY

SYSTEM = Actor.system("见证测试")
ENGINES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _client(endpoint: str):  # type: ignore[no-untyped-def]
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=S3_ACCESS_KEY,
        aws_secret_access_key=S3_SECRET_KEY,
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}),
    )


@pytest.fixture(params=ENGINES)
def s3_store(request, seaweedfs: str, tmp_path: Path, make_settings) -> Iterator[Store]:  # type: ignore[no-untyped-def]
    env = {
        "LIUHEN_S3_ENDPOINT": seaweedfs,
        "LIUHEN_S3_ACCESS_KEY": S3_ACCESS_KEY,
        "LIUHEN_S3_SECRET_KEY": S3_SECRET_KEY,
    }
    settings = make_settings(tmp_path / "data", engine=request.param, env=env)
    initialise(settings, admin_password=ADMIN_PASSWORD)
    store = Store.open(settings)
    yield store
    store.close()


def _findings(store: Store) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for p in verify(store, SYSTEM).problems:
        found.setdefault(p.kind, []).append(p.object)
    return found


def test_a_bucket_holds_every_checkpoint_and_a_deleted_one_is_reported(
    s3_store: Store, seaweedfs: str
) -> None:
    bucket = f"witness-{uuid.uuid4().hex[:10]}"
    client = _client(seaweedfs)
    try:
        client.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    except client.exceptions.ClientError:
        client.create_bucket(Bucket=bucket)
    target = f"s3://{bucket}/township-a"
    add_witness(s3_store, SYSTEM, target)
    for _ in range(3):
        checkpoint_now(s3_store, SYSTEM)
    listed = client.list_objects_v2(Bucket=bucket, Prefix="township-a/")["Contents"]
    keys = sorted(o["Key"] for o in listed)
    latest = s3_store.latest_checkpoint()
    assert latest is not None and keys[-1].endswith(f"{int(latest['tree_size']):020d}.note")
    assert len(keys) == 4  # the registration's checkpoint and three more
    if s3_store.s3_witness(target).object_lock():
        head = client.head_object(Bucket=bucket, Key=keys[0])
        assert head.get("ObjectLockMode") == "COMPLIANCE"
    assert verify(s3_store, SYSTEM).ok

    client.delete_object(Bucket=bucket, Key=keys[1])
    assert f"witness:{target}" in _findings(s3_store)["witness_incomplete"]


def test_a_bucket_that_cannot_be_reached_never_fails_a_write(s3_store: Store) -> None:
    target = f"s3://no-such-bucket-{uuid.uuid4().hex[:8]}/x"
    add_witness(s3_store, SYSTEM, target)  # the registration itself is written
    checkpoint_now(s3_store, SYSTEM)
    assert f"witness:{target}" in _findings(s3_store)["witness_unreachable"]
