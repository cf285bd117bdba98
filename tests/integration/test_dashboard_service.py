"""The dashboard's figures, their drill-down, the agency scope, the export and reminders."""

from __future__ import annotations

from datetime import datetime
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from tests.helpers import SYSTEM
from tests.integration.test_summaries import waiting_case_file_bundle

from liuhen.errors import InvalidInput, PermissionDenied
from liuhen.services.admin.users import User
from liuhen.services.cases.bundle_import import import_bundle
from liuhen.services.oversight.dashboard import build, case_ids
from liuhen.services.oversight.dashboard_filters import make_filters
from liuhen.services.oversight.dashboard_xlsx import workbook
from liuhen.services.oversight.reminders import inbox
from liuhen.store import tables as t

TZ = ZoneInfo("Asia/Shanghai")


def users(store):  # type: ignore[no-untyped-def]
    from liuhen.services.admin.users import _user

    with store.read() as conn:
        return {r.username: _user(r) for r in conn.execute(select(t.users))}


def _views(store) -> int:  # type: ignore[no-untyped-def]
    with store.read() as conn:
        return len(
            conn.execute(
                select(t.ledger_events.c.seq).where(t.ledger_events.c.action == "dashboard.viewed")
            ).all()
        )


@pytest.fixture
def store(shared_demo):  # type: ignore[no-untyped-def]
    """The shared demo on each engine: these tests only read (building a dashboard appends
    its view event, which one test looks for)."""
    return shared_demo.store


@pytest.fixture
def demo(store):  # type: ignore[no-untyped-def]
    return users(store)


def test_supervisor_sees_own_agency_figures_and_their_cases(store, demo):
    sup: User = demo["sunjd"]
    views_before = _views(store)
    filters = make_filters(store, user_agency=sup.agency_id)
    assert (filters.start.isoformat(), filters.end.isoformat()) == ("2025-11-01", "2026-11-01")
    dash = build(store, sup.actor, filters)
    total = dash.total
    assert total.cases == 8  # the township's cases only; forestry is another agency
    assert list(dash.by_agency) == [sup.agency_id]
    assert total.av_needed == 5 and total.av_have == 4 and total.av_share == 80.0
    assert total.av_late == 1 and total.files_late == 0
    assert total.categories == {"not_recorded": 3, "not_stored": 1, "other": 1}
    with store.read() as conn:
        numbers = dict(conn.execute(select(t.cases.c.id, t.cases.c.number)).all())
    behind = {numbers[i] for i in case_ids(store, sup.actor, filters, "av_late")}
    assert behind == {"示镇综执罚〔2026〕22号"}
    assert {numbers[i] for i in case_ids(store, sup.actor, filters, "cat:other")} == {
        "示镇强〔2026〕4号"
    }
    assert len(case_ids(store, sup.actor, filters, "all")) == total.cases
    assert len(case_ids(store, sup.actor, filters, "violations")) == total.violation_cases
    # the view is on the ledger (counted: the store is shared with other readers)
    assert _views(store) == views_before + 1


def test_sections_officers_months_and_period(store, demo):
    sup = demo["sunjd"]
    dash = build(store, sup.actor, make_filters(store, user_agency=sup.agency_id))
    assert sum(t.cases for t in dash.by_section.values()) == dash.total.cases
    assert {dash.officer_names[o] for o in dash.by_officer} >= {"张建国", "李明"}
    months = dict(dash.months)
    assert len(months) == 13 and sum(t.cases for t in months.values()) == dash.total.cases
    zhang = next(o for o, n in dash.officer_names.items() if n == "张建国")
    only = build(store, sup.actor, make_filters(store, user_agency=sup.agency_id, officer=zhang))
    assert only.total.cases == dash.by_officer[zhang].cases < dash.total.cases
    narrow = make_filters(store, user_agency=sup.agency_id, start="2026-11", end="2026-11")
    assert build(store, sup.actor, narrow).total.cases == 3


def test_bad_filters_and_other_agencies_are_refused(store, demo):
    sup = demo["sunjd"]
    with pytest.raises(InvalidInput, match="from"):
        make_filters(store, user_agency=sup.agency_id, start="2026/01")
    with pytest.raises(InvalidInput, match="from"):
        make_filters(store, user_agency=sup.agency_id, start="2026-10", end="2026-01")
    with pytest.raises(PermissionDenied, match="agency"):
        make_filters(store, user_agency=sup.agency_id, agency="someone-else")
    with pytest.raises(InvalidInput, match="metric"):
        case_ids(store, sup.actor, make_filters(store, user_agency=sup.agency_id), "nonsense")
    with pytest.raises(PermissionDenied):
        build(store, demo["zhangjg"].actor, make_filters(store, user_agency=sup.agency_id))


def test_admin_sees_every_agency(store, demo):
    admin = demo["admin"]
    dash = build(store, admin.actor, make_filters(store, user_agency=None))
    assert len(dash.by_agency) == 2 and dash.total.cases == 11
    assert dash.total.files_late == 1  # 示林罚〔2026〕12号: case file formed late


def test_export_has_one_sheet_per_view(store, demo):
    sup = demo["sunjd"]
    dash = build(store, sup.actor, make_filters(store, user_agency=sup.agency_id))
    book = load_workbook(BytesIO(workbook(store, sup.actor, dash)))
    assert book.sheetnames == [
        "总览",
        "按机关",
        "按科室",
        "按执法人员",
        "月度趋势",
        "逾期事项",
        "问题类别",
    ]
    overview = {r[0]: r[1] for r in book["总览"].iter_rows(min_row=2, values_only=True)}
    assert overview["案件数"] == 8 and overview["音像记录率"] == "80%"
    assert book["月度趋势"].max_row == 14  # header + 13 months


def test_reminders_due_then_overdue(private_demo, clock):
    """Imports a case and moves the clock: on its own copy of the demo."""
    store = private_demo.store
    result = import_bundle(store, SYSTEM, waiting_case_file_bundle())
    with store.read() as conn:
        officer_ids = {
            o
            for row in conn.execute(
                select(t.acts.c.officer_ids).where(t.acts.c.case_id == result.case_id)
            )
            for o in row[0]
        }
    officer = next(iter(officer_ids))
    user = User("u1", "zw", "张伟", ("officer",), None, "", officer, False)
    assert inbox(store, user, 5).due == []  # due 2026-12-18: not within 5 working days
    soon = inbox(store, user, 20)
    assert [(r.kind, r.case_number) for r in soon.due] == [
        ("case_file_deadline", "示镇综执罚〔2026〕99号")
    ]
    assert soon.due[0].kind_name == "形成案卷"
    clock.now = datetime(2026, 12, 21, 9, 0, tzinfo=TZ)
    late = inbox(store, user, 5)
    assert late.due == [] and [r.kind for r in late.overdue] == ["case_file_deadline"]
    with pytest.raises(InvalidInput, match="days"):
        inbox(store, user, 0)
