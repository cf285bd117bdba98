"""Malformed metadata in a package is a finding, never a traceback (issue 13).

Each variant breaks one file of a real package the way a careless tool or a hostile sender
might (bad JSON, not UTF-8, lone surrogates, nesting 100,000 deep, ``NaN``, missing keys,
wrong types, digests that are not hex, unsafe paths), then rebuilds the manifests so the bag
itself is valid. ``verify_package`` (with the 四性检测 too) must fail naming the file and,
where it can, the JSON path or line, and no step may have needed its last-resort guard. The
command line exits with ``PROBLEMS_FOUND`` and prints no traceback, on a real stdout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import FakeClock
from tests.helpers import SYSTEM, reseal_bag

from liuhen.archive.verify_package import verify_package
from liuhen.errors import PROBLEMS_FOUND
from liuhen.services.archiving.packages import export_package
from liuhen.services.cases.cases import find_case

FILES = "data/metadata/files.json"
BUNDLE = "data/metadata/case-bundle.json"
EVENTS = "data/ledger/events.jsonl"
PROOFS = "data/ledger/proofs.json"
CHECKPOINT = "data/ledger/checkpoint.json"
RECORD = "export-event.json"
OFD = "data/ofd/case-file.ofd"
DEEP = b"[" * 100_000 + b"]" * 100_000
SURROGATE = "\ud800"


@pytest.fixture(scope="module")
def package(demos, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("malformed")
    demo = demos.open(root / "data", clock=FakeClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC)))
    out = root / "package"
    export_package(demo.store, SYSTEM, find_case(demo.store, "示镇综执立〔2026〕12号"), out)
    demo.store.close()
    yield out


def ascii_json(value: Any) -> bytes:
    """JSON with every non-ASCII character escaped, so a lone surrogate can be written."""
    return (json.dumps(value, ensure_ascii=True, indent=2) + "\n").encode("ascii")


def edit(change: Callable[[Any], None]) -> Callable[[bytes], bytes]:
    def apply(data: bytes) -> bytes:
        value = json.loads(data)
        change(value)
        return ascii_json(value)

    return apply


def each_line(change: Callable[[list[bytes]], list[bytes]]) -> Callable[[bytes], bytes]:
    return lambda data: b"".join(line + b"\n" for line in change(data.splitlines()))


def _set(path: tuple[str | int, ...], value: Any) -> Callable[[Any], None]:
    def change(doc: Any) -> None:
        for key in path[:-1]:
            doc = doc[key]
        doc[path[-1]] = value

    return change


def _first_event(change: Callable[[dict[str, Any]], None]) -> Callable[[list[bytes]], list[bytes]]:
    def lines(old: list[bytes]) -> list[bytes]:
        event = json.loads(old[0])
        change(event)
        return [json.dumps(event, ensure_ascii=True).encode("ascii"), *old[1:]]

    return lines


def _surrogate_label(event: dict[str, Any]) -> None:
    event["actor_label"] = SURROGATE


def _float_payload(event: dict[str, Any]) -> None:
    event["payload"] = {"amount": 1.5}


CONST = lambda data: lambda _old: data  # noqa: E731 - a table of one-line variants


def _ofd_bomb() -> bytes:
    """An OFD package whose OFD.xml declares nested entities (a "billion laughs")."""
    import io
    import zipfile

    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {n} "{("&" + p + ";") * 10}">'
        for p, n in zip("abcdefgh", "bcdefghi", strict=True)
    )
    body = f'<?xml version="1.0"?><!DOCTYPE ofd:OFD [{entities}]><ofd:OFD>&i;</ofd:OFD>'
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("OFD.xml", body)
    return out.getvalue()


VARIANTS: dict[str, tuple[str, Callable[[bytes], bytes], str]] = {
    # files.json
    "files-bad_json": (FILES, CONST(b'{"files": ['), f"{FILES}: $"),
    "files-not_utf8": (FILES, lambda d: b"\xff\xfe" + d, f"{FILES}: $"),
    "files-lone_surrogate": (FILES, edit(_set(("case_id",), SURROGATE)), f"{FILES}: $.case_id"),
    "files-deep_nesting": (FILES, CONST(DEEP), f"{FILES}: $"),
    "files-nested_200": (FILES, CONST(b"[" * 200 + b"]" * 200), f"{FILES}: $[0]"),
    "files-nan": (FILES, lambda d: d.replace(b'"size": ', b'"size": NaN, "x": ', 1), f"{FILES}: $"),
    "files-root_list": (FILES, CONST(b"[]"), f"{FILES}: $"),
    "files-missing_keys": (FILES, CONST(b"{}"), f"{FILES}: $.files"),
    "files-files_number": (FILES, edit(_set(("files",), 5)), f"{FILES}: $.files"),
    "files-size_text": (
        FILES,
        edit(_set(("files", 0, "size"), "big")),
        f"{FILES}: $.files[0].size",
    ),
    "files-digest_not_hex": (
        FILES,
        edit(_set(("files", 0, "sha256"), "Z" * 64)),
        f"{FILES}: $.files[0].sha256",
    ),
    "files-unsafe_path": (
        FILES,
        edit(_set(("files", 0, "path"), "../../etc/passwd")),
        f"{FILES}: $.files[0].path",
    ),
    "files-entry_list": (FILES, edit(_set(("files", 0), [])), f"{FILES}: $.files[0]"),
    "files-page_text": (
        FILES,
        edit(_set(("catalogue", 0, "first_page"), "1")),
        f"{FILES}: $.catalogue[0].first_page",
    ),
    "files-not_held_null": (FILES, edit(_set(("not_held",), None)), f"{FILES}: $.not_held"),
    "files-renditions_text": (FILES, edit(_set(("renditions",), "x")), f"{FILES}: $.renditions"),
    "files-rendition_source_unsafe": (
        FILES,
        edit(_set(("renditions", 0, "source"), "../case-file.pdf")),
        f"{FILES}: $.renditions[0].source",
    ),
    "files-sealed_text": (
        FILES,
        edit(_set(("files", 0, "sealed"), "是")),
        f"{FILES}: $.files[0].sealed",
    ),
    "files-conformance_number": (
        FILES,
        edit(_set(("case_file", "conformance"), 2)),
        f"{FILES}: $.case_file.conformance",
    ),
    # an OFD rendition
    "ofd-entity_bomb": (OFD, CONST(_ofd_bomb()), OFD),
    "ofd-not_zip": (OFD, CONST(b"PK\x03\x04 not really"), OFD),
    # case-bundle.json
    "bundle-bad_json": (BUNDLE, CONST(b"{"), f"{BUNDLE}: $"),
    "bundle-lone_surrogate": (BUNDLE, edit(_set(("case", "title"), SURROGATE)), f"{BUNDLE}: $"),
    "bundle-deep_nesting": (BUNDLE, CONST(DEEP), f"{BUNDLE}: $"),
    "bundle-root_text": (BUNDLE, CONST(b'"case"'), f"{BUNDLE}: $"),
    "bundle-missing_case": (BUNDLE, CONST(b"{}"), f"{BUNDLE}: $.case"),
    "bundle-case_list": (BUNDLE, edit(_set(("case",), [])), f"{BUNDLE}: $.case"),
    "bundle-av_records_text": (BUNDLE, edit(_set(("av_records",), "x")), f"{BUNDLE}: $.av_records"),
    "bundle-segments_text": (
        BUNDLE,
        edit(_set(("av_records", 0, "segments"), "x")),
        f"{BUNDLE}: $.av_records[0].segments",
    ),
    "bundle-segment_time_words": (
        BUNDLE,
        edit(_set(("av_records", 0, "segments", 0, "start"), "昨天上午")),
        f"{BUNDLE}: $.av_records[0].segments[0].start",
    ),
    "bundle-segment_time_naive": (
        BUNDLE,
        edit(_set(("av_records", 0, "segments", 0, "end"), "2026-11-20T09:40:00")),
        f"{BUNDLE}: $.av_records[0].segments[0].end",
    ),
    "bundle-text_records_null": (
        BUNDLE,
        edit(_set(("text_records",), None)),
        f"{BUNDLE}: $.text_records",
    ),
    # events.jsonl
    "events-bad_json_line": (EVENTS, lambda d: d + b"{\n", f"{EVENTS}:"),
    "events-list_line": (EVENTS, lambda d: d + b"[]\n", f"{EVENTS}:"),
    "events-seq_text": (EVENTS, lambda d: d + b'{"seq": "1"}\n', f"{EVENTS}:"),
    "events-seq_bool": (EVENTS, lambda d: d + b'{"seq": true}\n', f"{EVENTS}:"),
    "events-deep_line": (EVENTS, lambda d: d + DEEP + b"\n", f"{EVENTS}:"),
    "events-nan_line": (EVENTS, lambda d: d + b'{"seq": NaN}\n', f"{EVENTS}:"),
    "events-seq_only": (EVENTS, lambda d: d + b'{"seq": 999}\n', "日志事件 #999"),
    "events-not_utf8": (EVENTS, lambda d: d + b"\xff\n", EVENTS),
    "events-lone_surrogate": (
        EVENTS,
        each_line(_first_event(_surrogate_label)),
        f"{EVENTS}:1: $.actor_label",
    ),
    "events-float_payload": (EVENTS, each_line(_first_event(_float_payload)), EVENTS),
    # proofs.json
    "proofs-bad_json": (PROOFS, CONST(b"{"), f"{PROOFS}: $"),
    "proofs-root_list": (PROOFS, CONST(b"[]"), f"{PROOFS}: $"),
    "proofs-proofs_number": (PROOFS, edit(_set(("proofs",), 3)), f"{PROOFS}: $.proofs"),
    "proofs-entry_wrong": (
        PROOFS,
        edit(_set(("proofs", 0), {"seq": "x", "path": 5})),
        f"{PROOFS}: $.proofs[0].seq",
    ),
    "proofs-path_not_hex": (
        PROOFS,
        edit(_set(("proofs", 0, "path"), ["zz"])),
        f"{PROOFS}: $.proofs[0].path[0]",
    ),
    # checkpoint.json
    "checkpoint-bad_json": (CHECKPOINT, CONST(b"{"), f"{CHECKPOINT}: $"),
    "checkpoint-root_list": (CHECKPOINT, CONST(b"[]"), f"{CHECKPOINT}: $"),
    "checkpoint-size_text": (
        CHECKPOINT,
        edit(_set(("tree_size",), "34")),
        f"{CHECKPOINT}: $.tree_size",
    ),
    "checkpoint-root_not_hex": (
        CHECKPOINT,
        edit(_set(("root_hash",), "zz")),
        f"{CHECKPOINT}: $.root_hash",
    ),
    "checkpoint-time_naive": (
        CHECKPOINT,
        edit(_set(("timestamp",), "2026-11-23T02:00:00")),
        f"{CHECKPOINT}: $.timestamp",
    ),
    "checkpoint-signature_not_base64": (
        CHECKPOINT,
        edit(_set(("signature",), "!!")),
        f"{CHECKPOINT}: $.signature",
    ),
    "record-checkpoint_missing_key": (
        RECORD,
        edit(lambda record: record["checkpoint"].pop("key_fingerprint")),
        f"{RECORD}: $.checkpoint.key_fingerprint",
    ),
    "checkpoint-lone_surrogate": (
        CHECKPOINT,
        edit(_set(("origin",), SURROGATE)),
        f"{CHECKPOINT}: $.origin",
    ),
    # export-event.json
    "record-bad_json": (RECORD, CONST(b"{"), f"{RECORD}: $"),
    "record-deep_nesting": (RECORD, CONST(DEEP), f"{RECORD}: $"),
    "record-root_list": (RECORD, CONST(b"[]"), f"{RECORD}: $"),
    "record-missing_keys": (RECORD, CONST(b"{}"), f"{RECORD}: $.event"),
    "record-extra_key": (RECORD, edit(_set(("note",), "补充")), f"{RECORD}: $.note"),
    "record-event_text": (RECORD, edit(_set(("event",), "导出")), f"{RECORD}: $.event"),
    "record-inclusion_not_hex": (
        RECORD,
        edit(_set(("inclusion", 0), "zz")),
        f"{RECORD}: $.inclusion[0]",
    ),
    "record-seq_negative": (RECORD, edit(_set(("event", "seq"), -1)), f"{RECORD}: $.event.seq"),
    "record-contents_text": (
        RECORD,
        edit(_set(("event", "payload", "contents"), "全部")),
        f"{RECORD}: $.event.payload.contents",
    ),
    "record-content_size_text": (
        RECORD,
        edit(_set(("event", "payload", "contents", 0, "size"), "800")),
        f"{RECORD}: $.event.payload.contents[0].size",
    ),
    "record-lone_surrogate": (
        RECORD,
        edit(_set(("event", "actor_label"), SURROGATE)),
        f"{RECORD}: $.event.actor_label",
    ),
    # tag files
    "bag_info-not_utf8": (
        "bag-info.txt",
        lambda d: d.replace(b"LiuHen", b"\xff\xfe", 1),
        "bag-info.txt",
    ),
    "bagit-not_utf8": ("bagit.txt", lambda d: b"\xff" + d, "bagit.txt"),
    "manifest-not_utf8": ("manifest-sm3.txt", lambda d: b"\xff" + d, "manifest-sm3.txt"),
}


def malformed(package: Path, tmp_path: Path, variant: str) -> tuple[Path, str]:
    rel, change, _ = VARIANTS[variant]
    bag = tmp_path / "bag"
    shutil.copytree(package, bag)
    (bag / rel).write_bytes(change((bag / rel).read_bytes()))
    reseal_bag(bag, keep={rel} & {"bag-info.txt", "manifest-sm3.txt"})
    return bag, rel


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_malformed_file_is_a_finding_naming_file_and_path(package, tmp_path, variant):
    bag, rel = malformed(package, tmp_path, variant)
    report = verify_package(bag, four_properties=True)
    assert not report.ok
    where = VARIANTS[variant][2]
    assert any(p.item.startswith(where) for p in report.problems), (where, report.problems)
    assert not [p for p in report.problems if p.kind == "unverifiable"], report.problems
    assert not [n for n in report.notes if n.startswith("四性检测未能完成")], report.notes
    json.dumps(report.to_dict(), ensure_ascii=False).encode("utf-8")  # printable throughout


@pytest.mark.parametrize(
    "variant", ["bundle-lone_surrogate", "events-lone_surrogate", "record-deep_nesting"]
)
def test_verify_package_command_exits_with_problems_found_and_no_traceback(
    package, tmp_path, variant
):
    bag, _ = malformed(package, tmp_path, variant)
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONWARNINGS": "ignore"}
    for args in ([], ["--json"]):
        done = subprocess.run(
            [sys.executable, "-m", "liuhen", "verify-package", str(bag), *args],
            capture_output=True,
            env=env,
            timeout=120,
            check=False,
        )
        assert done.returncode == PROBLEMS_FOUND, done.stderr.decode("utf-8", "replace")
        assert b"Traceback" not in done.stderr, done.stderr.decode("utf-8", "replace")
        if args:
            assert json.loads(done.stdout)["ok"] is False
        else:
            assert "核验未通过".encode() in done.stdout
