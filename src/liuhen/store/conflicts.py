"""What a refused write means, in the user's words: the database's unique constraints and
indexes are the last word on what may exist once (one decision per approval step and
approver, one successor per version …), and the writer that loses a race meets them as an
``IntegrityError``. ``conflict`` turns that into a ``Conflict`` naming what happened, found
by the constraint's name (PostgreSQL) or its columns (SQLite's message lists them)."""

from __future__ import annotations

from sqlalchemy import Table, UniqueConstraint

from liuhen.errors import Conflict
from liuhen.store import tables as t

AGAIN = "请刷新页面查看最新状态后再操作"

MESSAGES: dict[str, str] = {
    "uq_approval_steps_position": f"该审批刚由他人作出了决定（两人同时审批，先提交者为准）：{AGAIN}",
    "uq_approval_steps_user": "您已在该审批中提请或审批过，不能重复审批（重复提交只记一次）",
    "uq_records_supersedes_id": f"该记录刚有了更新的版本（同时更正，先提交者为准）：{AGAIN}",
    "uq_acts_supersedes_id": f"该执法环节刚有了更新的版本：{AGAIN}",
    "uq_case_files_supersedes_id": f"案卷刚由他人更新或移交：{AGAIN}",
    "uq_authorisations_ends_id": "该授权已被撤销，无需重复撤销",
    "uq_cases_number": "number: 案件编号已被使用，请核对编号",
    "uq_users_username": "username: 用户名已存在",
    "uq_devices_serial_no": "serial_no: 该序列号已登记",
    "uq_officers_certificate_no": "certificate_no: 该执法证号已登记",
    "uq_share_links_token_hash": f"交付链接冲突：{AGAIN}",
    "uq_stations_token_hash": f"采集站令牌冲突：{AGAIN}",
    "uq_redactions_version": f"遮盖内容刚由他人修改（同时提交，先提交者为准）：{AGAIN}",
    "uq_case_reviews_version": f"评查表刚由他人评分签名（同时提交，先提交者为准）：{AGAIN}",
    "uq_footage_detections_file": f"该视频的人脸检测刚由他人完成：{AGAIN}",
    "uq_face_scans_file": f"该视频的人脸检测刚由他人完成：{AGAIN}",
    "uq_redacted_footage_redaction": f"该版本的遮盖视频刚由他人制作完成：{AGAIN}",
    "uq_hand_signatures_slot": f"该签名栏刚已签名或记录拒签（同时提交，先提交者为准）：{AGAIN}",
    "uq_issued_numbers_serial": "number: 该编号的序号本年度已被使用，请核对编号或使用系统分配的编号",
    "uq_issued_numbers_number": "number: 该编号已被使用，请核对编号或使用系统分配的编号",
    "uq_number_styles_version": f"字号刚由他人修改（同时提交，先提交者为准）：{AGAIN}",
    "uq_number_voids_serial": "serial: 该编号已登记作废或空号原因",
    "uq_export_jobs_attempt": f"该导出刚由他人开始（同时提交，只做一次）：{AGAIN}",
}
"""Constraint or unique index name -> the message of the writer that lost to it."""


def _unique_columns(table: Table) -> dict[str, tuple[str, ...]]:
    """The table's unique constraints and indexes (primary key included): name -> columns."""
    found: dict[str, tuple[str, ...]] = {
        f"pk_{table.name}": tuple(c.name for c in table.primary_key.columns)
    }
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint) and constraint.name:
            found[str(constraint.name)] = tuple(c.name for c in constraint.columns)
    for index in table.indexes:
        if index.unique and index.name:
            found[str(index.name)] = tuple(c.name for c in index.columns)
    return found


def constraint_of(table_name: str, exc: BaseException) -> str | None:
    """The name of the unique constraint or index ``exc`` (an ``IntegrityError``) broke."""
    orig = getattr(exc, "orig", exc)
    diag = getattr(orig, "diag", None)
    if diag is not None and getattr(diag, "constraint_name", None):
        return str(diag.constraint_name)
    text = str(orig)
    if "UNIQUE constraint failed:" not in text:
        return None
    listed = text.split("UNIQUE constraint failed:", 1)[1].strip().splitlines()[0]
    columns = tuple(part.strip().split(".")[-1] for part in listed.split(","))
    table = t.metadata.tables.get(table_name)
    if table is None:
        return None
    for name, cols in _unique_columns(table).items():
        if cols == columns:
            return name
    return None


def conflict(table_name: str, exc: BaseException) -> Conflict:
    """The ``Conflict`` for a write to ``table_name`` the database refused (``exc``)."""
    name = constraint_of(table_name, exc)
    if name in MESSAGES:
        return Conflict(MESSAGES[name])
    orig = str(getattr(exc, "orig", exc)).strip().splitlines()
    reason = orig[0] if orig else type(exc).__name__
    return Conflict(f"{table_name}：与已有数据或同时提交的另一操作冲突（{reason}）：{AGAIN}")
