"""Disposal with the blobs in S3 (SeaweedFS): after the retention date and the approval,
the object is deleted, the tombstone stays, and ``verify`` passes and lists it."""

from __future__ import annotations

import uuid

from tests.conftest import ADMIN_PASSWORD, FakeClock
from tests.factories import make_user, ready_to_close
from tests.helpers import SYSTEM, make_case_with_files

from liuhen.services.admin.setup import initialise
from liuhen.services.approvals.workflow import decide
from liuhen.services.archiving.disposal import dispose, request_disposal
from liuhen.services.archiving.filing import file_case
from liuhen.services.archiving.integrity import verify
from liuhen.services.cases.serving import close_case
from liuhen.store.blobs.s3 import S3BlobStore
from liuhen.store.store import Store

from .conftest import S3_ACCESS_KEY, S3_BUCKET, S3_SECRET_KEY

PASSWORD = "Archive-pass-2026"


def test_disposal_deletes_the_s3_object_and_keeps_the_tombstone(
    seaweedfs, tmp_path, clock, make_settings
):
    settings = make_settings(
        tmp_path / "data",
        env={
            "LIUHEN_STORE_URL": f"s3://{S3_BUCKET}/dispose-{uuid.uuid4().hex[:8]}",
            "LIUHEN_S3_ENDPOINT": seaweedfs,
            "LIUHEN_S3_ACCESS_KEY": S3_ACCESS_KEY,
            "LIUHEN_S3_SECRET_KEY": S3_SECRET_KEY,
        },
    )
    initialise(settings, admin_password=ADMIN_PASSWORD, clock=clock)
    store = Store.open(settings, clock=clock)
    try:
        assert isinstance(store.blobs, S3BlobStore)
        _dispose_after_the_date(store, tmp_path, clock)
    finally:
        store.close()


def _dispose_after_the_date(store: Store, tmp_path, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    made = make_case_with_files(store, tmp_path)
    keeper = make_user(
        store,
        "keeper",
        "custodian",
        agency_id=made["agency"],
        display_name="王档案",
        password=PASSWORD,
    )
    head = make_user(
        store, "chief", "head", agency_id=made["agency"], display_name="赵局长", password=PASSWORD
    )
    clock.advance(days=1)
    ready_to_close(store, made["case"])
    close_case(store, SYSTEM, case_id=made["case"], at=clock(), outcome="closed")
    file_case(store, keeper.actor, made["case"], custodian_id=keeper.id, retention_term="10y")
    clock.advance(days=366 * 10 + 3)
    approval = request_disposal(store, keeper.actor, made["record"], reason="保管期满")
    decide(
        store,
        head.actor,
        approval,
        decision="approved",
        opinion="同意",
        position="head",
        final=True,
    )
    assert store.blobs.exists(made["blob"])
    result = dispose(store, keeper.actor, made["record"], approval_id=approval)
    assert result.files[0]["bytes_removed"] is True
    assert not store.blobs.exists(made["blob"])
    report = verify(store, SYSTEM)
    assert report.ok, report.problems
    assert [d["sha256"] for d in report.disposed] == [made["blob"]]
