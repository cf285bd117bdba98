"""下一步 (``rules.next_steps``): a procedure's road, cut short where the case stands, with the
profile's own articles, the engine's due times and the findings that hold the next gate first.
The cases are the demo bundles, taken back to an earlier day of their life."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

from tests.samples import at, change, edit

from liuhen.domain.case import Case
from liuhen.rules import WorkCalendar, evaluate, load_bundle, load_profile
from liuhen.rules.engine.periods import Period, due_after
from liuhen.rules.next_steps import NextSteps, next_steps

BUNDLES = Path(__file__).resolve().parents[3] / "src/liuhen/demo/bundles"


def demo(name: str) -> Case:
    return load_bundle(BUNDLES / name)


def back_to(case: Case, *, records: tuple[str, ...] = (), approvals: tuple[str, ...] = ()) -> Case:
    """The case before it was closed and filed, keeping only the records and approvals of
    the given ids (services and execution of records kept)."""
    kept = tuple(r for r in case.text_records if r.id in records)
    ids = {r.id for r in kept}
    return replace(
        case,
        ended_at=None,
        outcome=None,
        case_file=None,
        text_records=kept,
        approvals=tuple(a for a in case.approvals if a.id in approvals),
        services=tuple(s for s in case.services if set(s.document_ids) <= ids),
        execution=(),
    )


def steps_of(case: Case, now: datetime, **options) -> NextSteps:  # type: ignore[no-untyped-def]
    profile = load_profile(str(case.agency.profile))
    calendar = WorkCalendar()
    found = evaluate(case, profile, calendar, now)
    return next_steps(case, profile, found, calendar, now, **options)


def keys(steps: NextSteps) -> list[str]:
    return [s.key.split(":")[0] for s in steps.all]


def test_general_penalty_case_lists_its_road_in_order_with_the_profiles_articles() -> None:
    case = back_to(demo("01-township-general-21.json"), records=("T1", "T2"), approvals=("P1",))
    now = at("2026-09-16 09:00")
    found = steps_of(case, now)
    assert found.gate == "decide" and found.blocked == []
    assert keys(found) == ["rights_notice", "head_approval", "decision", "close", "file"]
    first, *rest = found.steps
    assert first.status == "next" and {s.status for s in rest} == {"later"}
    assert first.citation == "002§12"  # the township's own article on 告知, not the statute's
    assert first.action == "document:rights_notice" and first.who == "officer"
    assert found.steps[1].action == "approval:decision"
    assert found.steps[-1].citation == "002§31" and found.steps[-1].who == "custodian"


def test_the_decision_is_due_when_the_profile_says_ninety_days_after_initiation() -> None:
    case = back_to(demo("01-township-general-21.json"), records=("T1", "T2"), approvals=("P1",))
    now = at("2026-09-16 09:00")
    decision = next(s for s in steps_of(case, now).steps if s.key.startswith("decision:"))
    profile = load_profile(str(case.agency.profile))
    [owed] = [
        f
        for f in evaluate(case, profile, WorkCalendar(), now)
        if f.rule_id == "decision-in-90-days"
    ]
    assert decision.due == owed.due and decision.due is not None
    assert decision.due.date().isoformat() == "2026-12-14" and not decision.overdue


def test_serving_the_decision_is_due_in_seven_working_days_by_the_holiday_calendar() -> None:
    whole = demo("01-township-general-21.json")
    case = replace(
        back_to(
            whole, records=tuple(r.id for r in whole.text_records), approvals=("P1", "P2", "P3")
        ),
        services=tuple(s for s in whole.services if s.id == "S1"),
    )
    now = at("2026-09-25 09:00")
    found = steps_of(case, now)
    [serve] = [s for s in found.all if s.action == "service:T7"]
    assert serve.status == "blocked" and serve.gate == "close"  # an unserved decision
    decision = next(r for r in case.text_records if r.id == "T7")
    expected = due_after(
        decision.made_at, Period.parse("7 working days"), WorkCalendar(), decision.made_at.tzinfo
    )
    assert serve.due == expected.at and serve.due is not None
    # seven weekdays would end on 10-05; the National Day holiday is not counted
    assert serve.due.date().isoformat() == "2026-10-12"


def test_a_requested_approval_waits_for_its_approver() -> None:
    case = back_to(
        demo("01-township-general-21.json"), records=("T1", "T2", "T3"), approvals=("P1",)
    )
    found = steps_of(case, at("2026-09-17 09:00"), waiting={"decision": "AP9"})
    waiting = found.steps[0]
    assert waiting.status == "waiting" and waiting.who == "approver"
    assert waiting.action == "approval_waiting:AP9" and "负责人审批" in waiting.title


def test_at_the_decision_an_open_blocking_finding_comes_first_with_its_article() -> None:
    """Forestry: the decision was approved, but by a deputy, not the 局主要负责人 (004§21)."""
    whole = demo("09-forestry-general-12-case-file-late.json")
    case = back_to(whole, records=("T1", "T2", "T3", "T4", "T5", "T6"),
                   approvals=("P1", "P2", "P3"))  # fmt: skip
    [approval] = [a for a in case.approvals if a.id == "P3"]
    steps = tuple(
        change(s, position="deputy_head") if s.position == "principal_head" else s
        for s in approval.steps
    )
    case = edit(case, "approvals", "P3", steps=steps)
    found = steps_of(case, at("2026-09-24 09:00"))
    assert found.gate == "decide"
    [blocked] = found.blocked
    assert blocked.status == "blocked" and blocked.gate == "decide"
    assert blocked.citation == "004§21" and "批准人应为" in blocked.title
    assert blocked.action == "finding" and blocked.subject == ("approval", "P3")
    assert keys(found)[:2] == ["finding", "decision"]


def test_simple_procedure_decides_on_the_spot_then_closes_and_files() -> None:
    case = back_to(demo("03-township-simple-0031.json"))
    found = steps_of(case, at("2026-10-12 15:05"))
    assert found.gate == "decide"
    assert keys(found) == ["spot_decision", "close", "file"]
    assert found.steps[0].action == "document:on_the_spot_decision"
    assert found.steps[0].citation == "行政处罚法§52"


def test_coercion_asks_for_approval_first_and_an_unapproved_seizure_holds_the_decision() -> None:
    fresh = back_to(demo("04-township-coercion-3.json"))
    fresh = replace(fresh, acts=())
    found = steps_of(fresh, at("2026-08-05 08:40"))
    assert keys(found) == ["coercion_approval", "coercion_act", "coercion_decision",
                           "serve_coercion", "close", "file"]  # fmt: skip
    assert found.steps[0].action == "approval:coercion"
    unapproved = back_to(demo("05-township-coercion-4-unapproved.json"), records=("T1",))
    held = steps_of(unapproved, at("2026-08-05 12:00"))
    assert held.gate == "decide" and [b.citation for b in held.blocked] == ["行政强制法§18"]
    assert held.blocked[0].action == "approval:coercion"  # the road's step that puts it right


def test_a_closed_case_is_left_with_its_filing_and_a_filed_one_with_nothing() -> None:
    whole = demo("01-township-general-21.json")
    closed = replace(whole, case_file=None)
    found = steps_of(closed, at("2026-10-12 09:00"))
    assert found.gate == "file" and keys(found) == ["file"]
    assert found.steps[0].due is not None and found.steps[0].action == "file"
    done = steps_of(whole, at("2026-12-01 09:00"))
    assert done.gate is None and done.all == []


def test_a_rule_the_profile_disables_drops_its_step(tmp_path: Path) -> None:
    own = tmp_path / "own.yaml"
    own.write_text(
        "id: own\nname: 本机关\nextends: township-legal-office\ndisable: [rights-notified]\n",
        encoding="utf-8",
    )
    case = back_to(demo("01-township-general-21.json"), records=("T1", "T2"), approvals=("P1",))
    case = change(case, agency=change(case.agency, profile=str(own)))
    assert "rights_notice" not in keys(steps_of(case, at("2026-09-16 09:00")))
