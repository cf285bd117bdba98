"""Recording an act checks its facts in the service, the same for every way in (web form,
API, command line, bundle import): the kind must be one its case's procedure has, the
times in order, the officers on the roster of the case's agency. One InvalidInput names
every bad field in Chinese, and nothing is written."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.helpers import SYSTEM, make_case_with_files, run_cli

from liuhen.demo.data import demo_bundles
from liuhen.domain.acts import ACTS_BY_PROCEDURE, act_kinds, act_problems
from liuhen.domain.vocab import ACT_KINDS, PROCEDURES
from liuhen.errors import InvalidInput
from liuhen.services.admin.agency import add_officer, create_agency
from liuhen.services.cases.bundle_import import import_bundle
from liuhen.services.cases.records import record_act
from liuhen.store import tables as t

EXAMPLES = Path(__file__).resolve().parents[2] / "docs/examples"


def _acts(store) -> int:  # type: ignore[no-untyped-def]
    with store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(t.acts)).scalar_one())


def test_every_procedure_has_its_acts_and_every_act_kind_a_procedure() -> None:
    assert set(ACTS_BY_PROCEDURE) == set(PROCEDURES)
    assert set().union(*ACTS_BY_PROCEDURE.values()) == set(ACT_KINDS)
    assert "on_the_spot_penalty" in act_kinds("simple") and "demolish" not in act_kinds("general")
    assert list(act_kinds("general")) == [k for k in ACT_KINDS if k in act_kinds("general")]


def test_the_demo_and_the_documented_examples_record_only_acts_of_their_procedure() -> None:
    bundles = [
        *demo_bundles(),
        *(json.loads(p.read_text("utf-8")) for p in EXAMPLES.glob("*.json")),
    ]
    for bundle in bundles:
        procedure = bundle["case"]["procedure"]
        for act in bundle.get("acts", []):
            assert act["kind"] in act_kinds(procedure), (bundle["case"]["number"], act["kind"])


def test_act_problems_name_each_field() -> None:
    start = datetime(2026, 11, 20, 9, 0).astimezone()
    assert act_problems("general", "inspection", start, start + timedelta(hours=1)) == []
    bad = act_problems("simple", "seize", start, start - timedelta(minutes=1))
    assert [p.split(":")[0] for p in bad] == ["kind", "ended_at"]
    assert "简易程序案件没有“扣押”环节" in bad[0] and "当场处罚" in bad[0]
    assert act_problems("general", "", None, None) == [
        "kind: 请选择执法环节类型",
        "started_at: 请填写开始时间",
    ]
    assert act_problems("general", "flying", start, None)[0].startswith("kind: 没有“flying”")


def test_record_act_names_every_bad_field_and_writes_nothing(store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    made = make_case_with_files(store, tmp_path)
    elsewhere = create_agency(store, SYSTEM, name="邻镇人民政府", profile_id="shanxi-township")
    stranger = add_officer(store, SYSTEM, agency_id=elsewhere, name="王五", certificate_no="9901")
    start = datetime(2026, 11, 20, 10, 0, tzinfo=store.settings.tz)
    acts, events = _acts(store), store.event_count()
    with pytest.raises(InvalidInput) as refused:
        record_act(
            store,
            SYSTEM,
            case_id=made["case"],
            kind="demolish",  # 强制拆除: an act of 行政强制, not of a penalty case
            started_at=start,
            ended_at=start - timedelta(minutes=30),
            place="老街1号",
            officer_ids=[made["o1"], stranger],
        )
    assert refused.value.message == "执法环节信息有误"
    fields = {d.split(":")[0]: d for d in refused.value.details}
    assert set(fields) == {"kind", "ended_at", "officer_ids"}
    assert "一般程序案件没有“强制拆除”环节" in fields["kind"]
    assert "结束时间早于开始时间" in fields["ended_at"]
    assert "不属于本机关" in fields["officer_ids"] and stranger in fields["officer_ids"]
    assert made["o1"] not in fields["officer_ids"]
    assert (_acts(store), store.event_count()) == (acts, events)


def test_record_act_of_the_agency_is_saved(store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    made = make_case_with_files(store, tmp_path)
    start = datetime(2026, 11, 20, 10, 0, tzinfo=store.settings.tz)
    act = record_act(
        store,
        SYSTEM,
        case_id=made["case"],
        kind="seal_up",  # 查封 during a penalty investigation (行政强制法§22)
        started_at=start,
        ended_at=None,
        place="老街1号",
        officer_ids=[made["o1"], made["o2"]],
    )
    with store.read() as conn:
        row = conn.execute(select(t.acts).where(t.acts.c.id == act)).mappings().one()
    assert row["kind"] == "seal_up" and row["officer_ids"] == [made["o1"], made["o2"]]


def _bundle_with_a_foreign_act() -> dict:  # type: ignore[type-arg]
    bundle = json.loads((EXAMPLES / "township-general-penalty.json").read_text("utf-8"))
    bundle["acts"][0]["kind"] = "on_the_spot_penalty"  # 当场处罚 belongs to 简易程序
    return bundle


def test_bundle_import_refuses_an_act_its_procedure_has_not(store) -> None:  # type: ignore[no-untyped-def]
    events = store.event_count()
    with pytest.raises(InvalidInput) as refused:
        import_bundle(store, SYSTEM, _bundle_with_a_foreign_act())
    assert refused.value.details[0].startswith("$.acts[0].kind: 一般程序案件没有“当场处罚”环节")
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(t.cases)).scalar_one() == 0
    assert store.event_count() == events


def test_the_command_line_import_refuses_it_the_same_way(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LIUHEN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LIUHEN_ADMIN_PASSWORD", "Admin-pass-2026")
    assert run_cli(["init"]).code == 0
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(_bundle_with_a_foreign_act(), ensure_ascii=False), "utf-8")
    result = run_cli(["import", str(path)])
    assert result.code == 2
    assert "$.acts[0].kind" in result.err and "当场处罚" in result.err
    assert run_cli(["cases", "--json"]).json()["cases"] == []
