"""``liuhen doctor`` as a newcomer meets it: before init, after init, on a machine without
Chinese fonts, with a lost or replaced key, an old schema, an unknown holiday year; and
``serve`` refusing to start (or warning on every page) when it cannot make PDFs."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from tests.helpers import run_cli

from liuhen.config import Settings
from liuhen.errors import PROBLEMS_FOUND
from liuhen.services.admin.doctor import stored
from liuhen.services.admin.setup import initialise
from liuhen.store.store import Store

SRC = str(Path(__file__).resolve().parents[2] / "src")
NO_FONTS = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><dir>{empty}</dir><cachedir>{empty}/cache</cachedir></fontconfig>
"""


def checks_of(result) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    return {c["name"]: c for c in result.json()["checks"]}


@pytest.fixture
def initialised(settings, monkeypatch):  # type: ignore[no-untyped-def]
    initialise(settings, admin_password="Admin-pass-2026")
    for name, value in settings.as_env().items():
        monkeypatch.setenv(name, value)
    return settings


def test_before_init_every_store_problem_says_run_init(tmp_path, monkeypatch):
    monkeypatch.setenv("LIUHEN_DATA_DIR", str(tmp_path / "nowhere"))
    monkeypatch.delenv("LIUHEN_DATABASE_URL", raising=False)
    monkeypatch.delenv("LIUHEN_STORE_URL", raising=False)
    result = run_cli(["doctor", "--quick", "--json"])
    assert result.code == PROBLEMS_FOUND, result.err
    assert result.json()["ok"] is False
    found = checks_of(result)
    assert found["database"]["status"] == "fail" and found["database"]["fix"] == "liuhen init"
    assert found["key"]["status"] == "fail" and found["key"]["fix"] == "liuhen init"
    assert found["fonts"]["status"] == "ok" and found["native"]["status"] == "ok"
    assert not (tmp_path / "nowhere").exists(), "the doctor must not create anything"


def test_an_initialised_store_can_run_and_a_pinned_key_is_ok(initialised, monkeypatch):
    result = run_cli(["doctor", "--json"])
    assert result.code == 0, result.out + result.err
    found = checks_of(result)
    for name in ("fonts", "native", "pdf", "media", "disk", "database", "store"):
        assert found[name]["status"] == "ok", found[name]
    assert "Noto" in found["pdf"]["summary"]
    assert (
        found["key"]["status"] == "warn"
        and "LIUHEN_LEDGER_FINGERPRINT=SHA256:" in (found["key"]["fix"])
    )
    fingerprint = found["key"]["fix"].split("=")[1].split()[0]
    monkeypatch.setenv("LIUHEN_LEDGER_FINGERPRINT", fingerprint)
    assert checks_of(run_cli(["doctor", "--quick", "--json"]))["key"]["status"] == "ok"
    human = run_cli(["doctor", "--quick"])
    assert human.code == 0 and "✓ 数据库" in human.out and "可以运行" in human.out


def test_a_lost_key_is_restored_from_backup_never_made_again(initialised):
    initialised.signing_key_path.unlink()
    result = run_cli(["doctor", "--quick", "--json"])
    assert result.code == PROBLEMS_FOUND
    key = checks_of(result)["key"]
    assert key["status"] == "fail" and "从备份恢复" in key["fix"] and "不要重新生成" in key["fix"]
    assert "SHA256:" in key["fix"], "the fingerprint event #0 recorded names the key to find"


def test_a_replaced_key_and_a_wrong_pin_are_named(initialised, monkeypatch):
    monkeypatch.setenv("LIUHEN_LEDGER_FINGERPRINT", "SHA256:" + "ab" * 32)
    key = checks_of(run_cli(["doctor", "--quick", "--json"]))["key"]
    assert key["status"] == "fail"
    assert any("LIUHEN_LEDGER_FINGERPRINT" in d for d in key["details"])


def test_an_old_schema_asks_for_init(initialised):
    store = Store.open(initialised)
    try:
        with store.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0012'")
    finally:
        store.close()
    database = checks_of(run_cli(["doctor", "--quick", "--json"]))["database"]
    assert database["status"] == "fail" and "0012" in database["summary"]
    assert database["fix"].startswith("liuhen init")


def test_next_years_holidays_are_asked_for_from_november(initialised, monkeypatch):
    class Late:
        @staticmethod
        def now(tz=None):  # type: ignore[no-untyped-def]
            from datetime import datetime

            year = max(stored_years())
            return datetime(year, 11, 15, 9, 0, tzinfo=tz)

    monkeypatch.setattr(stored, "datetime", Late)
    check = stored.calendar_check(initialised, "ok")
    assert check.status == "warn" and "calendar load" in check.fix


def stored_years() -> tuple[int, ...]:
    from liuhen.rules.sources.calendar import package_years

    return package_years()


# -- a machine without Chinese fonts (real fontconfig, pointed at an empty directory) ----


@pytest.fixture
def no_fonts(tmp_path) -> dict[str, str]:  # type: ignore[no-untyped-def]
    empty = tmp_path / "fonts"
    empty.mkdir()
    conf = tmp_path / "fonts.conf"
    conf.write_text(NO_FONTS.format(empty=empty), "utf-8")
    return {**os.environ, "FONTCONFIG_FILE": str(conf), "PYTHONPATH": SRC}


def test_without_fonts_the_doctor_names_the_package_and_the_pdf_is_refused(no_fonts, tmp_path):
    env = {**no_fonts, "LIUHEN_DATA_DIR": str(tmp_path / "data")}
    env.pop("LIUHEN_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "liuhen", "doctor"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == PROBLEMS_FOUND, done.stderr
    assert "✗ 中文字体" in done.stdout
    assert "apt-get install -y fonts-noto-cjk" in done.stdout
    assert "✗ PDF 生成" in done.stdout and "Traceback" not in done.stderr


def test_serve_refuses_without_fonts_and_warns_on_every_page_when_told_to_start(no_fonts, tmp_path):
    env = {
        **no_fonts,
        "LIUHEN_DATA_DIR": str(tmp_path / "data"),
        "LIUHEN_ENV": "test",
        "LIUHEN_ADMIN_PASSWORD": "Admin-pass-2026",
    }
    env.pop("LIUHEN_DATABASE_URL", None)
    cli = [sys.executable, "-m", "liuhen"]
    initialise(Settings.from_env(env), admin_password=env["LIUHEN_ADMIN_PASSWORD"])
    refused = subprocess.run(
        [*cli, "serve", "--port", "1"], env=env, capture_output=True, text=True, timeout=120
    )
    assert refused.returncode == 2 and "--without-pdf" in refused.stderr
    assert "没有任何中文字体" in refused.stderr and "liuhen doctor" in refused.stderr
    port = _free_port()
    server = subprocess.Popen(
        [*cli, "serve", "--port", str(port), "--without-pdf"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        page = _get(f"http://127.0.0.1:{port}/login", server)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert "本机无法正确生成文书和案卷 PDF" in page and "liuhen doctor" in page


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, server: subprocess.Popen) -> str:  # type: ignore[type-arg]
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read().decode("utf-8")
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.2)
