"""Step 3 of package verification: the package is exactly what was exported.

The export record (``export-event.json``, ``archive.export_record``) holds the signed
``case.exported`` event, written after every other file, whose ``contents`` lists each
payload and tag file with SHA-256, SM3 and size. Checked here: the record's checkpoint is
signed by the shipped key; the event is right and its inclusion proof reaches that
checkpoint, which extends the excerpt's (consistency proof); the record is byte for byte
what LiuHen writes for those values; then every file of the package equals ``contents``
(nothing missing, nothing added, nothing changed, each named) and both tag manifests are
exactly the manifests of the tag files present. Rebuilding manifests cannot hide a change:
only the agency's key can sign a different list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from liuhen.archive.digests import file_digests
from liuhen.archive.export_record import (
    CONTENT_KEYS,
    EVENT_KEYS,
    RECORD_FORMAT,
    RECORD_KEYS,
    RECORD_VERSION,
    record_bytes,
)
from liuhen.archive.package import manifest_bytes
from liuhen.archive.package_json import JsonFault, JsonPath, Shape, checkpoint_faults, load_json
from liuhen.archive.package_report import (
    ALGORITHMS,
    EXPORT_RECORD,
    TAG_MANIFESTS,
    Bag,
    PackageReport,
    add_faults,
    plain_file,
)
from liuhen.archive.verify_bag import files_on_disk
from liuhen.archive.verify_ledger import check_signature, event_problem
from liuhen.ledger.checkpoint import (
    Checkpoint,
    checkpoint_from_dict,
    checkpoint_to_dict,
    verify_checkpoint,
)
from liuhen.ledger.merkle import verify_consistency

Digests = tuple[str, str, int]


@dataclass(frozen=True)
class _Record:
    event: dict[str, Any]
    inclusion: list[bytes]
    checkpoint: Checkpoint
    signature: bytes
    fingerprint: str
    consistency: list[bytes]

    def as_written(self) -> bytes:
        """The bytes LiuHen writes for these values (``export_record.record_bytes``)."""
        cp = checkpoint_to_dict(self.checkpoint, self.signature, self.fingerprint)
        return record_bytes(self.event, self.inclusion, cp, self.consistency)


def check_export(
    bag: Bag, report: PackageReport, excerpt: Checkpoint | None, case_id: str | None
) -> dict[str, Any] | None:
    """Step 3 (see the module docstring); the export event when its record holds."""
    data = bag.read(EXPORT_RECORD)
    if data is None:
        report.add(
            EXPORT_RECORD,
            "export_event_missing",
            "缺少导出事件（export-event.json）：无法确认本包就是导出时的样子",
        )
        return None
    record = _parse(report, data)
    if record is None:
        return None
    problems = _record_problems(bag, report, record, excerpt, case_id)
    for item, kind, message in problems:
        report.add(item, kind, message)
    ok = not problems
    if record.as_written() != data:
        ok = False
        report.add(
            EXPORT_RECORD,
            "export_record_altered",
            "export-event.json 与其应有的写法不符（多出的字段、空白、次序或转义被改动）",
        )
    contents = _contents(report, record.event)
    if contents is not None:
        check_contents(bag, report, contents)
    check_tag_manifests(bag, report)
    return record.event if ok else None


def export_event_of(root: Path) -> dict[str, Any] | None:
    """The export event of the package at ``root`` when its record holds (signature, proofs,
    consistency with the excerpt), for reports that need only that; else None."""
    report = PackageReport(path=str(root))
    bag = Bag(root)
    excerpt = check_signature(bag, report)
    data = bag.read(EXPORT_RECORD)
    record = _parse(report, data) if data is not None else None
    if record is None or _record_problems(bag, report, record, excerpt, None):
        return None
    return record.event


def _parse(report: PackageReport, data: bytes) -> _Record | None:
    """The record's parts, or None after naming each malformed field."""
    try:
        value = load_json(data)
    except JsonFault as fault:
        report.add(f"{EXPORT_RECORD}: {fault.path}", "json_invalid", fault.message)
        return None
    s = Shape()
    if not s.obj(value, ()):
        add_faults(report, EXPORT_RECORD, s.faults)
        return None
    _exact_keys(s, value, RECORD_KEYS, ())
    if value.get("format") != RECORD_FORMAT or value.get("version") != RECORD_VERSION:
        s.fault(("format",), f"应为 {RECORD_FORMAT} 第 {RECORD_VERSION} 版")
    event = value.get("event")
    if s.obj(event, ("event",)):
        _exact_keys(s, event, EVENT_KEYS, ("event",))
        s.count(event.get("seq"), ("event", "seq"))
    inclusion = _hashes(s, value.get("inclusion"), ("inclusion",))
    consistency = _hashes(s, value.get("consistency"), ("consistency",))
    checkpoint = None
    faults = checkpoint_faults(value.get("checkpoint"), ("checkpoint",))
    s.faults += faults
    try:
        checkpoint = checkpoint_from_dict(value.get("checkpoint")) if not faults else None
    except ValueError as exc:
        s.fault(("checkpoint",), f"检查点格式不对：{exc}")
    add_faults(report, EXPORT_RECORD, s.faults)
    if s.faults or checkpoint is None:
        return None
    return _Record(event, inclusion, *checkpoint, consistency)


def _exact_keys(s: Shape, value: Mapping[str, Any], keys: frozenset[str], at: JsonPath) -> None:
    for key in sorted(keys - value.keys()):
        s.fault((*at, key), "缺少该字段")
    for key in sorted(value.keys() - keys):
        s.fault((*at, key), "多出的字段")


