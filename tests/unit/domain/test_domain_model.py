"""The pure case model: frozen, complete samples, helpers that vary one thing, findings' shape."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest
from tests.samples import SAMPLES, add, at, drop, edit, make_case

from liuhen.domain.case import Case, TextRecord
from liuhen.domain.finding import Finding, Subject

DOMAIN = Path(__file__).resolve().parents[3] / "src" / "liuhen" / "domain"


def test_case_objects_are_frozen() -> None:
    case = make_case()
    with pytest.raises(dataclasses.FrozenInstanceError):
        case.id = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        case.acts[0].kind = "seize"  # type: ignore[misc]


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_sample_cases_use_timezone_aware_times(kind: str) -> None:
    case = make_case(kind)
    moments = [
        case.opened_at,
        *(a.started_at for a in case.acts),
        *(r.made_at for r in case.text_records),
    ]
    assert all(m.tzinfo is not None for m in moments)
    assert isinstance(case, Case)


def test_edit_drop_add_change_one_thing_and_keep_the_original() -> None:
    case = make_case()
    edited = edit(case, "acts", "A1", place="别处")
    assert edited.acts[0].place == "别处" and case.acts[0].place != "别处"
    assert [r.id for r in drop(case, "text_records", "T1").text_records][0] == "T2"
    added = add(case, "text_records", TextRecord("T9", "other", at("2026-10-01 10:00")))
    assert added.text_records[-1].id == "T9"
    with pytest.raises(KeyError):
        edit(case, "acts", "nope", place="x")


def test_text_record_has_treats_blank_values_as_missing() -> None:
    r = TextRecord(
        "T",
        "other",
        at("2026-01-05 10:00"),
        fields={"a": " ", "b": [], "c": "x", "d": False, "e": 0},
    )
    assert [k for k in "abcde" if r.has(k)] == ["c", "e"]


def test_finding_json_shape_has_the_documented_keys() -> None:
    f = Finding(
        "r",
        "004§11",
        "major",
        "pending",
        Subject("av_record", "AV1"),
        "消息",
        "整改",
        at("2026-11-24 23:59"),
    )
    data = f.to_dict()
    assert {
        "rule_id",
        "citation",
        "severity",
        "status",
        "due",
        "subject",
        "message",
        "remedy",
    } <= set(data)
    assert data["due"] == "2026-11-24T23:59:00+08:00" and data["subject"] == {
        "kind": "av_record",
        "id": "AV1",
    }


def test_domain_imports_only_the_standard_library_and_itself() -> None:
    allowed_roots = {
        "__future__",
        "bisect",
        "collections",
        "dataclasses",
        "datetime",
        "hashlib",
        "hmac",
        "re",
        "typing",
        "liuhen",
    }
    for path in DOMAIN.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                roots = {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                roots = {(node.module or "").split(".")[0]}
                if (
                    node.module
                    and node.module.startswith("liuhen.")
                    and not node.module.startswith("liuhen.domain")
                ):
                    pytest.fail(f"{path.name} imports {node.module}")
            else:
                continue
            assert roots <= allowed_roots, (path.name, roots)
