"""Docking-station manifests: CSV (UTF-8 or GB18030, Chinese headers) and JSON."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from liuhen.errors import InvalidInput
from liuhen.media.manifest import load_manifest

TZ = ZoneInfo("Asia/Shanghai")
SHA = "ab" * 32


def test_a_gb18030_csv_with_chinese_headers_reads_as_entries_by_file_name(tmp_path):
    path = tmp_path / "清单.csv"
    path.write_bytes(
        "文件名,开始时间,结束时间,设备编号,警号,校验值\n"
        f"D:\\采集\\DSJ-V9-0001_20261120093000.mp4,2026-11-20 09:30:00,2026-11-20 09:40:00,DSJ-V9-0001,140100,{SHA}\n".encode(
            "gb18030"
        )
    )
    entries = load_manifest(path, tz=TZ)
    entry = entries["DSJ-V9-0001_20261120093000.mp4"]
    assert entry.start == datetime(2026, 11, 20, 9, 30, tzinfo=TZ)
    assert entry.end == datetime(2026, 11, 20, 9, 40, tzinfo=TZ)
    assert (entry.device, entry.officer, entry.sha256) == ("DSJ-V9-0001", "140100", SHA)
    assert entry.where == "清单.csv:2"


def test_a_json_manifest_with_english_keys(tmp_path):
    path = tmp_path / "m.json"
    path.write_text(
        json.dumps({"files": [{"file_name": "a.mp4", "start": "2026-11-20T01:30:00Z"}]}), "utf-8"
    )
    entry = load_manifest(path, tz=TZ)["a.mp4"]
    assert entry.start == datetime(2026, 11, 20, 9, 30, tzinfo=TZ)
    assert entry.device is None


def test_every_bad_row_is_reported_with_its_line(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text(
        "file_name,start,sha256\n"
        "a.mp4,not a time,\n"
        ",2026-11-20 09:30:00,\n"
        "b.mp4,2026-11-20 09:30:00,xyz\n"
        "c.mp4,,\n"
        "c.mp4,,\n",
        "utf-8",
    )
    with pytest.raises(InvalidInput) as err:
        load_manifest(path, tz=TZ)
    details = "\n".join(err.value.details)
    for line in ("m.csv:2", "m.csv:3", "m.csv:4", "m.csv:6"):
        assert line in details
    assert "重复" in details


def test_an_unreadable_or_malformed_manifest_is_bad_input(tmp_path):
    with pytest.raises(InvalidInput, match="无法读取"):
        load_manifest(tmp_path / "missing.csv", tz=TZ)
    broken = tmp_path / "m.json"
    broken.write_text("[{", "utf-8")
    with pytest.raises(InvalidInput, match="JSON"):
        load_manifest(broken, tz=TZ)
