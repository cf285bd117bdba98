"""The pages LiuHen writes itself into a case file, as plain data for the templates.

A document made in LiuHen keeps its own rendered PDF; everything else gets a page drawn here
from the case bundle: approval forms (审批表), 送达回证, execution records, the 音像资料说明
of each AV record (001§11: storage location, 制作方法, 制作时间, 制作人, 证明对象, content),
text originals, scans, and documents imported without a file. Each view is a dict with
``title``, ``number``, ``agency``, ``rows`` (label, value), ``text``, ``images``, ``files``
and a ``note`` saying where the page came from.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from functools import cache
from typing import Any

from liuhen.archive.items import Item, av_statement
from liuhen.documents.catalogue import default_catalogue
from liuhen.documents.values import format_date, format_datetime
from liuhen.domain import vocab

GENERATED_NOTE = "本页由留痕系统根据案件数据生成：系统中未存储该文书的原件或扫描件。"

EXTRA_LABELS: dict[str, str] = {
    "reason": "理由",
    "party": "当事人",
    "participants": "参加人员",
    "discussion": "讨论情况",
    "conclusion": "结论",
    "reasons": "理由",
    "content": "内容",
    "findings": "检查情况",
    "statement": "陈述申辩内容",
    "review": "复核意见",
    "facts": "违法事实",
    "proposed_penalty": "拟处罚内容",
    "drafter": "拟稿人",
    "reviewer": "审核人",
    "factors": "裁量情节",
    "bank_receipt": "银行缴款凭证",
    "amount": "金额（元）",
    "decision_date": "决定日期",
    "agency_name": "机关名称",
}


@cache
def field_labels() -> dict[str, str]:
    """Field key -> label, from every kind in the document catalogue, then EXTRA_LABELS."""
    labels: dict[str, str] = {}
    for kind in default_catalogue():
        for spec in kind.fields:
            labels.setdefault(spec.key, spec.label)
    for key, label in EXTRA_LABELS.items():
        labels.setdefault(key, label)
    return labels


def show(value: Any) -> str:
    """A bundle value as a person reads it: dates in Chinese, lists joined, flags as 是/否."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list | tuple):
        return "、".join(show(v) for v in value)
    if isinstance(value, Mapping):
        return "；".join(f"{field_labels().get(k, k)}：{show(v)}" for k, v in value.items())
    if isinstance(value, str):
        if len(value) >= 16 and value[4:5] == "-" and "T" in value:
            try:
                return format_datetime(datetime.fromisoformat(value))
            except ValueError:
                return value
        if len(value) == 10 and value[4:5] == "-":
            try:
                return format_date(date.fromisoformat(value))
            except ValueError:
                return value
    return str(value)


def when(moment: datetime | None) -> str:
    return format_datetime(moment) if moment else ""


def _officers(bundle: Mapping[str, Any], ids: Sequence[str]) -> str:
    by_id = {o["id"]: o for o in bundle.get("officers", [])}
    out = []
    for officer_id in ids:
        o = by_id.get(officer_id)
        if o:
            cert = o.get("certificate_number")
            out.append(f"{o['name']}（执法证号 {cert}）" if cert else o["name"])
    return "、".join(out)


def _signatures(record: Mapping[str, Any]) -> str:
    lines = []
    for sig in record.get("signatures", []):
        role = vocab.SIGNATURE_ROLES.get(sig.get("role", ""), sig.get("role", ""))
        method = vocab.SIGNATURE_METHODS.get(sig.get("method", "signature"), "签名")
        at = f"，{show(sig['signed_at'])}" if sig.get("signed_at") else ""
        lines.append(f"{role}：{sig.get('name', '')}（{method}{at}）")
    for refusal in record.get("refusals", []):
        role = vocab.SIGNATURE_ROLES.get(refusal.get("role", ""), refusal.get("role", ""))
        witness = f"，见证人 {refusal['witness']}" if refusal.get("witness") else ""
        lines.append(
            f"{role}{refusal.get('name', '')}拒绝签名：{refusal.get('reason', '')}{witness}"
        )
    return "\n".join(lines)


def base_view(item: Item, agency: str) -> dict[str, Any]:
    return {
        "title": item.title,
        "number": item.number,
        "agency": agency,
        "rows": [],
        "text": None,
        "images": [],
        "files": [],
        "note": "",
    }


