"""Case bundles: the schema is the single source, examples stay valid, errors name JSON paths."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.samples import SAMPLES, add, edit, make_case

from liuhen.domain import vocab
from liuhen.domain.case import Trip
from liuhen.errors import BundleInvalid
from liuhen.rules import case_to_bundle, load_bundle
from liuhen.rules.sources.bundle import schema

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "docs" / "examples"


def test_docs_schema_is_identical_to_the_shipped_schema() -> None:
    shipped = ROOT / "src" / "liuhen" / "rules" / "schemas" / "case-bundle.schema.json"
    assert (
        ROOT / "docs" / "schemas" / "case-bundle.schema.json"
    ).read_bytes() == shipped.read_bytes()


def test_schema_vocabularies_match_the_domain() -> None:
    defs = schema()["$defs"]
    for name, table in vocab.VOCABULARIES.items():
        assert defs[name]["enum"] == list(table), name


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("township-general-penalty.json", "general"),
        ("forestry-inspection-rectification.json", "inspection"),
    ],
)
def test_examples_load_and_equal_the_sample_cases(name: str, kind: str) -> None:
    case = load_bundle(EXAMPLES / name)
    assert case == make_case(kind)
    assert json.loads((EXAMPLES / name).read_text("utf-8")) == case_to_bundle(case)


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_round_trip_through_json(kind: str) -> None:
    case = make_case(kind)
    assert load_bundle(json.loads(json.dumps(case_to_bundle(case), ensure_ascii=False))) == case


@settings(max_examples=40, deadline=None)
@given(
    offset=st.integers(min_value=-12 * 60, max_value=14 * 60),
    shift=st.integers(min_value=0, max_value=10**7),
    note=st.text(max_size=20),
    remote=st.booleans(),
)
def test_round_trip_keeps_offsets_and_text(
    offset: int, shift: int, note: str, remote: bool
) -> None:
    tz = timezone(timedelta(minutes=offset))
    start = datetime(2026, 1, 1, tzinfo=tz) + timedelta(seconds=shift)
    case = make_case()
    if remote:  # on a trip (外出执法) that returned a day later, its times in the same offset
        case = add(case, "trips", Trip("T1", start, start + timedelta(days=1), note=note))
    case = edit(
        case,
        "acts",
        "A1",
        started_at=start,
        ended_at=start + timedelta(hours=1),
        note=note,
        trip_id="T1" if remote else None,
    )
    back = load_bundle(case_to_bundle(case))
    assert back == case and back.acts[0].started_at.utcoffset() == timedelta(minutes=offset)


def _bundle() -> dict:
    return copy.deepcopy(case_to_bundle(make_case()))


def _errors(data) -> list[str]:
    with pytest.raises(BundleInvalid) as exc:
        load_bundle(data)
    return exc.value.details


def test_naive_time_is_an_error_naming_its_path() -> None:
    data = _bundle()
    data["acts"][1]["started_at"] = "2026-09-15T09:00:00"
    assert _errors(data) == [
        "$.acts[1].started_at: 时间 '2026-09-15T09:00:00' 缺少时区偏移（应写成 2026-09-15T09:00:00+08:00 这样）"
    ]


def test_end_before_start_is_reported_with_its_path() -> None:
    data = _bundle()
    data["acts"][2 - 1]["ended_at"] = "2026-09-15T08:00:00+08:00"
    assert "$.acts[1].ended_at: 结束时间早于开始时间" in _errors(data)


def test_unknown_references_duplicates_and_segment_order_are_all_reported() -> None:
    data = _bundle()
    data["acts"][0]["officer_ids"] = ["O1", "O9"]
    data["av_records"][1]["device_id"] = "D7"
    data["services"][0]["document_ids"] = ["T99"]
    data["text_records"][1]["id"] = "T1"
    seg = data["av_records"][0]["segments"][0]
    data["av_records"][0]["segments"] = [{**seg, "start": "2026-09-14T09:20:00+08:00"}, seg]
    errors = _errors(data)
    assert "$.acts[0].officer_ids[1]: 引用了不存在的执法人员 'O9'" in errors
    assert "$.av_records[1].device_id: 引用了不存在的设备 'D7'" in errors
    assert "$.services[0].document_ids[0]: 引用了不存在的文书 'T99'" in errors
    assert "$.text_records[1].id: 编号 'T1' 重复" in errors
    assert "$.av_records[0].segments[1].start: 片段未按时间顺序排列或与前一片段重叠" in errors


def test_schema_errors_are_in_chinese_with_paths() -> None:
    data = _bundle()
    data["case"]["procedure"] = "martial_law"
    del data["party"]["name"]
    data["acts"][0]["colour"] = "red"
    data["av_records"][0]["segments"] = []
    errors = _errors(data)
    assert any(e.startswith("$.case.procedure: 取值 'martial_law' 不在允许范围内") for e in errors)
    assert "$.party: 缺少必填字段 name" in errors
    assert "$.acts[0]: 未知字段 colour" in errors
    assert "$.av_records[0].segments: 至少要有 1 项" in errors


def test_unreadable_or_malformed_files_are_bad_input(tmp_path) -> None:
    with pytest.raises(BundleInvalid, match="无法读取"):
        load_bundle(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", "utf-8")
    with pytest.raises(BundleInvalid) as exc:
        load_bundle(bad)
    assert exc.value.details[0].startswith("第 1 行")
