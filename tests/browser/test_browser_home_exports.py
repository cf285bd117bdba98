"""In Debian's Chromium at 390 px and 1366 px (issue 16): each role signs in and lands on its
home page (首页), which fits the screen (screenshots kept, looked at); a custodian exports
the archive package from the case page, watches it run in the background and downloads a
package that passes ``liuhen verify-package``; a supervisor opening a case page leaves a
view on the ledger and no playback until the video is actually played."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from tests.conftest import ADMIN_PASSWORD, FakeClock
from tests.factories import make_user
from tests.fixtures import keep_screenshot
from tests.helpers import browser_login, make_case_with_files

from liuhen.cli import cli
from liuhen.ledger.events import Actor
from liuhen.media.synthetic import make_recording
from liuhen.services.av.devices import register_device
from liuhen.services.av.ingest import import_av
from liuhen.services.av.versions import link_av
from liuhen.store import tables as t

pytestmark = pytest.mark.browser
TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=TZ)
PASSWORD = "Browser-pass-2026"
WIDTHS = [390, 1366]
ROLES = {
    "zhangjg": "officer",
    "zhaokz": "section_head",
    "wangfang": "legal_reviewer",
    "liuzz": "head",
    "chenda": "custodian",
    "sunjd": "supervisor",
    "admin": "admin",
}


def _fits(page: Any, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.fixture
def demo(demos: Any, templates: Any, tmp_path: Path, clock: Any) -> Iterator[Any]:
    """A private copy of the demo on SQLite (the layout is the engine's no concern)."""
    made = demos.open(tmp_path / "demo", "sqlite", clock=clock)
    yield made
    made.store.close()
    templates.drop(made.store.settings)


@pytest.mark.parametrize("width", WIDTHS)
def test_every_role_lands_on_a_home_page_that_fits(
    demo: Any, live_server: Any, new_window: Any, width: int
) -> None:
    base = live_server(demo.store)
    for username, role in ROLES.items():
        page = new_window(viewport={"width": width, "height": 900})
        password = ADMIN_PASSWORD if username == "admin" else demo.accounts[username]
        browser_login(page, base, username, password, demo.store)
        page.wait_for_url(base + "/")
        assert page.locator("h1").inner_text() == "首页"
        _fits(page, width)
        keep_screenshot(page, f"home-{role}-{width}.png", full_page=True)
        page.context.close()


@pytest.fixture
def site(tmp_path: Path, make_settings: Any, live_server: Any) -> Iterator[dict[str, Any]]:
    """A case with a document and a recording linked to its act; a custodian and a
    supervisor of its agency."""
    from liuhen.services.admin.setup import initialise
    from liuhen.store.store import Store

    settings = make_settings(tmp_path / "data")
    clock = FakeClock(T0 + timedelta(hours=1))
    initialise(settings, admin_password="Admin-pass-2026", clock=clock)
    store = Store.open(settings, clock=clock)
    ids = make_case_with_files(store, tmp_path)
    make_user(store, "chendan", "custodian", agency_id=ids["agency"], password=PASSWORD)
    make_user(store, "sunjd", "supervisor", agency_id=ids["agency"], password=PASSWORD)
    custodian = Actor(id=None, label="陈丹（音像管理员）", roles=("custodian",))
    register_device(store, custodian, kind="body_camera", serial_no="DSJ-V9-0001")
    footage = make_recording(tmp_path / "dock", start=T0, seconds=(3.0, 3.0), width=320, height=240)
    [made] = import_av(store, custodian, footage).records
    with store.read() as conn:
        officer = conn.execute(select(t.officers.c.id)).scalars().first()
    av = link_av(
        store, custodian, made["record_id"], case_id=ids["case"], act_id=ids["act"],
        officer_id=officer,
    )  # fmt: skip
    yield {"base": live_server(store), "case": ids["case"], "av": av, "store": store}
    store.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_custodian_exports_the_package_and_it_verifies(
    site: dict[str, Any], new_window: Any, tmp_path: Path, width: int
) -> None:
    base, case = site["base"], site["case"]
    page = new_window(viewport={"width": width, "height": 900}, accept_downloads=True)
    browser_login(page, base, "chendan", PASSWORD, site["store"])
    page.goto(f"{base}/cases/{case}")
    page.click("#export-package")
    page.wait_for_url(f"{base}/cases/{case}?archived=exporting#exports")
    assert page.locator(".export-job[data-kind=package]").count() == 1
    keep_screenshot(page, f"export-running-{width}.png", full_page=False)
    link = page.locator(".export-job[data-kind=package] a", has_text="下载")
    link.wait_for(timeout=120_000)  # the page reloads itself while the job runs
    _fits(page, width)
    page.locator("#exports").scroll_into_view_if_needed()
    keep_screenshot(page, f"export-done-{width}.png", full_page=False)
    with page.expect_download() as waiting:
        link.click()
    download = waiting.value
    assert download.suggested_filename.endswith("电子归档包.zip")
    saved = tmp_path / f"package-{width}.zip"
    download.save_as(saved)
    unpacked = tmp_path / f"unpacked-{width}"
    with zipfile.ZipFile(saved) as archive:
        archive.extractall(unpacked)
    [folder] = list(unpacked.iterdir())
    verified = CliRunner().invoke(cli, ["verify-package", str(folder)])
    assert verified.exit_code == 0, verified.output


def _events(store: Any, action: str, subject: str | None = None) -> list[Any]:
    query = select(t.ledger_events.c.subject_id).where(t.ledger_events.c.action == action)
    if subject is not None:
        query = query.where(t.ledger_events.c.subject_id == subject)
    with store.read() as conn:
        return list(conn.execute(query).scalars())


def test_the_supervisor_views_without_playing_until_the_video_is_played(
    site: dict[str, Any], new_window: Any
) -> None:
    base, case, av, store = site["base"], site["case"], site["av"], site["store"]
    page = new_window(viewport={"width": 390, "height": 900})
    browser_login(page, base, "sunjd", PASSWORD, store)
    viewed = len(_events(store, "case.viewed", case))
    page.goto(f"{base}/cases/{case}")
    player = page.locator(f".av-player[data-record='{av}']")
    player.wait_for()
    page.wait_for_timeout(1500)  # a player that preloaded would have asked for bytes by now
    assert len(_events(store, "case.viewed", case)) == viewed + 1
    assert _events(store, "record.file_read", av) == []  # a view, not a play
    _fits(page, 390)
    keep_screenshot(page, "supervisor-case-390.png", full_page=False)
    video = player.locator("video.av-media")
    video.evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function("v => v.currentTime > 0.5", arg=video.element_handle(), timeout=20_000)
    video.evaluate("v => v.pause()")
    page.wait_for_timeout(1000)
    played = _events(store, "record.file_read", av)
    assert played  # played: now on the ledger
    page.set_viewport_size({"width": 1366, "height": 900})  # and on a laptop: a view again,
    page.reload()  # no new read until played
    player.wait_for()
    page.wait_for_timeout(1500)
    assert len(_events(store, "case.viewed", case)) == viewed + 2
    assert _events(store, "record.file_read", av) == played
    _fits(page, 1366)
    keep_screenshot(page, "supervisor-case-1366.png", full_page=False)
