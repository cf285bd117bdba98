"""Write the demo's data files (src/liuhen/demo/) from the Python that built them until now.

Run once, from the repository root, while ``liuhen.services.demo``, ``liuhen.services.demo_cases``
and ``liuhen.documents.samples`` still exist; it is deleted with them (the JSON is the source
from then on). It checks what it wrote: every bundle validates, and every sample document
read back from its bundle equals the Python sample.

    python scripts/gen_demo_data.py
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from liuhen.demo.documents import _records, sample_document
from liuhen.documents.catalogue import get_kind
from liuhen.documents.model import FilledDocument
from liuhen.documents.samples import SAMPLES
from liuhen.documents.samples import sample_document as python_sample
from liuhen.documents.values import TZ
from liuhen.rules.bundle import validate_bundle
from liuhen.services import demo as python_demo
from liuhen.services.demo_cases import TOWNSHIP, demo_bundles

OUT = Path("src/liuhen/demo")
FORMAT = {"format": "liuhen-case-bundle", "version": 1}


def write(name: str, data: Any) -> None:
    path = OUT / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", "utf-8")
    if name.endswith(".json") and "format" in data:
        problems = validate_bundle(data, name)
        assert not problems, problems


# -- the imported cases -----------------------------------------------------------------------

BUNDLE_NAMES = (
    "01-township-general-21",
    "02-township-general-22-av-late",
    "03-township-simple-0031",
    "04-township-coercion-3",
    "05-township-coercion-4-unapproved",
    "06-township-application-15",
    "07-township-complaint-9",
    "08-forestry-inspection-7",
    "09-forestry-general-12-case-file-late",
    "10-forestry-inspection-8-unsigned",
)


def imported() -> None:
    bundles = demo_bundles()
    assert len(bundles) == len(BUNDLE_NAMES)
    for name, bundle in zip(BUNDLE_NAMES, bundles, strict=True):
        write(f"bundles/{name}.json", bundle)


# -- the recorded case and the roster ---------------------------------------------------------


def iso(moment: datetime) -> str:
    return moment.isoformat()


def recorded() -> None:
    """The case ``services/demo.py`` recorded through the services, as a bundle."""
    start = datetime(2026, 11, 20, 9, 30, tzinfo=TZ)
    end = start + timedelta(minutes=20)
    bundle = {
        **FORMAT,
        "agency": dict(TOWNSHIP),
        "case": {
            "id": "示镇综执立〔2026〕12号",
            "number": "示镇综执立〔2026〕12号",
            "title": "示范县老街食杂店占道经营案",
            "procedure": "general",
            "opened_at": iso(start - timedelta(hours=1)),
        },
        "party": {
            "kind": "organisation",
            "name": "示范县老街食杂店",
            "legal_representative": "王某某",
            "address": "示范镇老街18号",
        },
        "officers": [
            {"id": "O1", "name": "张建国", "certificate_number": "14010020230001"},
            {"id": "O2", "name": "李明", "certificate_number": "14010020230002"},
        ],
        "devices": [
            {
                "id": "D1",
                "kind": "body_camera",
                "explosion_proof": False,
                "serial": "DSJ-V9-0001",
                "model": "DSJ-V9 执法记录仪",
            }
        ],
        "acts": [
            {
                "id": "A1",
                "kind": "inspection",
                "started_at": iso(start),
                "ended_at": iso(end),
                "place": "示范镇老街18号门前",
                "officer_ids": ["O1", "O2"],
                "certificates_shown": True,
            }
        ],
        "text_records": [
            {
                "id": "T1",
                "kind": "inspection_record",
                "title": "现场检查（勘验）笔录",
                "act_id": "A1",
                "made_at": iso(end),
                "number": "示镇综执检〔2026〕40号",
                "started_at": iso(start),
                "ended_at": iso(end),
                "officer_ids": ["O1", "O2"],
                "certificates_shown": True,
                "fields": {
                    "party_name": "示范县老街食杂店",
                    "place": "示范镇老街18号门前",
                    "findings": "店外人行道堆放货架三组，占用人行道约6平方米。",
                },
                "signatures": [
                    {"role": "officer", "name": "张建国", "officer_id": "O1"},
                    {"role": "officer", "name": "李明", "officer_id": "O2"},
                    {"role": "party", "name": "王某某（负责人）"},
                ],
            }
        ],
        "av_records": [
            {
                "id": "AV1",
                "act_id": "A1",
                "device_id": "D1",
                "officer_id": "O1",
                "segments": [
                    {
                        "start": iso(start - timedelta(minutes=1)),
                        "end": iso(end + timedelta(minutes=1)),
                        "sha256": "",
                        "file_name": "DSJ-V9-0001_20261120092900.mp4",
                    }
                ],
                "stored_at": iso(end + timedelta(hours=2)),
                "custodian": "陈丹（音像管理员）",
                "precheck": {
                    "at": iso(start - timedelta(minutes=10)),
                    "items": ["battery", "function", "storage"],
                },
                "opening_statement": {
                    "at": iso(start),
                    "elements": [
                        "act",
                        "notice",
                        "officers",
                        "place",
                        "reason",
                        "stages",
                        "target",
                        "time",
                    ],
                },
                "retention": {"term": "case"},
            }
        ],
    }
    write("recorded/township-general-laojie.json", bundle)
    note = (
        "现场检查（勘验）笔录\n"
        f"检查时间：{start:%Y年%m月%d日 %H时%M分}至{end:%H时%M分}\n"
        "检查地点：示范镇老街18号门前\n"
        "检查人员：张建国（执法证号14010020230001）、李明（执法证号14010020230002），已出示执法证件\n"
        "当事人：示范县老街食杂店，负责人王某某\n"
        "现场情况：店外人行道堆放货架三组，占用人行道约6平方米。\n"
        "当事人意见：情况属实。\n"
    )
    people = [
        {
            "username": username,
            "name": name,
            "roles": roles,
            "section": section,
            **({"certificate_number": cert} if cert else {}),
        }
        for username, name, roles, section, cert in python_demo._PEOPLE
    ]
    roster = {
        "agency": {
            "name": TOWNSHIP["name"],
            "profile": TOWNSHIP["profile"],
            "region": "山西省示范县",
        },
        "people": people,
        "devices": [
            {
                "kind": "body_camera",
                "serial": "DSJ-V9-0001",
                "model": "DSJ-V9 执法记录仪",
                "assigned_to": "zhangjg",
            },
            {
                "kind": "body_camera",
                "serial": "DSJ-V9-0002",
                "model": "DSJ-V9 执法记录仪",
                "assigned_to": "liming",
            },
            {"kind": "handheld_terminal", "serial": "ZF-T3-0101", "model": "手持执法终端"},
        ],
        "recorded": {
            "bundle": "recorded/township-general-laojie.json",
            "by": "zhangjg",
            "records": {
                "T1": {"file_name": "现场检查笔录.txt", "text": note},
                "AV1": {"title": "现场检查执法记录仪视频", "footage_title": "老街占道检查"},
            },
        },
    }
    write("demo.json", roster)


# -- the sample documents ---------------------------------------------------------------------

TOWN = {"name": "示范镇人民政府", "profile": "township-legal-office", "unit": "综合行政执法队"}
FOREST = {"name": "示范县林业局", "profile": "shanxi-forestry", "unit": "森林资源执法大队"}
STORIES = (
    (
        "town-street-vending",
        TOWN,
        {
            "id": "示镇综执罚〔2026〕12号",
            "number": "示镇综执罚〔2026〕12号",
            "title": "李建华占道经营案",
            "cause": "占道经营",
            "procedure": "general",
            "opened_at": "2026-03-05T09:20:00+08:00",
        },
        {
            "kind": "person",
            "name": "李建华",
            "id_number": "140121198507153216",
            "address": "山西省示范县示范镇新华街45号",
            "phone": "13903541234",
        },
    ),
    (
        "town-simple-dumping",
        TOWN,
        {
            "id": "示镇综执当罚〔2026〕21号",
            "number": "示镇综执当罚〔2026〕21号",
            "title": "王小军乱倒垃圾案",
            "cause": "乱倒垃圾",
            "procedure": "simple",
            "opened_at": "2026-03-20T15:30:00+08:00",
        },
        {
            "kind": "person",
            "name": "王小军",
            "id_number": "140121199204086613",
            "address": "山西省示范县示范镇东关村三组7号",
        },
    ),
    (
        "forest-illegal-felling",
        FOREST,
        {
            "id": "示林罚〔2026〕5号",
            "number": "示林罚〔2026〕5号",
            "title": "张富贵滥伐林木案",
            "cause": "滥伐林木",
            "procedure": "general",
            "opened_at": "2026-04-09T09:00:00+08:00",
        },
        {
            "kind": "person",
            "name": "张富贵",
            "id_number": "140121196803124517",
            "address": "山西省示范县东山乡石门村二组12号",
        },
    ),
    (
        "forest-inspection-rectification",
        FOREST,
        {
            "id": "示林检〔2026〕21号",
            "number": "示林检〔2026〕21号",
            "title": "示范县宏林木业有限公司采伐作业检查",
            "cause": "林木采伐作业检查",
            "procedure": "inspection",
            "opened_at": "2026-06-02T09:00:00+08:00",
        },
        {
            "kind": "organisation",
            "name": "示范县宏林木业有限公司",
            "id_number": "91140121MA0KQ7XP3D",
            "address": "山西省示范县东山乡林场路8号",
        },
    ),
)


def story_of(kind: str, doc: FilledDocument) -> str:
    if kind == "on_the_spot_decision":
        return "town-simple-dumping"
    if kind in ("rectification_order", "re_inspection_opinion"):
        return "forest-inspection-rectification"
    return "town-street-vending" if doc.agency == TOWN["name"] else "forest-illegal-felling"


def made_at(doc: FilledDocument) -> datetime:
    """When the document was made: its last signature, else its date at 09:00."""
    times = [s.signed_at for s in doc.signatures if s.signed_at is not None]
    if times:
        return max(times)
    kind = get_kind(doc.kind)
    day = str(doc.values[kind.date_field]) if kind.date_field else ""
    return datetime.fromisoformat(f"{day}T09:00:00").replace(tzinfo=TZ)


def text_record(record_id: str, doc: FilledDocument, officers: dict[str, str]) -> dict[str, Any]:
    """A filled document as the text record the documents service stores for it."""
    signatures, refusals = [], []
    for s in doc.signatures:
        if s.refused:
            assert s.signed_at is None and s.method == "signature", (doc.kind, s)
            refusals.append(
                {"role": s.role, "name": s.name, "reason": s.refusal_reason, "witness": s.witness}
            )
            continue
        entry: dict[str, Any] = {"role": s.role, "name": s.name, "method": s.method}
        if s.role == "officer" and s.name in officers:
            entry["officer_id"] = officers[s.name]
        if s.signed_at is not None:
            entry["signed_at"] = s.signed_at.isoformat()
        signatures.append(entry)
    return {
        "id": record_id,
        "kind": doc.kind,
        "made_at": made_at(doc).isoformat(),
        **({"number": doc.number} if doc.number else {}),
        "title": get_kind(doc.kind).title,
        "officer_ids": [officers[o.name] for o in doc.officers],
        **(
            {"certificates_shown": doc.certificates_shown}
            if doc.certificates_shown is not None
            else {}
        ),
        "fields": dict(doc.values),
        "signatures": signatures,
        "refusals": refusals,
        "sealed": doc.sealed,
    }


def samples() -> None:
    docs = {kind: python_sample(kind) for kind in SAMPLES}
    for name, agency, case, party in STORIES:
        mine = sorted(
            (d for k, d in docs.items() if story_of(k, d) == name),
            key=lambda d: (made_at(d), d.kind),
        )
        assert all(d.agency == agency["name"] for d in mine)
        present = {o.name: o.certificate_number for d in mine for o in d.officers}
        officers = {person: f"O{i}" for i, person in enumerate(present, start=1)}
        bundle = {
            **FORMAT,
            "agency": agency,
            "case": case,
            "party": party,
            "officers": [
                {"id": officers[person], "name": person, "certificate_number": cert}
                for person, cert in present.items()
            ],
            "text_records": [
                text_record(f"T{i:02d}", d, officers) for i, d in enumerate(mine, start=1)
            ],
        }
        write(f"samples/{name}.json", bundle)
    _records.cache_clear()
    for kind in SAMPLES:
        assert sample_document(kind) == python_sample(kind), kind


if __name__ == "__main__":
    imported()
    recorded()
    samples()
    print("written and checked:", sorted(str(p.relative_to(OUT)) for p in OUT.rglob("*.json")))
