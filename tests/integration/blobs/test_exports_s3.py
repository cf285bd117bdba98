"""Exports in a cluster whose store is an object store (SeaweedFS): the finished file is kept
in the bucket, not on the node that made it, so any node sends it; after the retention
period the scheduled cleanup removes it from the bucket."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.conftest import ADMIN_PASSWORD
from tests.factories import make_user
from tests.fixtures import FakeClock
from tests.helpers import make_case_with_files, web_login

from liuhen.services.admin.setup import initialise
from liuhen.services.archiving.export_jobs import job_dir, job_key
from liuhen.store.store import Store
from liuhen.web.app import create_app

from .conftest import S3_ACCESS_KEY, S3_BUCKET, S3_SECRET_KEY

pytestmark = pytest.mark.s3
PASSWORD = "Export-s3-2026"


def test_an_export_is_kept_in_the_bucket_sent_from_it_and_removed_when_expired(
    seaweedfs: str, tmp_path: Path, make_settings: Any, clock: FakeClock
) -> None:
    env = {
        "LIUHEN_STORE_URL": f"s3://{S3_BUCKET}/exports-{uuid.uuid4().hex[:8]}",
        "LIUHEN_S3_ENDPOINT": seaweedfs,
        "LIUHEN_S3_ACCESS_KEY": S3_ACCESS_KEY,
        "LIUHEN_S3_SECRET_KEY": S3_SECRET_KEY,
    }
    settings = make_settings(tmp_path / "data", env=env)
    initialise(settings, admin_password=ADMIN_PASSWORD, clock=clock)
    store = Store.open(settings, clock=clock)
    try:
        made = make_case_with_files(store, tmp_path)
        make_user(store, "keeper", "custodian", agency_id=made["agency"], password=PASSWORD)
        app = create_app(settings, store=store)
        web = TestClient(app, base_url="http://127.0.0.1")
        assert web_login(web, "keeper", PASSWORD).status_code == 303
        case = made["case"]
        job = web.post(f"/api/cases/{case}/exports?kind=case_file").json()
        assert app.state.jobs.wait(job_key(job["id"]), timeout=120).state == "done"
        staging = store.blobs.staging()
        assert staging.exported() == [job["id"]]
        assert not job_dir(settings, job["id"]).exists()  # nothing kept on the node
        got = web.get(f"/cases/{case}/exports/{job['id']}/download")
        assert got.status_code == 200 and got.content.startswith(b"%PDF")
        assert "attachment" in got.headers["content-disposition"]
        assert int(got.headers["content-length"]) == len(got.content)

        clock.advance(hours=settings.export_retention_hours + 1)
        runner = app.state.jobs
        assert runner.make_scheduled() == 2  # export_cleanup, job_cleanup
        assert runner.run_one() and runner.run_one()
        assert staging.exported() == []
    finally:
        store.close()