def text_view(bundle: Mapping[str, Any], item: Item, agency: str) -> dict[str, Any]:
    """A text record imported without a file: its fields, officers and signatures."""
    record = item.entity
    view = base_view(item, agency)
    rows: list[tuple[str, str]] = [("当事人", bundle.get("party", {}).get("name", ""))]
    if record.get("started_at") and record.get("ended_at"):
        rows.append(("时间", f"{show(record['started_at'])}至{show(record['ended_at'])}"))
    labels = field_labels()
    for key, value in (record.get("fields") or {}).items():
        if key in ("party_name",):
            continue
        rows.append((labels.get(key, key), show(value)))
    if record.get("officer_ids"):
        rows.append(("执法人员", _officers(bundle, record["officer_ids"])))
    if record.get("certificates_shown") is not None:
        rows.append(("出示执法证件", show(record["certificates_shown"])))
    signatures = _signatures(record)
    if signatures:
        rows.append(("签名", signatures))
    rows.append(("制作时间", show(record.get("made_at"))))
    view["rows"] = [(label, value) for label, value in rows if value]
    view["note"] = GENERATED_NOTE
    return view


def plain_text_view(item: Item, agency: str, text: str, file_name: str) -> dict[str, Any]:
    view = base_view(item, agency)
    view["text"] = text
    view["note"] = f"原件为文本文件“{file_name}”，本页照录其全文。"
    return view


def image_view(item: Item, agency: str, data: bytes, media_type: str, name: str) -> dict[str, Any]:
    view = base_view(item, agency)
    view["images"] = [f"data:{media_type};base64,{base64.b64encode(data).decode('ascii')}"]
    view["note"] = f"扫描件：{name}"
    return view


