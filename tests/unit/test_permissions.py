"""The permission rule on its own: scopes, confidentiality marks, read-only supervision."""

from __future__ import annotations

import pytest

from liuhen.docgen import permissions_page
from liuhen.errors import PermissionDenied
from liuhen.ledger.events import Actor
from liuhen.services.permissions import (
    ACTIONS,
    CONFIDENTIALITY,
    GRANTS,
    ROLES,
    WRITE_ACTIONS,
    allowed,
    require,
    visible,
)

CASE = {
    "id": "c1",
    "number": "权〔2026〕1号",
    "agency_id": "a1",
    "section": "一队",
    "created_by": "u-creator",
    "confidentiality": [],
    "officer_ids": ["o-on-case"],
}


def person(role: str, **kw: object) -> Actor:
    base: dict[str, object] = {"agency_id": "a1", "section": "一队", "officer_id": None}
    base.update(kw)
    return Actor(id=f"u-{role}", label=role, roles=(role,), **base)  # type: ignore[arg-type]


def test_every_role_and_action_is_in_the_matrix() -> None:
    assert set(GRANTS) == set(ROLES) | {"system"}
    for grants in GRANTS.values():
        assert set(grants) <= set(ACTIONS)
    assert WRITE_ACTIONS <= set(ACTIONS)


def test_supervisors_are_read_only() -> None:
    assert set(GRANTS["supervisor"]) & WRITE_ACTIONS == {"case.review"}  # scores, beside the case
    assert GRANTS["supervisor"]["case.read"] == "agency"


def test_officer_reaches_only_cases_they_are_on() -> None:
    on_case = person("officer", officer_id="o-on-case")
    elsewhere = person("officer", officer_id="o-other")
    creator = Actor(id="u-creator", label="c", roles=("officer",), agency_id="a1")
    assert allowed(on_case, "record.create", CASE) and allowed(creator, "case.read", CASE)
    with pytest.raises(PermissionDenied) as refused:
        require(elsewhere, "case.read", CASE)
    assert refused.value.case_id == "c1" and refused.value.action == "case.read"
    assert "本人案件" in refused.value.message


def test_section_and_agency_scopes() -> None:
    other_section = {**CASE, "section": "二队"}
    other_agency = {**CASE, "agency_id": "a2"}
    head_of_section = person("section_head")
    assert allowed(head_of_section, "case.read", CASE)
    assert not allowed(head_of_section, "case.read", other_section)
    assert not allowed(person("section_head", section=""), "case.read", CASE)
    assert allowed(person("head"), "case.read", other_section)
    assert not allowed(person("head"), "case.read", other_agency)
    assert not allowed(person("head", agency_id=None), "case.read", CASE)
    assert allowed(person("admin"), "case.read", other_agency)
    operator = Actor(id=None, label="命令行", roles=("custodian",))
    assert allowed(operator, "case.export", other_agency)  # the server's command line


def test_confidentiality_marks_narrow_who_may_open() -> None:
    secret = {**CASE, "confidentiality": ["国家秘密"]}
    private = {**CASE, "confidentiality": ["个人隐私"]}
    both = {**CASE, "confidentiality": ["商业秘密", "个人隐私"]}
    odd = {**CASE, "confidentiality": ["其他标记"]}
    assert allowed(person("head"), "case.read", secret)
    assert not allowed(person("custodian"), "case.read", secret)
    assert allowed(person("supervisor"), "case.read", private)
    assert not allowed(person("supervisor"), "case.read", both)  # every mark must admit
    assert allowed(person("custodian"), "case.read", both)
    assert not allowed(person("head"), "case.read", odd)
    on_case = person("officer", officer_id="o-on-case")
    assert all(allowed(on_case, "case.read", c) for c in (secret, both, odd))
    with pytest.raises(PermissionDenied, match="国家秘密"):
        require(person("legal_reviewer"), "case.read", secret)
    assert set(CONFIDENTIALITY) == {"国家秘密", "商业秘密", "个人隐私"}


def test_lists_keep_only_cases_in_scope() -> None:
    cases = [CASE, {**CASE, "id": "c2", "section": "二队"}, {**CASE, "id": "c3", "agency_id": "a2"}]
    assert [c["id"] for c in visible(person("section_head"), "case.read", cases)] == ["c1"]
    assert [c["id"] for c in visible(person("supervisor"), "case.read", cases)] == ["c1", "c2"]
    assert visible(person("officer"), "ledger.read", cases) == []


def test_unknown_action_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        require(person("admin"), "case.destroy")


def test_docs_show_scopes_marks_and_the_route_convention() -> None:
    page = permissions_page()
    assert "本人" in page and "本科室" in page and "本机关" in page
    for mark in CONFIDENTIALITY:
        assert mark in page
    assert "permission(" in page and "PUBLIC_ROUTES" in page and "COMMAND_ACTIONS" in page
