"""``liuhen import-av DIR`` as an operator runs it on a docking-station folder."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from tests.helpers import SYSTEM, run_cli

from liuhen.media.synthetic import make_recording, make_video

PASSWORD = "Admin-pass-2026"
TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "LIUHEN_DATA_DIR": str(tmp_path / "data"),
        "LIUHEN_ADMIN_PASSWORD": PASSWORD,
        "LIUHEN_ENV": "test",
    }
    for k, v in values.items():
        monkeypatch.setenv(k, v)
    monkeypatch.delenv("LIUHEN_DATABASE_URL", raising=False)
    monkeypatch.delenv("LIUHEN_STORE_URL", raising=False)
    assert run_cli(["init", "--json"]).code == 0
    add_agency("测试镇人民政府")  # the only agency: import-av receives for it
    return values


def add_agency(name: str) -> str:
    """An agency in the store the CLI uses (no command registers one: bundles bring them)."""
    from liuhen.config import Settings
    from liuhen.services.admin.agency import create_agency
    from liuhen.store.store import Store

    store = Store.open(Settings.from_env())
    try:
        return create_agency(store, SYSTEM, name=name, profile_id="shanxi-township")
    finally:
        store.close()


@pytest.fixture
def start() -> datetime:
    """Two hours ago, to the second: the footage must predate its import."""
    return (datetime.now(TZ) - timedelta(hours=2)).replace(microsecond=0)


@pytest.fixture
def dock(tmp_path: Path, start: datetime) -> Path:
    """Three segments of one recording, with a 4-minute pause before the third."""
    folder = tmp_path / "dock" / "DSJ-V9-0001"
    make_recording(folder, start=start, pauses=(0, 240))
    return folder.parent


def add_bad_files(dock: Path, start: datetime) -> None:
    whole = next(dock.rglob("*.mp4")).read_bytes()
    (dock / "DSJ-V9-0001_20261120100000.mp4").write_bytes(whole[: len(whole) // 2])
    (dock / "说明.txt").write_text("采集站说明", "utf-8")
    (dock / "empty.mp4").write_bytes(b"")
    odd = dock / '现场 "录像"\n第2段.mp4'
    make_video(odd, seconds=1, width=96, height=64, creation_time=start + timedelta(minutes=30))


def test_import_twice_reports_new_then_duplicate_and_stores_nothing_twice(env, dock, start):
    first = run_cli(["import-av", str(dock), "--json"])
    assert first.code == 0, first.err
    report = first.json()
    assert report["summary"] == {"new": 3, "duplicate": 0, "rejected": 0}
    [record] = report["records"]
    assert len(record["segments"]) == 3
    assert [round(g["seconds"]) for g in record["gaps"]] == [240]
    assert {f["time_source"] for f in report["files"]} == {"file_name"}
    assert {f["device"] for f in report["files"]} == {"DSJ-V9-0001"}
    assert first.err == ""  # no progress bar when nobody watches
    second = run_cli(["import-av", str(dock), "--json"])
    assert second.code == 0
    assert second.json()["summary"] == {"new": 0, "duplicate": 3, "rejected": 0}
    assert second.json()["records"] == []
    human = run_cli(["import-av", str(dock)])
    assert human.code == 0
    assert "已存在" in human.out and "未存储任何新文件" in human.out
    verify = run_cli(["verify", "--json"])
    assert verify.code == 0 and verify.json()["blobs"] == 3


def test_the_human_report_names_each_file_its_time_source_and_the_gap(env, dock):
    result = run_cli(["import-av", str(dock)])
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert sum(line.startswith("新存储") for line in lines) == 3
    assert "时间来源：文件名" in result.out
    assert "间断 1 处" in result.out and "须说明中止原因" in result.out
    assert lines[-1] == "共 3 个文件：新存储 3，已存在 0，拒收 0"


def test_a_later_folder_with_the_rest_of_the_recording_joins_it(env, dock, tmp_path):
    files = sorted(dock.rglob("*.mp4"))
    later = tmp_path / "later"
    later.mkdir()
    files[2].rename(later / files[2].name)
    first = run_cli(["import-av", str(dock), "--json"]).json()
    [record] = first["records"]
    assert record["joined"] is None and record["gaps"] == []
    second = run_cli(["import-av", str(later), "--json"]).json()
    [joined] = second["records"]
    assert joined["joined"] == record["record_id"] and len(joined["segments"]) == 3
    assert [round(g["seconds"]) for g in joined["gaps"]] == [240]
    human = run_cli(["import-av", str(later)])  # a duplicate now: nothing joins twice
    assert "已存在" in human.out and "并入" not in human.out


def test_bad_files_are_refused_by_name_with_reasons_and_the_rest_is_stored(env, dock, start):
    add_bad_files(dock, start)
    result = run_cli(["import-av", str(dock), "--json"])
    assert result.code == 2
    report = result.json()
    assert report["summary"] == {"new": 4, "duplicate": 0, "rejected": 3}
    rejected = {f["file_name"]: f["reason"] for f in report["files"] if f["status"] == "rejected"}
    assert "截断" in rejected["DSJ-V9-0001_20261120100000.mp4"]
    assert "不是音视频" in rejected["说明.txt"]
    assert "0 字节" in rejected["empty.mp4"]
    kept = {f["file_name"]: f for f in report["files"] if f["status"] == "new"}
    odd = kept['现场 "录像"\\n第2段.mp4']
    assert odd["time_source"] == "device_metadata" and odd["warnings"]
    human = run_cli(["import-av", str(dock)])
    assert human.code == 2
    assert "拒收  empty.mp4：空文件（0 字节）" in human.out
    assert "\n第2段" not in human.out  # a newline in a name never breaks a report line
    assert run_cli(["verify"]).code == 0


def test_manifest_device_and_patterns_options(env, tmp_path, start):
    folder = tmp_path / "station"
    folder.mkdir()
    video = make_video(folder / "000123-clip.mp4", seconds=1, width=96, height=64)
    name_b = f"000124_{start:%Y%m%d%H%M%S}_CAM9.mp4"
    other = make_video(folder / name_b, seconds=1, width=96, height=64, title="b")
    manifest = folder / "manifest.csv"
    manifest.write_text(
        f"文件名,开始时间,设备编号,警号\n{video.name},{start:%Y-%m-%d %H:%M:%S},DSJ-X-7,140100\n",
        "utf-8",
    )
    patterns = tmp_path / "patterns.yaml"
    patterns.write_text(
        "patterns:\n"
        "  - name: station_b\n"
        "    vendor: 某采集站\n"
        "    regex: '^(?P<officer>\\d{6})_(?P<start>\\d{14})_(?P<device>[A-Z0-9]+)\\.mp4$'\n",
        "utf-8",
    )
    result = run_cli(
        [
            "import-av",
            str(folder),
            "--manifest",
            str(manifest),
            "--patterns",
            str(patterns),
            "--device",
            "DSJ-OPERATOR",
            "--officer",
            "999",
            "--json",
        ]
    )
    assert result.code == 0, result.out + result.err
    files = {f["file_name"]: f for f in result.json()["files"]}
    assert "manifest.csv" not in files
    assert (files[video.name]["time_source"], files[video.name]["device"]) == (
        "manifest",
        "DSJ-X-7",
    )
    assert files[video.name]["officer"] == "140100"
    b = files[other.name]
    assert (b["time_source"], b["device"], b["officer"]) == ("file_name", "DSJ-OPERATOR", "999")
    assert any("CAM9" in w for w in b["warnings"])  # the name disagrees with --device


def test_bad_arguments_exit_2_with_one_clear_line(env, tmp_path):
    missing = run_cli(["import-av", str(tmp_path / "nowhere")])
    assert missing.code == 2 and "不存在" in missing.err
    bad_patterns = tmp_path / "p.yaml"
    bad_patterns.write_text("- {name: x, regex: '(?P<start>'}\n", "utf-8")
    (tmp_path / "empty").mkdir()
    result = run_cli(["import-av", str(tmp_path / "empty"), "--patterns", str(bad_patterns)])
    assert result.code == 2 and "patterns[0].regex" in result.err
    empty = run_cli(["import-av", str(tmp_path / "empty")])
    assert empty.code == 0 and "没有文件" in empty.out


def test_footage_is_received_for_one_agency_or_refused_before_anything_is_read(env, dock):
    """Footage no case holds is scoped by the agency that received it: with two agencies
    and nobody to tell which, nothing is imported; ``--agency`` names it (the record keeps
    it), and a user receives for their own agency only."""
    other = add_agency("乙镇人民政府")
    refused = run_cli(["import-av", str(dock), "--json"])
    assert refused.code == 2 and "--agency" in refused.err and "乙镇人民政府" in refused.err
    assert run_cli(["verify", "--json"]).json()["blobs"] == 0
    unknown = run_cli(["import-av", str(dock), "--agency", "丙镇"])
    assert unknown.code == 2 and "没有标识或名称为 丙镇 的机关" in unknown.err
    done = run_cli(["import-av", str(dock), "--agency", "乙镇人民政府", "--json"])
    assert done.code == 0, done.err
    [record] = done.json()["records"]
    assert _details(record["record_id"])["agency_id"] == other
    made = run_cli(
        ["user", "add", "keeper", "--name", "陈丹", "--role", "custodian",
         "--password", "Keeper-pass-2026", "--agency", "测试镇人民政府"]
    )  # fmt: skip
    assert made.code == 0, made.err
    foreign = run_cli(["import-av", str(dock), "--user", "keeper", "--agency", other])
    assert foreign.code == 3 and "只能为本机关接收" in foreign.err


def _details(record_id: str) -> dict:
    from liuhen.config import Settings
    from liuhen.services.av.views import av_record_view
    from liuhen.store.store import Store

    store = Store.open(Settings.from_env())
    try:
        return dict(av_record_view(store, record_id)["details"])
    finally:
        store.close()


def test_a_link_out_of_the_folder_is_refused_and_never_read(env, dock, tmp_path):
    """``import-av`` reads only what is in the folder: a symbolic link to a file elsewhere
    (a key, another agency's footage) is refused by name; a link inside the folder is fine."""
    secret = tmp_path / "elsewhere" / "DSJ-V9-0001_20261120120000.mp4"
    secret.parent.mkdir()
    make_video(secret, seconds=1, width=96, height=64)
    (dock / "link.mp4").symlink_to(secret)
    (dock / "keys").symlink_to(tmp_path / "data" / "keys", target_is_directory=True)
    inside = next((dock / "DSJ-V9-0001").glob("*.mp4"))
    (dock / "copy").mkdir()
    (dock / "copy" / inside.name).symlink_to(inside)
    result = run_cli(["import-av", str(dock), "--json"])
    assert result.code == 2, result.err
    files = {f["file_name"]: f for f in result.json()["files"]}
    assert files["link.mp4"]["status"] == "rejected"
    assert "导入目录" in files["link.mp4"]["reason"] and files["link.mp4"]["size"] == 0
    assert not any(name.endswith(".pem") for name in files)  # a linked folder is not walked
    linked = [f for f in result.json()["files"] if f["path"].endswith(f"copy/{inside.name}")]
    assert [f["status"] for f in linked] == ["duplicate"]  # a link inside the folder is read
    assert result.json()["summary"] == {"new": 3, "duplicate": 1, "rejected": 1}