def attachment_view(item: Item, agency: str, files: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """A record whose files cannot be shown on paper (e.g. a spreadsheet): list them."""
    view = base_view(item, agency)
    view["files"] = list(files)
    view["note"] = "以上文件不能以纸面形式呈现，随电子归档包保存于所列位置。"
    return view


def approval_view(bundle: Mapping[str, Any], item: Item, agency: str) -> dict[str, Any]:
    approval = item.entity
    case = bundle.get("case", {})
    view = base_view(item, agency)
    rows: list[tuple[str, str]] = [
        ("案号", case.get("number", "")),
        ("案件名称", case.get("title", "")),
        ("当事人", bundle.get("party", {}).get("name", "")),
        ("审批事项", vocab.APPROVAL_KINDS.get(approval.get("kind", ""), "内部审批")),
    ]
    if approval.get("emergency"):
        rows.append(("紧急情况", "情况紧急，先行实施后补报审批"))
    for key, value in (approval.get("fields") or {}).items():
        rows.append((field_labels().get(key, key), show(value)))
    for step in approval.get("steps", []):
        role = vocab.STEP_ROLES.get(step.get("role", ""), "审批人")
        position = vocab.POSITIONS.get(step.get("position", ""), "")
        label = f"{role}意见" + (f"\n（{position}）" if position else "")
        opinion = step.get("opinion") or ("同意" if approval.get("outcome") != "rejected" else "")
        signed = f"签名：{step.get('name', '')}　{show(step.get('at'))}"
        rows.append((label, f"{opinion}\n{signed}".strip()))
    if approval.get("outcome"):
        rows.append(
            ("审批结果", {"approved": "批准", "rejected": "不批准"}.get(approval["outcome"], ""))
        )
    view["rows"] = [(label, value) for label, value in rows if value]
    view["note"] = "本表由留痕系统根据审批记录（各审批步骤的审批人、意见与时间）生成。"
    return view


def service_view(
    bundle: Mapping[str, Any], item: Item, agency: str, numbers: Mapping[str, str]
) -> dict[str, Any]:
    service = item.entity
    view = base_view(item, agency)
    view["title"] = "送达回证"
    documents = [numbers.get(d, d) for d in service.get("document_ids", [])]
    receipt = service.get("receipt") or {}
    signer = receipt.get("signer", "")
    if signer and receipt.get("signer_relation"):
        signer += f"（{receipt['signer_relation']}）"
    rows: list[tuple[str, str]] = [
        ("送达文书名称及文号", "\n".join(documents)),
        ("受送达人", service.get("recipient", "")),
        ("送达地点", service.get("address", "")),
        ("送达方式", vocab.SERVICE_MODES.get(service.get("mode", ""), "")),
        ("送达时间", show(service.get("served_at"))),
        ("收件人签名（盖章）", signer),
        ("收到日期", show(receipt.get("date"))),
    ]
    extra = {k: service[k] for k in ("mail", "lien", "public_notice") if service.get(k)}
    if service.get("handover_reason"):
        extra["reason"] = service["handover_reason"]
    for key, value in extra.items():
        rows.append(
            (
                {"mail": "邮寄", "lien": "留置", "public_notice": "公告"}.get(key, "说明"),
                show(value),
            )
        )
    view["rows"] = [(label, value) for label, value in rows if value]
    view["note"] = "本回证由留痕系统根据送达记录生成。"
    return view


def execution_view(item: Item, agency: str, numbers: Mapping[str, str]) -> dict[str, Any]:
    event = item.entity
    view = base_view(item, agency)
    rows: list[tuple[str, str]] = [
        ("执行事项", vocab.EXECUTION_KINDS.get(event.get("kind", ""), "")),
        ("时间", show(event.get("at"))),
    ]
    for key, value in (event.get("fields") or {}).items():
        rows.append((field_labels().get(key, key), show(value)))
    if event.get("document_ids"):
        rows.append(("相关文书", "\n".join(numbers.get(d, d) for d in event["document_ids"])))
    rows.append(("说明", event.get("note", "")))
    view["rows"] = [(label, value) for label, value in rows if value]
    view["note"] = "本页由留痕系统根据执行记录生成。"
    return view


def av_view(
    bundle: Mapping[str, Any], item: Item, agency: str, files: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """音像资料说明 (001§11): where the AV is kept, how, when and by whom it was made, what
    it proves, and its content; then each original file with its digests."""
    record = item.entity
    statement = av_statement(bundle, record)
    devices = {d["id"]: d for d in bundle.get("devices", [])}
    device = devices.get(record.get("device_id", ""), {})
    carrier = vocab.AV_CARRIERS.get(statement.get("carrier", ""), "")
    paths = "、".join(f["path"] for f in files if f.get("path"))
    location = statement.get("location", "")
    where = "；".join(x for x in (carrier, location, f"电子归档包 {paths}" if paths else "") if x)
    segments = record.get("segments", [])
    span = ""
    if segments:
        span = f"{show(segments[0].get('start'))}至{show(segments[-1].get('end'))}，共 {len(segments)} 段"
    device_text = vocab.DEVICE_KINDS.get(device.get("kind", ""), "")
    if device.get("serial"):
        device_text += f"（编号 {device['serial']}）"
    rows: list[tuple[str, str]] = [
        ("题名", item.title.removeprefix("音像资料说明（").removesuffix("）")),
        ("存储位置", where),
        ("制作方法", statement.get("method", "")),
        ("制作时间", show(statement.get("made_at"))),
        ("制作人", statement.get("maker", "")),
        ("证明对象", statement.get("object", "")),
        ("声像内容摘要", statement.get("audio_content", "")),
        ("记录设备", device_text),
        ("记录时段", span),
        ("存储时间", show(record.get("stored_at"))),
        ("接收人", record.get("custodian", "")),
        (
            "保存期限",
            vocab.RETENTION_TERMS.get((record.get("retention") or {}).get("term", ""), ""),
        ),
    ]
    view = base_view(item, agency)
    view["title"] = "音像资料说明"
    required = {"存储位置", "制作方法", "制作时间", "制作人", "证明对象", "声像内容摘要"}  # 001§11
    view["rows"] = [
        (label, value or "未记载") for label, value in rows if value or label in required
    ]
    view["files"] = list(files)
    held = [f for f in files if f.get("size") != ""]
    if held and paths:
        view["note"] = (
            "音像原始文件随电子归档包保存，文件摘要（SHA-256、SM3）如上，"
            "可用 liuhen verify-package 核对。"
        )
    elif held:
        view["note"] = "音像原始文件保存在执法信息系统中，文件摘要（SHA-256、SM3）如上。"
    else:
        view["note"] = "本案音像原始文件未存入本系统，上列摘要取自案件数据。"
    return view
