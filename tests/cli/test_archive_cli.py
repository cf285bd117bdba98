"""``liuhen export``, ``liuhen verify-package`` (without any database), ``liuhen case-file``
and ``liuhen fixity`` as an operator and a court clerk run them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tests.conftest import ADMIN_PASSWORD
from tests.helpers import make_case_with_files, run_cli

NUMBER = "示镇综执立〔2026〕12号"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory, demos) -> Path:  # type: ignore[no-untyped-def]
    """A data directory with the demo agencies (SQLite): a copy of the session's demo."""
    root = tmp_path_factory.mktemp("cli") / "data"
    demos.open(root).store.close()
    return root


@pytest.fixture(scope="module")
def exported(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("cli-export") / "案卷包"
    result = run_cli(["--data-dir", str(data_dir), "export", NUMBER, "--out", str(out), "--json"])
    assert result.code == 0, result.err
    return out, result.json()


def test_export_writes_a_package_and_reports_it(exported):
    out, summary = exported
    assert summary["number"] == NUMBER and summary["files"] == 2
    assert summary["key_fingerprint"].startswith("SHA256:")
    assert (out / "bagit.txt").is_file() and (out / "data/case-file.pdf").is_file()


def test_verify_package_passes_and_prints_the_fingerprint_for_the_clerk(exported):
    out, summary = exported
    result = run_cli(["verify-package", str(out)])
    assert result.code == 0, result.out + result.err
    assert "核验通过" in result.out
    assert summary["key_fingerprint"] in result.out and "核对" in result.out
    as_json = run_cli(["verify-package", str(out), "--json"])
    assert as_json.code == 0
    assert as_json.json()["ok"] is True
    assert as_json.json()["key_fingerprint"] == summary["key_fingerprint"]


def test_verify_package_can_add_the_four_properties_report(exported):
    out, summary = exported
    assert summary["four_properties"]["ok"] is True
    result = run_cli(["verify-package", str(out), "--four-properties"])
    assert result.code == 0
    assert "四性检测（DA/T 70）：真实性 通过" in result.out
    as_json = run_cli(["verify-package", str(out), "--four-properties", "--json"])
    assert as_json.json()["four_properties"]["summary"]["security"]["ok"] is True


def test_verify_package_needs_no_database_or_data_dir(exported, monkeypatch, tmp_path):
    out, _ = exported
    monkeypatch.setenv("LIUHEN_DATA_DIR", str(tmp_path / "no-such-dir"))
    monkeypatch.setenv("LIUHEN_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    result = run_cli(["verify-package", str(out), "--json"])
    assert result.code == 0, result.err
    assert not (tmp_path / "no-such-dir").exists()


def test_tampered_package_exits_1_and_names_the_first_broken_item(exported, tmp_path):
    out, _ = exported
    bag = tmp_path / "bag"
    shutil.copytree(out, bag)
    video = next((bag / "data/av").iterdir())
    data = bytearray(video.read_bytes())
    data[100] ^= 0xFF
    video.write_bytes(bytes(data))
    result = run_cli(["verify-package", str(bag)])
    assert result.code == 1
    assert f"第一处：data/av/{video.name}" in result.out
    as_json = run_cli(["verify-package", str(bag), "--json"])
    assert as_json.code == 1
    assert as_json.json()["first_problem"]["item"] == f"data/av/{video.name}"


def test_wrong_published_fingerprint_fails(exported):
    out, _ = exported
    result = run_cli(["verify-package", str(out), "--fingerprint", "SHA256:" + "1" * 64, "--json"])
    assert result.code == 1
    assert result.json()["first_problem"]["kind"] == "key_unexpected"


def test_unreadable_package_exits_2(tmp_path):
    missing = run_cli(["verify-package", str(tmp_path / "nothing"), "--json"])
    assert missing.code == 2 and "不存在" in missing.err
    (tmp_path / "plain").mkdir()
    not_a_bag = run_cli(["verify-package", str(tmp_path / "plain")])
    assert not_a_bag.code == 2 and "bagit.txt" in not_a_bag.err


def test_export_refuses_an_existing_directory_with_files(data_dir, tmp_path):
    (tmp_path / "old.txt").write_text("x", "utf-8")
    result = run_cli(["--data-dir", str(data_dir), "export", NUMBER, "--out", str(tmp_path)])
    assert result.code == 2 and "--out" in result.err


def test_case_file_command_writes_the_pdf(data_dir, tmp_path):
    pdf = tmp_path / "案卷.pdf"
    result = run_cli(["--data-dir", str(data_dir), "case-file", NUMBER, "--out", str(pdf)])
    assert result.code == 0, result.err
    assert pdf.read_bytes().startswith(b"%PDF") and "共 5 页" in result.out


def test_fixity_exits_1_and_names_the_case_of_a_damaged_blob(tmp_path, monkeypatch, make_settings):
    from liuhen.services.admin.setup import initialise
    from liuhen.store.store import Store

    settings = make_settings(tmp_path / "data")
    initialise(settings, admin_password=ADMIN_PASSWORD)
    store = Store.open(settings)
    made = make_case_with_files(store, tmp_path, number="示镇综执立〔2026〕77号")
    store.close()
    args = ["--data-dir", str(settings.data_dir), "fixity", "--rate", "0"]
    clean = run_cli([*args, "--json"])
    assert clean.code == 0 and clean.json()["checked"] == 1
    blob = settings.data_dir / "blobs/sha256" / made["blob"][:2] / made["blob"][2:4] / made["blob"]
    blob.chmod(0o644)
    blob.write_bytes(b"\x00" + blob.read_bytes()[1:])
    damaged = run_cli(args)
    assert damaged.code == 1
    assert "示镇综执立〔2026〕77号" in damaged.out and made["blob"] in damaged.out


def test_export_reports_the_package_files_that_verify_package_counts(data_dir, tmp_path):
    out = tmp_path / "包"
    said = run_cli(["--data-dir", str(data_dir), "export", NUMBER, "--out", str(out)])
    assert said.code == 0, said.err
    counted = run_cli(["verify-package", str(out), "--json"]).json()
    assert counted["files"] > 2
    assert f"归档包文件 {counted['files']} 个（{counted['bytes']} 字节），其中存储的原件 2 个" in (
        said.out
    )


def test_cases_lists_under_a_header_row_and_json_keeps_its_shape(data_dir):
    said = run_cli(["--data-dir", str(data_dir), "cases"])
    header, rule, first = said.out.splitlines()[:3]
    assert header.split() == ["编号", "程序", "阶段", "问题", "名称", "标识"]
    assert set(rule) == {"-", " "}
    assert first.startswith(NUMBER) and "行政处罚一般程序" in first
    listed = run_cli(["--data-dir", str(data_dir), "cases", "--json"]).json()["cases"]
    assert NUMBER in [c["number"] for c in listed] and "id" in listed[0]
