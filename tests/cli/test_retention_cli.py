"""``liuhen file-case``, ``liuhen retention`` and ``liuhen dispose`` as an archivist runs them:
disposal before the date is refused (exit 2, a Chinese message, a ledger event); a case
filed in 2012 with a 10-year term is past its date now and goes with an approval."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from tests.conftest import ADMIN_PASSWORD, FakeClock
from tests.factories import make_user, skip_steps
from tests.helpers import SYSTEM, run_cli

from liuhen.config import Settings
from liuhen.store import tables as t
from liuhen.store.store import Store

PASSWORD = "Archive-pass-2026"


def _setup(
    settings: Settings, tmp: Path, opened: datetime
) -> tuple[Store, FakeClock, dict[str, str]]:
    from liuhen.services.admin.agency import create_agency
    from liuhen.services.admin.setup import initialise
    from liuhen.services.cases.cases import open_case
    from liuhen.services.cases.files import store_file
    from liuhen.services.cases.records import AttachedFile, add_record
    from liuhen.services.cases.serving import close_case

    clock = FakeClock(opened)
    initialise(settings, admin_password=ADMIN_PASSWORD, clock=clock)
    store = Store.open(settings, clock=clock)
    agency = create_agency(store, SYSTEM, name="测试镇人民政府", profile_id="shanxi-township")
    keeper = make_user(
        store, "keeper", "custodian", agency_id=agency, display_name="王档案", password=PASSWORD
    )
    make_user(store, "chief", "head", agency_id=agency, display_name="赵局长", password=PASSWORD)
    case = open_case(
        store,
        SYSTEM,
        agency_id=agency,
        number=f"测试〔{opened.year}〕7号",
        title="某店占道经营案",
        procedure="general",
        party={"kind": "organisation", "name": "某店"},
        opened_at=opened,
    )
    doc = tmp / f"决定书-{opened.year}.txt"
    doc.write_text(f"行政处罚决定书 {opened.year}", encoding="utf-8")
    blob = store_file(store, SYSTEM, doc)
    record = add_record(
        store,
        SYSTEM,
        case_id=case,
        act_id=None,
        kind="text",
        doc_kind="penalty_decision",
        title="行政处罚决定书",
        details={"made_at": opened.isoformat(), "officer_ids": [], "fields": {}},
        files=[AttachedFile(blob.sha256, doc.name, "text/plain")],
        override=skip_steps(),  # a bare decision: these tests are about its retention
    )
    clock.advance(days=3)
    close_case(store, SYSTEM, case_id=case, at=clock(), outcome="penalty", override=skip_steps())
    return store, clock, {"case": case, "record": record, "blob": blob.sha256, "keeper": keeper.id}


def _refusals(store: Store) -> int:
    with store.read() as conn:
        return len(
            conn.execute(
                select(t.ledger_events.c.seq).where(
                    t.ledger_events.c.action == "record.disposal_refused"
                )
            ).all()
        )


def test_dispose_before_the_date_is_refused_in_chinese_and_logged(tmp_path, make_settings):
    root = tmp_path / "data"
    store, _clock, made = _setup(
        make_settings(root), tmp_path, datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
    )
    base = ["--data-dir", str(root)]
    held = run_cli([*base, "file-case", made["case"], "--custodian", "keeper", "--json"])
    assert held.code == 2 and '"gate_blocked"' in held.err and "行政处罚法§57" in held.err
    reason = ["--override-reason", "案卷须移交，决定书的审批和告知另行补正"]
    filed = run_cli(
        [*base, "--as", "chief", "file-case", made["case"], "--custodian", "keeper", *reason,
         "--json"]
    )  # fmt: skip  # the head files past the bare case's findings (they stay on the case)
    assert filed.code == 0, filed.err
    assert filed.json()["custodian"] == "王档案" and filed.json()["four_properties"]["ok"]
    shown = run_cli([*base, "retention", made["record"], "--json"])
    assert shown.code == 0 and shown.json()["class_code"] == "document"
    assert shown.json()["expired"] is False
    refused = run_cli([*base, "dispose", made["record"], "--user", "keeper", "--approval", "x"])
    assert refused.code == 2
    assert "保管期限内不得处置" in refused.err and "届满" in refused.err
    as_json = run_cli([*base, "dispose", made["record"], "--user", "keeper", "--json"])
    assert as_json.code == 2 and '"forbidden_change"' in as_json.err
    asked = run_cli(
        [*base, "dispose", made["record"], "--user", "keeper", "--request", "--reason", "期满"]
    )
    assert asked.code == 2
    assert _refusals(store) == 3
    assert store.blobs.exists(made["blob"])
    not_keeper = run_cli([*base, "dispose", made["record"], "--user", "admin"])
    assert not_keeper.code == 2 and "--user" in not_keeper.err
    store.close()


def test_dispose_after_the_date_with_approval_then_verify_reports_the_tombstone(
    tmp_path, make_settings
):
    from liuhen.services.admin.users import find_user
    from liuhen.services.approvals.workflow import decide

    root = tmp_path / "data"
    store, clock, made = _setup(
        make_settings(root), tmp_path, datetime(2012, 3, 1, 1, 0, tzinfo=UTC)
    )
    from liuhen.services.archiving.filing import file_case

    clock.advance(days=1)
    file_case(
        store,
        find_user(store, "chief").actor,  # the head: the bare case's findings are still open
        made["case"],
        custodian_id=made["keeper"],
        retention_term="10y",
        override=skip_steps(),
    )
    store.clock = lambda: datetime.now(UTC)  # now: past 2022
    base = ["--data-dir", str(root)]
    asked = run_cli(
        [
            *base,
            "dispose",
            made["record"],
            "--user",
            "keeper",
            "--request",
            "--reason",
            "期满",
            "--json",
        ]
    )
    assert asked.code == 0, asked.err
    approval = asked.json()["approval_id"]
    decide(
        store,
        find_user(store, "chief").actor,
        approval,
        decision="approved",
        opinion="同意",
        position="head",
        final=True,
    )
    done = run_cli(
        [*base, "dispose", made["record"], "--user", "keeper", "--approval", approval, "--json"]
    )
    assert done.code == 0, done.err
    assert done.json()["files"][0]["sha256"] == made["blob"]
    assert not store.blobs.exists(made["blob"])
    verified = run_cli([*base, "verify"])
    assert verified.code == 0, verified.out + verified.err
    assert "已处置" in verified.out and approval in verified.out
    as_json = run_cli([*base, "verify", "--json"])
    assert as_json.code == 0 and as_json.json()["disposed"][0]["sha256"] == made["blob"]
    fixity = run_cli([*base, "fixity", "--json"])
    assert fixity.code == 0 and fixity.json()["disposed"] == 1
    store.close()


def test_dispose_footage_no_case_holds_from_the_command_line(tmp_path, make_settings):
    """Footage stored in 2020 and never linked is past its 3 years (the default the demo township's profile keeps): the archivist
    asks from the command line, the head approves, ``dispose`` removes it and ``verify``
    still exits 0 and lists the tombstones; fresh footage is refused."""
    from liuhen.media.synthetic import make_recording
    from liuhen.services.admin.users import find_user
    from liuhen.services.approvals.queries import approval_state
    from liuhen.services.approvals.workflow import decide
    from liuhen.services.av.ingest import import_av

    root = tmp_path / "data"
    opened = datetime(2020, 5, 6, 1, 0, tzinfo=UTC)
    store, clock, _made = _setup(make_settings(root), tmp_path, opened)
    keeper = find_user(store, "keeper")
    old = import_av(
        store, keeper.actor, make_recording(tmp_path / "old", start=opened, seconds=(2.0,))
    )
    old_id = old.records[0]["record_id"]
    store.clock = lambda: datetime.now(UTC)
    fresh = import_av(
        store,
        keeper.actor,
        make_recording(tmp_path / "new", start=datetime.now(UTC) - timedelta(hours=1)),
    )
    assert fresh.records, [(f.status, f.reason) for f in fresh.files]
    fresh_id = fresh.records[0]["record_id"]
    base = ["--data-dir", str(root)]

    shown = run_cli([*base, "retention", old_id, "--json"])
    assert (
        shown.code == 0 and shown.json()["citation"] == "行政处罚法§47" and shown.json()["expired"]
    )
    refused = run_cli(
        [*base, "dispose", fresh_id, "--user", "keeper", "--request", "--reason", "清理"]
    )
    assert refused.code == 2 and "保管期限内不得处置" in refused.err
    asked = run_cli(
        [*base, "dispose", old_id, "--user", "keeper", "--request", "--reason", "期满", "--json"]
    )
    assert asked.code == 0, asked.err
    approval = asked.json()["approval_id"]
    assert approval_state(store, approval).case_id is None
    decide(
        store,
        find_user(store, "chief").actor,
        approval,
        decision="approved",
        opinion="同意",
        position="head",
        final=True,
    )
    done = run_cli([*base, "dispose", old_id, "--user", "keeper", "--approval", approval])
    assert done.code == 0, done.err
    assert "墓碑" in done.out
    verified = run_cli([*base, "verify", "--json"])
    assert verified.code == 0, verified.out
    assert {d["record_id"] for d in verified.json()["disposed"]} == {old_id}
    store.close()
