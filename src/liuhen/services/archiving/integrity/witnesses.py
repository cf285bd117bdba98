"""The witnesses, against the recomputed ledger: each registered one present and agreeing.

- the registry against the ledger: a ``witness.added`` event whose witness is no longer
  registered (a witness quietly switched off) or a registered witness the ledger never
  recorded is a finding;
- an HTTP witness (``liuhen witness serve``): every cosignature this store kept verifies
  with the witness's key and is over a checkpoint of this ledger; and the witness itself is
  asked what it holds for this log: unreachable or not knowing the log (missing), a tree
  larger than ours (a rollback), a root that differs (a fork: history rewritten), an older
  tree than our newest signed checkpoint (lagging), or a pinned key that is not ours;
- a bucket: every object a valid checkpoint of this ledger, and every checkpoint signed since
  its first object present.

A directory witness is read with the checkpoint log (``signed.check_outside``). Each finding
names the witness (``witness:<name>``).
"""

from __future__ import annotations

from typing import Any

from liuhen.ledger.checkpoint import Checkpoint
from liuhen.ledger.cosignature import cosigned_at
from liuhen.ledger.merkle import MerkleHashes
from liuhen.ledger.note import Note, Verifier, parse_checkpoint_text, parse_note, parse_vkey, vkey
from liuhen.services.archiving.integrity.report import VerifyReport, ranges
from liuhen.services.archiving.integrity.signed import Found, Signer, judge_checkpoint
from liuhen.services.archiving.integrity.signed_index import Held, SignedCheckpoints
from liuhen.services.archiving.queries.integrity import checkpoint_origins, ledger_end
from liuhen.store.store import Store
from liuhen.store.witnesses import S3WitnessError, WitnessSpec, read_registry
from liuhen.store.witnesses import cosigned as cosigned_file
from liuhen.store.witnesses.http import HttpWitness, WitnessUnreachable


def check_witnesses(
    store: Store,
    report: VerifyReport,
    tree: MerkleHashes,
    signer: Signer,
    signed: SignedCheckpoints,
    recorded: list[tuple[int, Any]],
) -> None:
    folder = store.witnesses.folder
    try:
        specs = read_registry(folder)
    except (ValueError, KeyError, TypeError) as exc:
        report.add(
            "witness_registry_unreadable", str(folder / "registry.json"), f"见证登记无法读取：{exc}"
        )
        specs = []
    _against_ledger(report, specs, recorded)
    # the newest this run could have seen cosigned: none signed while it ran
    newest = signed.newest(tree.size) or 0
    for spec in specs:
        if spec.kind == "http":
            _check_http(store, report, spec, tree, signer, newest)
        elif spec.kind == "s3":
            _check_s3(store, report, spec, tree, signer, signed)


def _against_ledger(
    report: VerifyReport, specs: list[WitnessSpec], recorded: list[tuple[int, Any]]
) -> None:
    names = {s.name for s in specs}
    logged: set[str] = set()
    for seq, payload in recorded:
        name = payload.get("name") if isinstance(payload, dict) else None
        if not isinstance(name, str):
            continue
        logged.add(name)
        if name not in names:
            report.add(
                "witness_unregistered",
                f"witness:{name}",
                f"日志事件 #{seq} 登记了见证 {name}，但见证登记中已没有它：见证被停用，改写将无人发现",
            )
    for spec in specs:
        if spec.name not in logged:
            report.add(
                "witness_unrecorded",
                f"witness:{spec.name}",
                f"见证 {spec.name} 已登记，但日志中没有其登记事件",
            )


def _check_http(
    store: Store,
    report: VerifyReport,
    spec: WitnessSpec,
    tree: MerkleHashes,
    signer: Signer,
    newest: int,
) -> None:
    where = f"witness:{spec.name}"
    try:
        witness = parse_vkey(spec.vkey or "")
    except ValueError as exc:
        report.add("witness_registry_unreadable", where, f"见证公钥无法读取：{exc}")
        return
    _check_kept(store, report, store.witnesses.cosigned_path(spec), witness, tree, signer)
    state = None
    try:
        for origin in log_origins(store):
            state = HttpWitness(spec.target).log_state(origin)
            if state is not None:
                break
    except WitnessUnreachable as exc:
        report.add("witness_unreachable", where, f"见证 {spec.target} 无法访问（{exc}）：无法比对")
        return
    if state is None:
        report.add(
            "witness_missing",
            where,
            f"见证 {spec.target} 没有本日志的记录（未固定本日志公钥，或记录丢失）",
        )
        return
    _check_state(report, where, state, witness, tree, signer, newest, ledger_end(store))


def _check_kept(
    store: Store,
    report: VerifyReport,
    path: Any,
    witness: Verifier,
    tree: MerkleHashes,
    signer: Signer,
) -> None:
    """The cosignatures this store kept: each valid and over a checkpoint of this ledger."""
    found = Found()
    kept = list(cosigned_file.read(path))
    end = ledger_end(store)  # after the file
    for number, note in kept:
        where = f"{path}:{number}"
        cp = _cosigned(found, where, note, witness)
        if cp is not None:
            own = [s for s in note.signatures if s.name == cp.origin] if note else []
            sig = own[0].signature if own else b""
            judge_checkpoint(found, where, cp, sig, None, tree, signer, end)
    found.emit(report, each=False)


