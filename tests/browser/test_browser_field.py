"""Field work on a phone (issue 16 item 3), in Debian's Chromium at a phone's 390 px and a
laptop's 1366 px: an officer opens a case, records an inspection (the form autosaved as a
draft, which a reload brings back and the save consumes), makes its 现场检查笔录 to be
signed on the screen, the party signs with a finger (pointer strokes), a video taken with
the camera input is uploaded (tus), and the case shows its next step. No officer's page
scrolls sideways at 390 px; the signed PDF, rendered with pdftoppm, shows the handwriting.
Screenshots kept."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from tests.fixtures import ARTIFACTS, keep_screenshot
from tests.helpers import browser_login

from liuhen.media.synthetic import make_video
from liuhen.services.admin.users import find_user
from liuhen.services.cases.cases import open_case
from liuhen.store import tables as t
from liuhen.store.store import Store

pytestmark = pytest.mark.browser
FITS = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


@pytest.fixture
def demo(demos: Any, templates: Any, tmp_path: Any, clock: Any) -> Iterator[Any]:
    """A private copy of the demo on SQLite (an act, a document, a signature, footage)."""
    made = demos.open(tmp_path / "demo", "sqlite", clock=clock)
    yield made
    made.store.close()
    templates.drop(made.store.settings)


def _case(store: Store) -> str:
    officer = find_user(store, "zhangjg")
    assert officer is not None and officer.agency_id is not None
    return open_case(  # the officer's own case
        store,
        officer.actor,
        agency_id=officer.agency_id,
        number="示范罚〔2026〕77号",
        title="某商店占道经营案",
        procedure="general",
        party={"kind": "person", "name": "王小明", "address": "东街7号"},
        opened_at=store.clock() - timedelta(hours=2),
        section="综合行政执法队",
    )


def _fits(page: Any, name: str, width: int) -> None:
    """No sideways scrolling; the page kept as a screenshot."""
    assert page.evaluate(FITS), f"{page.url} scrolls sideways at {width} px"
    ARTIFACTS.mkdir(exist_ok=True)
    keep_screenshot(page, f"field-{name}-{width}.png", full_page=True)


def _record_act(page: Any, base: str, case: str, width: int) -> None:
    page.goto(f"{base}/cases/{case}/acts/new")
    page.select_option("#kind", "inspection")
    page.fill("#place", "东街7号门前")
    for box in page.locator("#officer_ids input[type=checkbox]").all()[:2]:
        box.check()
    page.locator("input[name=certificates_shown][value=yes]").check()
    page.locator("#draft-state", has_text="已自动保存").wait_for()
    page.reload()  # a dropped page on site: the draft comes back
    page.locator("#draft-note").wait_for()
    assert page.input_value("#place") == "东街7号门前"
    assert page.locator("input[name=certificates_shown][value=yes]").is_checked()
    _fits(page, "act", width)
    page.click("button[type=submit].primary")
    page.wait_for_url(f"{base}/cases/{case}?saved=act*")


def _make_record(page: Any, base: str, case: str, width: int) -> None:
    page.locator(".item-actions a", has_text="制作笔录").first.click()
    page.select_option("#kind", "inspection_record")
    page.click("button[type=submit].primary")
    page.wait_for_load_state()
    page.fill("[name='f.ended_at']", page.input_value("[name='f.started_at']"))
    page.fill("[name='f.recorder']", "李明")
    page.fill("[name='f.identity_notice']", "执法人员出示了执法证件，告知了当事人申请回避的权利")
    page.fill("[name='f.findings']", "当事人在店门前摆放货架，占用人行道约4平方米")
    page.check("#sign_on_screen")
    page.locator("#draft-state", has_text="已自动保存").wait_for()  # kept while it is filled
    _fits(page, "document", width)
    page.click("form.form button[type=submit].primary")
    page.wait_for_url("**/sign")


def _sign(page: Any, width: int) -> None:
    assert page.input_value("#name") == "王小明"
    page.check("#mode-refuse")  # the refusal's part: reason, witness, recording and time
    assert page.locator("#refusal-set").is_visible() and not page.locator("#pad-set").is_visible()
    _fits(page, "refuse", width)
    page.check("#mode-sign")
    pad = page.locator("#sign-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    assert box is not None and box["width"] <= width
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    for stroke in range(3):  # three strokes of a hand-written name
        page.mouse.move(x + w * (0.1 + 0.25 * stroke), y + h * 0.7)
        page.mouse.down()
        for step in range(1, 12):
            page.mouse.move(
                x + w * (0.1 + 0.25 * stroke + 0.02 * step), y + h * (0.7 - 0.04 * step)
            )
        page.mouse.up()
    _fits(page, "sign", width)
    page.click("#sign-submit")
    page.wait_for_url("**/sign?saved=1")
    assert "已保存签名" in page.locator("#sign-saved").inner_text()
    assert "王小明（手写签名）" in page.locator("#sign-boxes").inner_text()
    _fits(page, "signed", width)


def _upload(page: Any, base: str, case: str, clip: Path, width: int) -> None:
    page.goto(f"{base}/cases/{case}")
    page.click("#case-upload-av")
    page.wait_for_url(f"{base}/uploads?case={case}")
    assert page.get_attribute("#camera", "capture") is not None
    assert page.get_attribute("#camera", "accept") == "video/*,image/*"
    page.set_input_files("#camera", str(clip))
    page.locator("#act option").nth(1).wait_for(state="attached")
    page.select_option("#act", index=1)
    page.select_option("#device", index=1)  # the officer's registered handheld terminal
    page.click("#upload-start")
    page.locator(".upload-item.new").wait_for(timeout=30_000)
    done = page.locator(".upload-item.new").inner_text()
    assert "已存储" in done and "已关联本案" in done, done
    _fits(page, "upload", width)
    page.click("#back-to-case")
    page.wait_for_url(f"{base}/cases/{case}")


def _signed_pdf(store: Store, case: str, tmp_path: Path, width: int) -> Path:
    with store.read() as conn:
        sha = conn.execute(
            select(t.record_files.c.blob_sha256)
            .join(
                t.hand_signatures,
                t.hand_signatures.c.signed_record_id == t.record_files.c.record_id,
            )
            .where(
                t.hand_signatures.c.case_id == case,
                t.record_files.c.media_type == "application/pdf",
            )
        ).scalar_one()
    pdf = tmp_path / "signed.pdf"
    with store.blobs.open(sha) as f:
        pdf.write_bytes(f.read())
    out = ARTIFACTS / f"field-signed-pdf-{width}"
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf), str(out)], check=True)
    images = subprocess.run(["pdfimages", "-list", str(pdf)], check=True, capture_output=True)
    assert "png" in images.stdout.decode() or "image" in images.stdout.decode()
    return pdf


@pytest.mark.parametrize("width", [390, 1366])
def test_an_officer_on_a_phone_records_an_act_has_it_signed_uploads_and_sees_the_next_step(
    demo: Any, live_server: Any, new_window: Any, tmp_path: Path, width: int
) -> None:
    store = demo.store
    case = _case(store)
    base = live_server(store)
    taken = store.clock() - timedelta(minutes=30)
    clip = make_video(
        tmp_path / "VID0001.mp4", seconds=2, width=160, height=120, creation_time=taken
    )
    page = new_window(viewport={"width": width, "height": 844}, has_touch=width < 800)
    browser_login(page, base, "zhangjg", demo.accounts["zhangjg"], store)
    page.goto(f"{base}/cases/{case}")
    _fits(page, "case", width)
    _record_act(page, base, case, width)
    with store.read() as conn:
        assert conn.execute(select(t.form_drafts)).first() is None  # the save consumed it
    _make_record(page, base, case, width)
    _sign(page, width)
    _signed_pdf(store, case, tmp_path, width)
    _upload(page, base, case, clip, width)
    panel = page.locator("#next")
    assert panel.is_visible() and "下一步" in panel.inner_text()
    assert page.locator(".sign-link").count() == 1  # the 笔录's 签名, on its timeline item
    with store.read() as conn:
        assert conn.execute(select(t.form_drafts)).first() is None  # each save consumed its own
    _fits(page, "case-after", width)
