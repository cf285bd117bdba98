"""Text the database cannot hold the same way everywhere is refused the same way everywhere
(issue 13): a 1 MB case title, a NUL character, a lone surrogate, an opinion of a hundred
thousand characters — refused with a message naming the field on SQLite as on PostgreSQL,
by the service a form, the API, the command line and a bundle import all call, and nothing
is written."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.factories import make_agency, make_case
from tests.helpers import SYSTEM

from liuhen.errors import InvalidInput
from liuhen.services.approvals.workflow import request_approval
from liuhen.services.cases.bundle_import import import_bundle
from liuhen.services.cases.records import record_act
from liuhen.store import tables as t

MEGABYTE = "案" * (1 << 20)
EXAMPLE = Path(__file__).resolve().parents[2] / "docs/examples/township-general-penalty.json"


def _count(store: Any, table: Any) -> int:
    with store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


@pytest.mark.parametrize(
    ("overrides", "field", "says"),
    [
        ({"title": MEGABYTE}, "title", "最多 300 个"),
        ({"number": "编" * 101}, "number", "最多 100 个"),
        ({"title": "某店\x00占道经营案"}, "title", "空字符"),
        ({"title": "某店\ud800占道经营案"}, "title", "代理码位"),
        ({"party": {"kind": "person", "name": "王" * 201}}, "party.name", "最多 200 个"),
    ],
)
def test_a_case_field_too_long_or_unencodable_is_refused_naming_it(
    store, overrides: dict[str, Any], field: str, says: str
) -> None:  # type: ignore[no-untyped-def]
    from liuhen.services.cases.cases import open_case

    agency = make_agency(store)["agency"]
    before = _count(store, t.ledger_events)
    values: dict[str, Any] = {
        "agency_id": agency,
        "number": "测试〔2026〕1号",
        "title": "某店占道经营案",
        "procedure": "general",
        "party": {"kind": "organisation", "name": "某店"},
        "opened_at": store.clock(),
        **overrides,
    }
    with pytest.raises(InvalidInput) as refused:
        open_case(store, SYSTEM, **values)
    [line] = refused.value.details
    assert line.startswith(f"{field}: ") and says in line
    assert _count(store, t.cases) == 0 and _count(store, t.ledger_events) == before


def test_free_text_and_places_are_bounded_on_every_engine(store) -> None:  # type: ignore[no-untyped-def]
    made = make_agency(store, officers={"张三": "C-1"})
    case = make_case(store, made["agency"])
    start = datetime(2026, 11, 20, 9, 0, tzinfo=store.settings.tz)
    with pytest.raises(InvalidInput, match="执法环节信息有误") as place:
        record_act(
            store,
            SYSTEM,
            case_id=case,
            kind="inspection",
            started_at=start,
            ended_at=start + timedelta(minutes=30),
            place="老街" * 200,
            officer_ids=[made["张三"]],
        )
    assert any(d.startswith("place: 地点过长") for d in place.value.details)
    with pytest.raises(InvalidInput) as opinion:  # a Text column: the unit of work refuses
        request_approval(
            store, SYSTEM, case_id=case, kind="initiation", opinion="同意" * 10_000,
            officer_id=made["张三"],
        )  # fmt: skip
    assert opinion.value.details == ["opinion: 过长：20000 个字符，最多 10000 个"]
    with pytest.raises(InvalidInput) as nested:  # inside JSON: NUL and lone surrogates
        request_approval(
            store, SYSTEM, case_id=case, kind="initiation", opinion="建议立案",
            fields={"reason": "占道\x00经营", "party": "某店\udc80"}, officer_id=made["张三"],
        )  # fmt: skip
    assert [d.split(":")[0] for d in nested.value.details] == [
        "details.fields.party",
        "details.fields.reason",
    ]
    assert _count(store, t.approvals) == 0


def test_a_bundle_with_a_megabyte_title_is_refused_by_its_json_path(store) -> None:  # type: ignore[no-untyped-def]
    bundle = json.loads(EXAMPLE.read_text("utf-8"))
    bad = copy.deepcopy(bundle)
    bad["case"]["title"] = MEGABYTE
    bad["party"]["address"] = "街" * 301
    bad["acts"][0]["place"] = "老街" * 151
    with pytest.raises(InvalidInput) as refused:
        import_bundle(store, SYSTEM, bad)
    fields = sorted(d.split(":")[0] for d in refused.value.details)
    assert fields == ["$.acts[0].place", "$.case.title", "$.party.address"]
    bad["acts"][0]["place"] = "老街\x00"  # what no database holds alike
    with pytest.raises(InvalidInput) as nul:
        import_bundle(store, SYSTEM, bad)
    assert any(d.startswith("$.acts[0].place: 含有空字符") for d in nul.value.details)
    assert _count(store, t.cases) == 0
    assert import_bundle(store, SYSTEM, bundle).created  # the same bundle, within the limits
