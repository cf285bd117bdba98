"""The signing key against the fingerprints pinned for it.

A key can be replaced and every checkpoint signed again with the new one; the checkpoints
then agree with the key in the data directory. What catches it is a record of the key made
where the replacer cannot write: the fingerprint pinned in the settings
(``LIUHEN_LEDGER_FINGERPRINT``) or given on the command line (``--fingerprint``), a witness
holding the old signatures (``signed``), or — unless it was rewritten too — ledger event #0,
which recorded the key the ledger was started with.
"""

from __future__ import annotations

from typing import Any

from liuhen.ledger.checkpoint import key_fingerprint
from liuhen.ledger.note import parse_note, parse_vkey
from liuhen.ledger.rotation import parse_rotation, rotation_signed_by
from liuhen.services.archiving.integrity.report import VerifyReport
from liuhen.services.archiving.integrity.signed import Signer, SigningKey
from liuhen.store.store import Store

REWRITTEN = (
    "；日志事件 #0 记录的也是这个新指纹：整个日志连同事件 #0 已被改写并用新密钥重签，"
    "只有固定的指纹（或见证）能发现"
)


def check_key(
    store: Store,
    report: VerifyReport,
    genesis: dict[str, Any] | None,
    flag: str | None,
    rotations: list[tuple[int, Any]] | None = None,
) -> Signer:
    """Report a missing key and every pinned fingerprint the key does not have; return the
    keys to check signatures with (the chain through the recorded rotations)."""
    public = store.public_key
    actual = key_fingerprint(public) if public is not None else None
    path = str(store.settings.signing_key_path)
    if public is None:
        report.add(
            "signing_key_missing",
            path,
            f"{store.key_problem}：无法核验检查点签名，系统也无法再签名（请从备份恢复原密钥）",
        )
    recorded = genesis.get("key_fingerprint") if genesis is not None else None
    recorded = recorded if isinstance(recorded, str) else None
    chain = follow_rotations(report, recorded or actual, rotations or [])
    if _moved_on(store, chain, actual):
        public, actual = store.public_key, chain[-1].fingerprint
    report.key_fingerprint = actual
    reached = actual is None or chain[-1].fingerprint == actual
    known = {k.fingerprint for k in chain} if reached else set()
    current = actual or recorded
    pins = (
        ("LIUHEN_LEDGER_FINGERPRINT", store.settings.ledger_fingerprint),
        ("--fingerprint", flag),
    )
    for label, pinned in pins:
        if pinned is None:
            continue
        report.pinned.append(label)
        if current is not None and pinned != current and pinned not in known:
            tail = REWRITTEN if actual is not None and recorded == actual else ""
            report.add(
                "key_fingerprint_mismatch",
                path,
                f"签名密钥的指纹 {current} 与固定的指纹 {pinned}（{label}）不符：签名密钥被替换，"
                f"检查点可能已全部用新密钥重签{tail}",
            )
    _check_genesis(report, genesis, chain[-1].fingerprint if chain else recorded, actual)
    pinned_outside = any(p != "ledger_events#0" for p in report.pinned)
    if not pinned_outside and store.settings.witness_dir is None and not store.witnesses.specs():
        report.notes.append(
            "未固定签名公钥指纹（LIUHEN_LEDGER_FINGERPRINT 或 --fingerprint），也未配置见证目录："
            "若有人连同日志事件 #0 一起改写、用新密钥重签全部检查点，本次校验无法发现"
        )
    if not reached:  # the key file is not where the recorded chain leads: check with it
        chain[-1] = SigningKey(actual, public, None)
    elif chain[-1].public_key is None:
        chain[-1].public_key = public
    return Signer(public, actual, chain)


def _moved_on(store: Store, chain: list[SigningKey], actual: str | None) -> bool:
    """Whether this process held a key the ledger has rotated away from (rotated by another
    process since it read its key) and now holds the chain's newest, read from its file."""
    newest = chain[-1].fingerprint
    retired = {k.fingerprint for k in chain[:-1]}
    return actual in retired and newest is not None and store.adopt_key(newest, need=False)


def follow_rotations(
    report: VerifyReport, first: str | None, rotations: list[tuple[int, Any]]
) -> list[SigningKey]:
    """The chain of keys from the ledger's first key through each rotation event whose
    statement the key it retires signed; a rotation that is not so signed is a finding and
    ends the chain (its new key is not accepted)."""
    chain = [SigningKey(first, None)]
    for seq, payload in rotations:
        where = f"ledger_events#{seq}"
        try:
            old = parse_vkey(str(payload["old_key"]))
            rotation = parse_rotation(parse_note(str(payload["statement"])))
        except (KeyError, TypeError, ValueError) as exc:
            report.add("key_rotation_invalid", where, f"密钥轮换事件无法解读（被改动）：{exc}")
            break
        if key_fingerprint(old.public_key) != chain[-1].fingerprint:
            report.add(
                "key_rotation_invalid",
                where,
                f"密钥轮换事件所称的旧密钥 {key_fingerprint(old.public_key)} 不是当时的签名密钥"
                f" {chain[-1].fingerprint}：新密钥不被接受",
            )
            break
        if not rotation_signed_by(rotation, old):
            report.add(
                "key_rotation_invalid", where, "密钥轮换声明没有旧密钥的有效签名：新密钥不被接受"
            )
            break
        chain[-1].public_key, chain[-1].until = old.public_key, seq + 1
        new = rotation.new_key.public_key
        chain.append(SigningKey(key_fingerprint(new), new))
    return chain


def _check_genesis(
    report: VerifyReport, genesis: dict[str, Any] | None, recorded: str | None, actual: str | None
) -> None:
    if genesis is None:
        return
    if recorded is None:
        report.notes.append("日志事件 #0 没有记录签名密钥指纹：无法与初始化时的密钥比对")
        return
    report.pinned.append("ledger_events#0")
    if actual is not None and recorded != actual:
        report.add(
            "key_fingerprint_mismatch",
            "ledger_events#0",
            f"签名密钥的指纹 {actual} 与日志事件 #0 记录的初始化密钥指纹 {recorded} 不符："
            "签名密钥被替换，检查点可能已全部用新密钥重签",
        )
