"""Package verification: the witnesses' cosignatures of the checkpoint the package proves
against (``data/ledger/cosignatures.json``: the checkpoint as a C2SP signed note with each
witness's cosignature/v1 line, and the witnesses' keys as the exporting store knew them).

Keys given by the person verifying (``liuhen verify-package --witness VKEY``, e.g. from the
county's letter) are the ones that count: each must have a valid cosignature over exactly
this package's checkpoint, or the package fails naming the file and the witness. Keys found
only in the package are checked too, but prove nothing on their own (a forger writes both).
Offline: no database, no network.
"""

from __future__ import annotations

from typing import Any

from liuhen.archive.package_report import Bag, PackageReport, read_json
from liuhen.ledger.checkpoint import Checkpoint, checkpoint_body
from liuhen.ledger.cosignature import cosigned_at
from liuhen.ledger.note import Note, Verifier, parse_note, parse_vkey

COSIGNATURES = "data/ledger/cosignatures.json"


def check_cosignatures(
    bag: Bag, report: PackageReport, cp: Checkpoint | None, given: list[str]
) -> None:
    verifiers = [parse_vkey(k) for k in given]
    if bag.read(COSIGNATURES) is None:
        if verifiers:
            report.add(COSIGNATURES, "file_missing", "缺少见证副署：无法核对给定的见证公钥")
        return
    data = read_json(bag, report, COSIGNATURES)
    note = _note(report, data, cp)
    if note is None:
        return
    for v in verifiers:
        _one(report, note, v, pinned=True)
    shipped = data.get("witnesses") if isinstance(data, dict) else None
    for item in shipped if isinstance(shipped, list) else []:
        try:
            v = parse_vkey(str(item["vkey"]) if isinstance(item, dict) else str(item))
        except (KeyError, ValueError) as exc:
            report.add(COSIGNATURES, "witness_key_invalid", f"包内的见证公钥无法读取：{exc}")
            continue
        if v.text not in {g.text for g in verifiers}:
            _one(report, note, v, pinned=False)


def _note(report: PackageReport, data: Any, cp: Checkpoint | None) -> Note | None:
    try:
        if not isinstance(data, dict) or not isinstance(data.get("note"), str):
            raise ValueError("缺少 note")
        note = parse_note(data["note"])
    except ValueError as exc:
        report.add(COSIGNATURES, "cosignature_invalid", f"见证副署无法读取：{exc}")
        return None
    if cp is not None and note.text.encode("utf-8") != checkpoint_body(cp):
        report.add(
            COSIGNATURES,
            "cosignature_other_checkpoint",
            "见证副署的不是本包所依据的检查点（data/ledger/checkpoint.json）",
        )
        return None
    return note


def _one(report: PackageReport, note: Note, witness: Verifier, *, pinned: bool) -> None:
    when = cosigned_at(note, witness)
    if when is None or when is False:
        kind = "witness_cosignature_missing" if when is None else "witness_cosignature_invalid"
        what = "没有" if when is None else "有无效的"
        report.add(
            f"{COSIGNATURES}（见证 {witness.name}）", kind, f"{what}见证 {witness.name} 的副署"
        )
        return
    source = "给定的见证公钥" if pinned else "包内的见证公钥（未经固定，仅供参考）"
    report.notes.append(f"见证 {witness.name} 的副署有效（{source}，副署时间 {when}）")
    if pinned:
        report.cosigned_by.append(witness.name)
