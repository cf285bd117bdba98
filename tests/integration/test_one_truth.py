"""One truth for overdue items (issue 16 item 5): for one store, 我的待办 (reminders), the
dashboard, the case list and the home page count the same overdue items — including the
footage an officer has not stored by its deadline, which the case list's warning used to
call 已逾期 while 我的待办 and the dashboard said 0 — and the officer's footage warning agrees
with the officer's own reminders."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.factories import make_agency, make_user
from tests.helpers import SYSTEM

from liuhen.ledger.events import Actor
from liuhen.services.av.due import footage_warnings
from liuhen.services.cases.cases import Filter, list_page, open_case
from liuhen.services.cases.records import record_act
from liuhen.services.oversight.dashboard import build
from liuhen.services.oversight.dashboard_filters import make_filters
from liuhen.services.oversight.home import home
from liuhen.services.oversight.reminders import inbox
from liuhen.services.permissions import actions_for

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=TZ)  # a Friday
SECTION = "综合行政执法队"


def _cases(store, clock, stagger: int = 0):  # type: ignore[no-untyped-def]
    """Three cases with one, two and three sealings an hour apart; ``stagger``: the n-th
    case's sealings that many days apart, the last of each on the same day."""
    made = make_agency(store, officers={"张三": "C-1", "李四": "C-2"})
    opener = Actor(id=None, label="立案", roles=("system",), section=SECTION)
    cases = []
    for n in range(3):
        case = open_case(
            store, opener, agency_id=made["agency"], number=f"一致〔2026〕{n + 1}号",
            title=f"某店占道经营案{n + 1}", procedure="general", party={"kind": "organisation", "name": f"某店{n}"},
            opened_at=T0 - timedelta(days=1 + 2 * stagger), section=SECTION,
        )  # fmt: skip
        for hours in range(n + 1):  # 1, 2 and 3 sealings, none recorded on video
            start = T0 + timedelta(days=stagger * (hours - n), hours=hours)
            record_act(
                store, SYSTEM, case_id=case, kind="seal_up", started_at=start,
                ended_at=start + timedelta(minutes=30), place="老街1号",
                officer_ids=[made["张三"] if n < 2 else made["李四"]],
            )  # fmt: skip
        cases.append(case)
    return made, cases


def test_reminders_dashboard_case_list_and_home_agree_on_overdue(store, clock) -> None:  # type: ignore[no-untyped-def]
    clock.now = T0 + timedelta(hours=4)
    made, cases = _cases(store, clock)
    agency = made["agency"]
    head = make_user(store, "zhao", "section_head", agency_id=agency, section=SECTION)
    officer = make_user(store, "zhang", "officer", agency_id=agency, officer_id=made["张三"])
    before = inbox(store, head, 20)
    assert before.overdue_count == 0  # footage due, not yet late
    assert sum(r.kind == "av_upload_deadline" for r in before.due) == 6

    clock.now = datetime(2026, 11, 26, 9, 0, tzinfo=TZ)  # past 2 working days after each act
    mine = inbox(store, head, 5)
    dash = build(store, head.actor, make_filters(store, user_agency=agency))
    listed = list_page(store, head.actor, Filter(overdue=True))
    page = home(store, head, actions_for(head.roles))
    footage = [r for r in mine.overdue if r.kind == "av_upload_deadline"]
    assert len(footage) == 6 and all("已逾期" in r.message for r in footage)
    assert mine.overdue_count == len(mine.overdue) >= 6
    assert dash.overdue_count == mine.overdue_count
    assert dash.total.overdue_cases == listed.matched == len(cases)
    assert sum(c.overdue for c in listed.items) == mine.overdue_count
    assert page.mine is not None and page.mine.overdue_count == mine.overdue_count
    chief = make_user(store, "liu", "head", agency_id=agency)  # the agency: the same cases
    overseen = home(store, chief, actions_for(chief.roles))
    assert overseen.reach_overdue_count == mine.overdue_count

    warned = footage_warnings(store, officer.actor, clock())
    own = inbox(store, officer, 5)
    own_footage = [r for r in own.overdue if r.kind == "av_upload_deadline"]
    assert warned.total == len(own_footage) == 3  # 张三's acts on the first two cases
    assert all(w.state == "overdue" for w in warned)


def test_the_first_few_overdue_items_are_the_oldest_of_all(store, clock) -> None:  # type: ignore[no-untyped-def]
    """我的待办 shows the ``shown`` oldest overdue items, chosen by the database from the
    cases ordered by their oldest item (cases holding one, two and three items here), and
    counts all of them. The third case's items are the oldest, the first's the newest, and
    the second's fall between the third's."""
    clock.now = T0 + timedelta(hours=4)
    made, _ = _cases(store, clock, stagger=1)
    head = make_user(store, "zhao", "section_head", agency_id=made["agency"], section=SECTION)
    clock.now = datetime(2026, 11, 26, 9, 0, tzinfo=TZ)
    every = inbox(store, head, 5).overdue
    assert len(every) == 6
    assert [(r.due, r.case_number) for r in every] == sorted((r.due, r.case_number) for r in every)
    assert [r.case_number[-2] for r in every] == ["3", "2", "3", "1", "2", "3"]
    for shown in range(1, 8):
        few = inbox(store, head, 5, shown=shown)
        assert few.overdue == every[:shown]
        assert few.overdue_count == 6
