"""Profiles load, extend and override; a bad profile fails with every problem's file and line."""

from __future__ import annotations

import pytest

from liuhen.errors import ProfileInvalid
from liuhen.rules import list_profiles, load_profile
from liuhen.rules.engine.registry import RULE_TYPES

AGENCIES = [
    "pengyang-bureau",
    "shanxi-forestry",
    "shanxi-township",
    "township-legal-office",
    "zhangying-town",
]


def test_five_agency_profiles_and_the_base_are_shipped() -> None:
    profiles = {p.id: p for p in list_profiles()}
    assert sorted(profiles) == sorted(["base", *AGENCIES])
    assert profiles["base"].abstract
    for pid in AGENCIES:
        assert profiles[pid].chain == (pid, "base")
        assert profiles[pid].source.endswith(".txt")


def test_every_rule_has_id_citation_severity_message_and_remedy() -> None:
    for p in list_profiles():
        for r in p.rules:
            assert r.id and r.citation and r.severity in {"veto", "major", "minor", "advice"}
            assert r.spec.message and r.spec.remedy and r.spec.type in RULE_TYPES


def test_child_overrides_the_parent_rule_by_id_and_keeps_the_rest() -> None:
    base, forestry = load_profile("base"), load_profile("shanxi-forestry")
    assert base.rule("initiation-approval").citation == "行政处罚法§54"
    child = forestry.rule("initiation-approval")
    assert child.citation == "004§16" and child.spec.params["approvers"] == ["principal_head"]
    assert child.spec.params["kind"] == "initiation"  # inherited parameter
    assert child.spec.message == base.rule("initiation-approval").spec.message
    assert forestry.rule("decision-items").citation == "行政处罚法§59"  # untouched base rule


def test_upload_deadlines_per_profile() -> None:
    limits = {pid: load_profile(pid).rule("av-upload-deadline").spec.params for pid in AGENCIES}
    assert limits["township-legal-office"] == {"limit": "24h"}
    assert limits["shanxi-forestry"] == {"limit": "24h"}
    assert limits["pengyang-bureau"] == {"limit": "2 working days", "remote_limit": "24h"}
    assert limits["shanxi-township"]["remote_limit"] == "2 working days"


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, "utf-8")
    return p


def test_profile_file_may_extend_a_shipped_profile_and_disable_rules(tmp_path) -> None:
    p = _write(
        tmp_path,
        "local.yaml",
        """
id: local-town
name: 本地镇
extends: shanxi-township
disable: [av-advised]
rules:
  - id: av-upload-deadline
    params: {limit: 1 working day}
""",
    )
    profile = load_profile(p)
    assert "av-advised" not in profile.rule_ids()
    assert profile.rule("av-upload-deadline").spec.params == {
        "limit": "1 working day",
        "remote_limit": "2 working days",
    }
    assert profile.chain == ("local-town", "shanxi-township", "base")


BAD = """id: bad
name: 坏配置
extends: base
rules:
  - id: av-upload-deadline
    type: av_upload_deadline
    citation: 004§99
    severity: major
    message: "{subject} {nonsense}"
    remedy: 存储
    params:
      limit: 2 工作天
  - id: mystery
    type: no_such_type
    citation: 004§11
    severity: major
    message: m
    remedy: r
  - id: half
    citation: 004§11
  - id: decision-items
    severity: fatal
"""


def test_bad_profile_reports_every_problem_with_file_and_line(tmp_path) -> None:
    p = _write(tmp_path, "bad.yaml", BAD)
    with pytest.raises(ProfileInvalid) as exc:
        load_profile(p)
    details = exc.value.details
    text = "\n".join(details)
    rule = "（规则 av-upload-deadline）"
    assert f"{p}:7: rules[0].citation{rule}: 引用 '004§99' 不存在" in text
    assert f"{p}:9: rules[0].message{rule}: 模板中有未知的变量 nonsense" in text
    assert f"{p}:12: rules[0].params.limit{rule}: '2 工作天' 不是有效的期限" in text
    assert f"{p}:14: rules[1].type（规则 mystery）: 未知的规则类型 'no_such_type'" in text
    assert f"{p}:19: rules[2]（规则 half）: 缺少 type" in text
    assert f"{p}:22: rules[3].severity: 'fatal' 不在允许的取值中" in text
    assert len(details) == 6
    assert exc.value.exit_code == 2


def test_yaml_syntax_error_names_the_line(tmp_path) -> None:
    p = _write(tmp_path, "broken.yaml", "id: x\nname: y\nrules: [\n  - id: a\n")
    with pytest.raises(ProfileInvalid) as exc:
        load_profile(p)
    assert exc.value.details[0].startswith(f"{p}:") and "YAML 语法错误" in exc.value.details[0]


def test_unknown_parameter_codes_and_duplicate_ids_are_reported(tmp_path) -> None:
    p = _write(
        tmp_path,
        "codes.yaml",
        """id: codes
name: 代码
rules:
  - id: av-required
    type: av_required
    citation: 000§9
    severity: veto
    message: m
    remedy: r
  - id: av-required
    type: av_required
    citation: 000§9
    severity: veto
    message: m
    remedy: r
    params:
      acts: [{kind: teleport}]
      flags: [{flag: flying}]
""",
    )
    with pytest.raises(ProfileInvalid) as exc:
        load_profile(p)
    text = "\n".join(exc.value.details)
    assert (
        "重复定义" in text
        and "未知的执法环节 'teleport'" in text
        and "params.flags[0].flag" in text
    )


def test_extends_cycle_and_missing_parent_are_reported(tmp_path) -> None:
    _write(tmp_path, "a.yaml", "id: a\nname: A\nextends: b.yaml\n")
    _write(tmp_path, "b.yaml", "id: b\nname: B\nextends: a.yaml\n")
    with pytest.raises(ProfileInvalid, match="错误") as exc:
        load_profile(tmp_path / "a.yaml")
    assert any("循环" in d for d in exc.value.details)
    _write(tmp_path, "c.yaml", "id: c\nname: C\nextends: nowhere\n")
    with pytest.raises(ProfileInvalid) as exc:
        load_profile(tmp_path / "c.yaml")
    assert any("找不到上级配置 'nowhere'" in d for d in exc.value.details)


def test_unknown_profile_id_lists_the_known_ones() -> None:
    with pytest.raises(ProfileInvalid, match="shanxi-forestry"):
        load_profile("no-such-profile")


def test_profile_to_dict_lists_rules_with_quotes() -> None:
    data = load_profile("shanxi-forestry").to_dict()
    rule = next(r for r in data["rules"] if r["id"] == "av-upload-deadline")
    assert rule["citation"] == "004§11" and "24小时内" in rule["quote"]
    assert data["extends"] == ["base"]
