"""The package tamper suite (issue 13): a real package of a demo case, and for every payload
and tag file in it: removed, edited, appended to, and a new file added beside it, each time
with both manifests rebuilt by the project's own writer (``tests.helpers.reseal_bag``) so the
bag looks valid. Every variant is rejected and the report names the file. Then the careful
attacks the issue lists, each checked to pass bagit-python's own validation first.

The package is exported once for the module; each variant works on a copy.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import bagit
import pytest
from tests.conftest import FakeClock
from tests.helpers import SYSTEM, reseal_bag

from liuhen.archive.package_report import PackageReport
from liuhen.archive.verify_package import verify_package
from liuhen.services.archiving.packages import export_package
from liuhen.services.cases.cases import find_case

DEMO_NUMBER = "示镇综执立〔2026〕12号"
SLOTS = (
    "README.txt",
    "bag-info.txt",
    "bagit.txt",
    "data/av/*",
    "data/case-file.pdf",
    "data/documents/*",
    "data/ledger/checkpoint.json",
    "data/ledger/events.jsonl",
    "data/ledger/proofs.json",
    "data/ledger/public-key.pem",
    "data/metadata/case-bundle.json",
    "data/metadata/files.json",
    "data/metadata/four-properties.json",
    "data/metadata/seal-certificate.pem",
    "data/ofd/case-file.ofd",
    "export-event.json",
    "manifest-sha256.txt",
    "manifest-sm3.txt",
    "tagmanifest-sha256.txt",
    "tagmanifest-sm3.txt",
)
"""Every file of the demo package: a name, or a pattern matching one file."""


@pytest.fixture(scope="module")
def package(demos, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("tamper")
    demo = demos.open(root / "data", clock=FakeClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC)))
    out = root / "package"
    export_package(demo.store, SYSTEM, find_case(demo.store, DEMO_NUMBER), out)
    demo.store.close()
    yield out


def resolve(package: Path, slot: str) -> str:
    found = sorted(package.glob(slot))
    assert len(found) == 1, (slot, found)
    return found[0].relative_to(package).as_posix()


def copy_of(package: Path, tmp_path: Path) -> Path:
    target = tmp_path / "bag"
    shutil.copytree(package, target)
    return target


def rejected(bag: Path, named: str) -> PackageReport:
    """The report of ``bag``, which must fail and name ``named``, every check having run."""
    report = verify_package(bag)
    assert not report.ok
    assert any(named in p.item for p in report.problems), (named, report.problems)
    assert not [p for p in report.problems if p.kind == "unverifiable"], report.problems
    return report


# -- every file, four ways -----------------------------------------------------------------


def removed(bag: Path, rel: str) -> str:
    (bag / rel).unlink()
    return rel


def edited(bag: Path, rel: str) -> str:
    data = bytearray((bag / rel).read_bytes())
    data[len(data) // 2] ^= 0x01
    (bag / rel).write_bytes(bytes(data))
    return rel


def appended(bag: Path, rel: str) -> str:
    """A trailing newline: the same JSON or text to a reader, other bytes to a digest."""
    with open(bag / rel, "ab") as f:
        f.write(b"\n")
    return rel


def extra_beside(bag: Path, rel: str) -> str:
    """A copy of the file under a new name in the same folder, as if it had always been there."""
    path = bag / rel
    extra = path.with_name(f"{path.stem}-副本{path.suffix}")
    shutil.copyfile(path, extra)
    return extra.relative_to(bag).as_posix()


TAMPERINGS: dict[str, Callable[[Path, str], str]] = {
    "removed": removed,
    "edited": edited,
    "appended": appended,
    "extra_beside": extra_beside,
}


def test_the_slots_are_every_file_of_the_package(package):
    on_disk = {p.relative_to(package).as_posix() for p in package.rglob("*") if p.is_file()}
    assert {resolve(package, slot) for slot in SLOTS} == on_disk


def test_the_untouched_package_and_a_resealed_copy_verify(package, tmp_path):
    assert verify_package(package).ok
    bag = copy_of(package, tmp_path)
    reseal_bag(bag)
    report = verify_package(bag)
    assert report.ok, report.problems


@pytest.mark.parametrize("tampering", sorted(TAMPERINGS))
@pytest.mark.parametrize("slot", SLOTS)
def test_every_file_removed_edited_appended_or_joined_is_rejected_by_name(
    package, tmp_path, slot, tampering
):
    bag = copy_of(package, tmp_path)
    rel = resolve(package, slot)
    named = TAMPERINGS[tampering](bag, rel)
    reseal_bag(bag, keep=() if tampering == "extra_beside" else {rel})
    first = rejected(bag, named).first_problem
    assert named in first.item or named in first.message, first  # a manifest names its file


# -- the careful attacks of the issue ------------------------------------------------------


def delete_case_file(bag: Path) -> str:
    return removed(bag, "data/case-file.pdf")


def add_payload_file(bag: Path) -> str:
    (bag / "data/documents/02-补充材料.txt").write_text("事后补进去的材料", "utf-8")
    return "data/documents/02-补充材料.txt"


def _rewrite_lines(path: Path, keep: Callable[[int, str], bool]) -> None:
    lines = path.read_text("utf-8").splitlines()
    path.write_text("".join(f"{line}\n" for i, line in enumerate(lines) if keep(i, line)), "utf-8")


def drop_ledger_event(bag: Path) -> str:
    _rewrite_lines(bag / "data/ledger/events.jsonl", lambda i, _: i != 1)
    return "data/ledger/events.jsonl"


def drop_ledger_events_and_their_proofs(bag: Path) -> str:
    events = bag / "data/ledger/events.jsonl"
    dropped = {json.loads(line)["seq"] for line in events.read_text("utf-8").splitlines()[1:3]}
    _rewrite_lines(events, lambda _, line: json.loads(line)["seq"] not in dropped)
    proofs_path = bag / "data/ledger/proofs.json"
    proofs = json.loads(proofs_path.read_text("utf-8"))
    proofs["proofs"] = [p for p in proofs["proofs"] if p["seq"] not in dropped]
    proofs_path.write_text(json.dumps(proofs, ensure_ascii=False, indent=2) + "\n", "utf-8")
    return "data/ledger/events.jsonl"


def add_ledger_event_twice(bag: Path) -> str:
    events = bag / "data/ledger/events.jsonl"
    lines = events.read_text("utf-8").splitlines()
    events.write_text("".join(f"{line}\n" for line in [*lines, lines[0]]), "utf-8")
    return "data/ledger/events.jsonl"


def edit_four_properties(bag: Path) -> str:
    path = bag / "data/metadata/four-properties.json"
    report = json.loads(path.read_text("utf-8"))
    report["checks"][0]["detail"] = "已核对（改写）"
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", "utf-8")
    return "data/metadata/four-properties.json"


def delete_four_properties(bag: Path) -> str:
    return removed(bag, "data/metadata/four-properties.json")


def edit_bag_info(bag: Path) -> str:
    path = bag / "bag-info.txt"
    text = path.read_text("utf-8").replace("占道经营案", "占道经营（已结）案")
    path.write_text(text, "utf-8")
    return "bag-info.txt"


def edit_readme(bag: Path) -> str:
    path = bag / "README.txt"
    path.write_text(path.read_text("utf-8").replace("核验方法", "核验方法（可略）"), "utf-8")
    return "README.txt"


def rewrite_export_contents(bag: Path) -> str:
    """Change a document and write its new digests into the export event's list."""
    from liuhen.archive.digests import file_digests

    doc = next((bag / "data/documents").iterdir())
    doc.write_text("改写后的笔录", "utf-8")
    rel = doc.relative_to(bag).as_posix()
    sha256, sm3, size = file_digests(doc)
    path = bag / "export-event.json"
    record = json.loads(path.read_text("utf-8"))
    for entry in record["event"]["payload"]["contents"]:
        if entry["path"] == rel:
            entry.update(sha256=sha256, sm3=sm3, size=size)
    path.write_bytes(
        (json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()
    )
    return "export-event.json"


CAREFUL: dict[str, tuple[Callable[[Path], str], str]] = {
    "case_file_pdf_deleted": (delete_case_file, "export_file_missing"),
    "extra_payload_file": (add_payload_file, "export_file_added"),
    "ledger_event_dropped": (drop_ledger_event, "event_missing"),
    "ledger_events_dropped_with_their_proofs": (
        drop_ledger_events_and_their_proofs,
        "export_mismatch",
    ),
    "ledger_event_added_twice": (add_ledger_event_twice, "event_duplicate"),
    "four_properties_edited": (edit_four_properties, "export_mismatch"),
    "four_properties_deleted": (delete_four_properties, "export_file_missing"),
    "bag_info_edited": (edit_bag_info, "export_mismatch"),
    "readme_edited": (edit_readme, "export_mismatch"),
    "export_contents_rewritten": (rewrite_export_contents, "payload_altered"),
}


def _bagit_validates(bag: Path) -> None:
    logging.getLogger("bagit").disabled = True
    try:
        bagit.Bag(str(bag)).validate()
    finally:
        logging.getLogger("bagit").disabled = False


@pytest.mark.parametrize("attack", sorted(CAREFUL))
def test_careful_attack_passes_bagit_but_not_verify_package(package, tmp_path, attack):
    bag = copy_of(package, tmp_path)
    tamper, kind = CAREFUL[attack]
    named = tamper(bag)
    reseal_bag(bag)
    _bagit_validates(bag)  # the bag looks valid to any BagIt tool
    report = rejected(bag, named)
    assert named in report.first_problem.item, report.problems
    assert report.first_problem.kind == kind, report.problems