def _cosigned(found: Found, where: str, note: Note | None, witness: Verifier) -> Checkpoint | None:
    try:
        if note is None:
            raise ValueError("not a cosigned note")
        cp = parse_checkpoint_text(note.text)
    except ValueError as exc:
        found.add("witness_cosignature_invalid", where, f"见证副署的检查点无法解读：{exc}")
        return None
    when = cosigned_at(note, witness)
    if when is None or when is False:
        found.add(
            "witness_cosignature_invalid", where, f"没有见证 {witness.name} 的有效副署（被改动）"
        )
        return None
    return cp


def _check_state(
    report: VerifyReport,
    where: str,
    state: dict[str, Any],
    witness: Verifier,
    tree: MerkleHashes,
    signer: Signer,
    newest: int,
    end: int,
) -> None:
    pinned = state.get("keys")
    keys: list[Any] = pinned if isinstance(pinned, list) else []
    ours = vkey(witness_origin(state), signer.public_key) if signer.public_key else None
    if ours is not None and ours not in keys:
        report.add(
            "witness_key_mismatch",
            where,
            f"见证固定的本日志公钥（{', '.join(map(str, keys))}）不是本日志的签名密钥 {signer.fingerprint}："
            "签名密钥被替换（未经旧密钥签名的轮换），日志可能已被改写重签",
        )
    text = state.get("note")
    if not isinstance(text, str) or not text:
        if newest:
            report.add(
                "witness_lagging",
                where,
                f"见证尚未副署本日志的任何检查点（本日志已签名至 @{newest}）",
            )
        return
    found = Found()
    try:
        note: Note | None = parse_note(text)
    except ValueError:
        note = None
    cp = _cosigned(found, where, note, witness)
    found.emit(report, each=True)
    if cp is None:
        return
    if cp.tree_size > tree.size:
        if cp.tree_size > end:  # else cosigned over events written while this run went on
            report.add(
                "ledger_rolled_back",
                where,
                f"见证已副署 {cp.tree_size} 条事件的检查点，本日志只有 {tree.size} 条（事件被删除或数据库被回滚）",
                [f"ledger_events#{tree.size}–#{cp.tree_size - 1}"],
            )
    elif cp.tree_size >= tree.base and tree.root(cp.tree_size) != cp.root_hash:
        report.add(
            "witness_forked",
            where,
            f"见证副署的 @{cp.tree_size} 检查点的根与本日志重算的不符：日志在见证之后被改写（分叉）",
        )
    elif cp.tree_size < newest:
        report.add(
            "witness_lagging",
            where,
            f"见证最后副署 @{cp.tree_size}，本日志已签名至 @{newest}（见证曾无法访问或拒绝了之后的检查点）",
        )


def log_origins(store: Store) -> list[str]:
    """The origins this log may be known by to a witness: the store's (from event #0), then
    each one the signed checkpoints name (a rewritten ledger may disagree with itself)."""
    found = [store.origin]
    found += [o for o in checkpoint_origins(store) if o not in found]
    return found


def witness_origin(state: dict[str, Any]) -> str:
    origin = state.get("origin")
    return origin if isinstance(origin, str) else ""


def _check_s3(
    store: Store,
    report: VerifyReport,
    spec: WitnessSpec,
    tree: MerkleHashes,
    signer: Signer,
    signed: SignedCheckpoints,
) -> None:
    from liuhen.ledger.note import read_log_entry

    where = f"witness:{spec.name}"
    try:
        notes = store.s3_witness(spec.target).notes(log_origins(store)[0])
    except (S3WitnessError, ValueError) as exc:
        report.add("witness_unreachable", where, f"见证存储桶 {spec.target} 无法读取（{exc}）")
        return
    if not notes:
        if signed:
            report.add(
                "witness_missing",
                where,
                f"见证存储桶 {spec.target} 中没有本日志的检查点（被删除？）",
            )
        return
    found = Found()
    held = Held(signed)
    end = ledger_end(store)  # after the bucket's notes
    for key, text in notes:
        try:
            cp, signature, _fp = read_log_entry({"note": text})
        except (ValueError, TypeError):
            found.add(
                "witness_unreadable", f"{where}/{key}", "见证存储桶中的检查点无法解读（被改动）"
            )
            continue
        if (
            signed.same(cp, signature)
            or judge_checkpoint(found, f"{where}/{key}", cp, signature, None, tree, signer, end)
            or cp.tree_size > tree.size
        ):
            held.add(cp.tree_size)
    found.emit(report, each=False)
    floor = -1 if held.smallest is None else held.smallest
    missing, sizes = ranges(held.missing(floor, tree.size))
    if missing:
        report.add(
            "witness_incomplete",
            where,
            f"见证存储桶缺少数据库已签名的 {missing} 个检查点（树大小 {sizes}）",
        )
