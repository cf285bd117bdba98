"""Exporting from the case page (issue 16 item 4): the custodian asks for the archive package
and the case-file PDF, the background worker makes them with progress, the page offers the
download, and the downloaded package passes ``liuhen verify-package``; asking twice gives one
job; an officer (no ``case.export``) is refused; another case's job is not found."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.factories import make_case, make_user
from tests.helpers import make_case_with_files, web_login

from liuhen.cli import cli
from liuhen.store import tables as t
from liuhen.web.app import create_app
from liuhen.web.archiving.exports import export_key

PASSWORD = "Export-pass-2026"


def _client(app: Any, username: str) -> TestClient:
    client = TestClient(app, base_url="http://127.0.0.1")
    assert web_login(client, username, PASSWORD).status_code == 303
    client.csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/cases").text).group(1)  # type: ignore[attr-defined]
    return client


def _count(store: Any, table: Any, *where: Any) -> int:
    with store.read() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def test_the_custodian_exports_the_package_and_the_pdf_and_the_package_verifies(
    store: Any, tmp_path: Path
) -> None:
    made = make_case_with_files(store, tmp_path)
    make_user(store, "keeper", "custodian", agency_id=made["agency"], password=PASSWORD)
    app = create_app(store.settings, store=store)
    web = _client(app, "keeper")
    case = made["case"]
    page = web.get(f"/cases/{case}").text
    assert 'id="export-package"' in page and 'id="export-case-file"' in page

    asked = web.post(
        f"/cases/{case}/exports",
        data={"kind": "package", "csrf": web.csrf},  # type: ignore[attr-defined]
        follow_redirects=False,
    )
    assert asked.status_code == 303 and asked.headers["location"].endswith("#exports")
    again = web.post(f"/api/cases/{case}/exports?kind=package")
    assert again.status_code == 202
    assert _count(store, t.export_jobs) == 1  # the second ask found the first job
    [row] = web.get(f"/api/cases/{case}/exports").json()["jobs"]
    job = app.state.jobs.wait(export_key(row["id"]), timeout=120)
    assert job is not None and job.state == "done", job and job.error
    [done] = web.get(f"/api/cases/{case}/exports").json()["jobs"]
    assert done["state"] == "done" and done["percent"] == 100 and done["size"] > 0
    page = web.get(f"/cases/{case}").text
    link = f"/cases/{case}/exports/{done['id']}/download"
    assert link in page and "已完成" in page

    got = web.get(link)
    assert got.status_code == 200 and got.headers["content-type"] == "application/zip"
    assert "attachment" in got.headers["content-disposition"]
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(io.BytesIO(got.content)) as archive:
        archive.extractall(unpacked)
    [folder] = list(unpacked.iterdir())
    verified = CliRunner().invoke(cli, ["verify-package", str(folder)])
    assert verified.exit_code == 0, verified.output
    assert _count(store, t.ledger_events, t.ledger_events.c.action == "case.export_downloaded") == 1
    requested = t.ledger_events.c.action == "case.export_requested"
    assert _count(store, t.ledger_events, requested) == 1

    pdf = web.post(f"/api/cases/{case}/exports?kind=case_file").json()
    assert app.state.jobs.wait(export_key(pdf["id"]), timeout=120).state == "done"
    got = web.get(f"/cases/{case}/exports/{pdf['id']}/download")
    assert got.status_code == 200 and got.content.startswith(b"%PDF")


def test_exports_are_refused_without_the_permission_and_across_cases(
    store: Any, tmp_path: Path
) -> None:
    made = make_case_with_files(store, tmp_path)
    other = {"case": make_case(store, made["agency"], number="测试〔2026〕2号")}
    make_user(store, "keeper", "custodian", agency_id=made["agency"], password=PASSWORD)
    make_user(store, "watcher", "supervisor", agency_id=made["agency"], password=PASSWORD)
    app = create_app(store.settings, store=store)
    web = _client(app, "keeper")
    job = web.post(f"/api/cases/{made['case']}/exports?kind=case_file").json()
    assert app.state.jobs.wait(export_key(job["id"]), timeout=120).state == "done"
    crossed = web.get(f"/cases/{other['case']}/exports/{job['id']}/download")
    assert crossed.status_code == 404
    bad = web.post(f"/api/cases/{made['case']}/exports?kind=everything")
    assert bad.status_code == 400 and "kind" in bad.text
    watcher = _client(app, "watcher")
    assert watcher.post(f"/api/cases/{made['case']}/exports?kind=package").status_code == 403
    assert "export-package" not in watcher.get(f"/cases/{made['case']}").text


def test_a_waiting_job_is_shown_waiting_and_nothing_contradicts_it(
    store: Any, tmp_path: Path
) -> None:
    """While no runner has taken them, a queued 四性检测 and a queued export show 排队中,
    and the panel does not also say 尚未检测 (one state per job)."""
    from liuhen.jobs.kinds import runner_for

    made = make_case_with_files(store, tmp_path)
    make_user(store, "keeper", "custodian", agency_id=made["agency"], password=PASSWORD)
    app = create_app(store.settings, store=store)
    web = _client(app, "keeper")
    case = made["case"]
    assert "尚未检测" in web.get(f"/cases/{case}").text
    app.state.jobs.stop()  # this node's runner takes nothing
    checking = web.post(
        f"/cases/{case}/four-properties",
        data={"csrf": web.csrf},  # type: ignore[attr-defined]
        follow_redirects=False,
    )
    assert checking.status_code == 303
    job = web.post(f"/api/cases/{case}/exports?kind=case_file").json()
    assert job["state"] == "queued" and job["state_name"] == "排队中"
    page = web.get(f"/cases/{case}").text
    assert "四性检测排队中" in page and "尚未检测" not in page
    assert 'data-kind="case_file"' in page and "排队中" in page
    other = runner_for(store)  # another node's runner takes both, oldest first
    assert other.run_one() and other.run_one() and not other.run_one()
    assert app.state.jobs.get(export_key(job["id"])).state == "done"