def _hashes(s: Shape, value: Any, at: JsonPath) -> list[bytes]:
    hashes = s.items(value, at)
    return [bytes.fromhex(h) for i, h in enumerate(hashes) if s.hex64(h, (*at, i))]


def _record_problems(
    bag: Bag,
    report: PackageReport,
    record: _Record,
    excerpt: Checkpoint | None,
    case_id: str | None,
) -> list[tuple[str, str, str]]:
    """What is wrong with the record's signature, event, proofs and place, as
    (item, kind, message)."""
    cp, event = record.checkpoint, record.event
    at = f"{EXPORT_RECORD}: $.event"
    found = []
    if bag.key is None:
        found.append(
            (EXPORT_RECORD, "export_unverified", "包内没有有效的签名公钥，无法核验导出事件")
        )
    elif record.fingerprint != report.key_fingerprint or not verify_checkpoint(
        bag.key, cp, record.signature
    ):
        found.append(
            (
                f"{EXPORT_RECORD}: $.checkpoint",
                "export_signature",
                "导出事件所在检查点的签名无效，或不是包内公钥所签（被改动或伪造）",
            )
        )
    problem = event_problem(event, [h.hex() for h in record.inclusion], cp)
    if problem:
        found.append((at, problem[0], f"导出事件：{problem[1]}"))
    payload = event.get("payload")
    if event.get("action") != "case.exported" or not (
        isinstance(payload, dict) and payload.get("format") == "bagit"
    ):
        found.append((at, "export_event_invalid", "不是归档包的导出事件"))
    if case_id is not None and event.get("case_id") != case_id:
        found.append((at, "event_foreign", "导出事件不属于本案"))
    if excerpt is not None and not (
        excerpt.tree_size <= event["seq"]
        and verify_consistency(
            excerpt.tree_size, cp.tree_size, excerpt.root_hash, cp.root_hash, record.consistency
        )
    ):
        found.append(
            (
                f"{EXPORT_RECORD}: $.consistency",
                "export_consistency",
                "导出事件所在的日志不是包内日志摘录（data/ledger/checkpoint.json）的延续：日志被改写或分叉",
            )
        )
    return found


def _contents(report: PackageReport, event: Mapping[str, Any]) -> dict[str, Digests] | None:
    """The ``contents`` the export event records, by path; None if it has none or is malformed."""
    payload = event.get("payload")
    at: JsonPath = ("event", "payload", "contents")
    s = Shape()
    entries = s.items(payload.get("contents") if isinstance(payload, dict) else None, at)
    out: dict[str, Digests] = {}
    for i, entry in enumerate(entries):
        if not s.obj(entry, (*at, i)):
            continue
        _exact_keys(s, entry, CONTENT_KEYS, (*at, i))
        path = entry.get("path")
        fine = [
            s.package_path(path, (*at, i, "path"), payload=False),
            s.hex64(entry.get("sha256"), (*at, i, "sha256")),
            s.hex64(entry.get("sm3"), (*at, i, "sm3")),
            s.count(entry.get("size"), (*at, i, "size")),
        ]
        if all(fine) and (path in out or path in TAG_MANIFESTS or path == EXPORT_RECORD):
            s.fault((*at, i, "path"), "重复，或是不应列入的文件")
        elif all(fine):
            out[path] = (entry["sha256"], entry["sm3"], entry["size"])
    add_faults(report, EXPORT_RECORD, s.faults)
    return None if s.faults else out


def _digests(bag: Bag, rel: str) -> Digests:
    if rel not in bag.computed:
        bag.computed[rel] = file_digests(bag.root / rel)
    return bag.computed[rel]


def check_contents(bag: Bag, report: PackageReport, contents: Mapping[str, Digests]) -> None:
    """Every file of the package (but the record and the tag manifests) against ``contents``:
    payload files first, then tag files, each problem naming its file."""
    on_disk = {
        rel for rel in files_on_disk(bag.root) if rel not in TAG_MANIFESTS and rel != EXPORT_RECORD
    }
    for rel in sorted(on_disk | contents.keys(), key=lambda r: (not r.startswith("data/"), r)):
        expected = contents.get(rel)
        if expected is None:
            report.add(rel, "export_file_added", "包中有导出时没有的文件（被添加）")
        elif rel not in on_disk or not plain_file(bag.root / rel):
            report.add(rel, "export_file_missing", "导出时记载的文件不在包中（被删除或改名）")
        else:
            got = _digests(bag, rel)
            differ = [
                name
                for name, a, b in zip(("SHA-256", "SM3", "大小"), got, expected, strict=True)
                if a != b
            ]
            if differ:
                report.add(
                    rel,
                    "export_mismatch",
                    f"文件的{'、'.join(differ)}与已签名的导出事件记载的不符（导出后被改动）",
                )


def check_tag_manifests(bag: Bag, report: PackageReport) -> None:
    """Each tag manifest is exactly the manifest of the tag files present (RFC 8493 form)."""
    tags = [
        rel
        for rel in files_on_disk(bag.root)
        if not rel.startswith("data/") and rel not in TAG_MANIFESTS and plain_file(bag.root / rel)
    ]
    listed = {rel: _digests(bag, rel)[:2] for rel in tags}
    for alg, name in zip(ALGORITHMS, TAG_MANIFESTS, strict=True):
        data = bag.read(name)
        if data is not None and data != manifest_bytes(listed, alg):
            report.add(
                name,
                "tagmanifest_altered",
                "标签清单与包内的标签文件不完全一致（被改动，或有标签文件被添加、删除）",
            )
