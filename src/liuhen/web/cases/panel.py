"""What the case page adds for people who work the case: the action buttons their roles
allow, a note after a save, and every document's versions with who corrected it, when and
why (补正 history), built from the rows the case view read (no query of its own)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from liuhen.services.cases.documents import DOCX
from liuhen.services.cases.view import CaseView
from liuhen.services.permissions import actions_for

SAVED = {
    "case": "已立案。",
    "initiation": "已立案，并已提请立案（程序启动）审批；审批人将在“待我审批”中看到。",
    "act": "执法环节已记录。",
    "document": "文书已保存。",
    "correction": "补正已保存为新版本，原版本保留在历史中。",
    "approval": "审批已提请，等待审核、批准；办结后记入时间线。",
    "service": "送达已记录。",
    "execution": "执行情况已记录。",
    "closed": "已结案。",
}


@dataclass
class DocumentHistory:
    id: str
    title: str
    number: str
    versions: list[dict[str, Any]] = field(default_factory=list)
    signable: bool = False  # made by LiuHen (rendered): signed on the screen (签名)


@dataclass
class CasePanel:
    can_record: bool
    saved: str
    documents: dict[str, DocumentHistory]


_LABELS = {"application/pdf": "PDF", DOCX: "Word"}


def _links(record_id: str, files: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Download links for a version's stored files (each download is a ledger event)."""
    return [
        {
            "href": f"/records/{record_id}/files/{f['position']}?download=1",
            "label": _LABELS.get(f["media_type"], f["file_name"]),
        }
        for f in files
    ]


def case_panel(request: Request, view: CaseView) -> CasePanel:
    """The case page's extras for the signed-in user, from the rows the view was built from
    (``view.rows``: no query)."""
    user = getattr(request.state, "user", None)
    actions = actions_for(user.roles) if user else frozenset()
    rows = view.rows
    assert rows is not None, "the case view carries its rows"
    documents: dict[str, DocumentHistory] = {}
    for _key, _name, items in view.stages:
        for item in items:
            if item.kind != "执法文书":
                continue
            record_id = item.anchor.removeprefix("record-")
            documents[record_id] = DocumentHistory(
                id=record_id,
                title=item.title,
                number=item.detail,
                versions=[
                    {
                        "version": r["version"],
                        "at": r["created_at"],
                        "who": r["author_name"] or "系统（导入）",
                        "reason": r["correction_reason"],
                        "files": _links(r["id"], rows.files.get(r["id"], [])),
                    }
                    for r in rows.history(record_id)
                ],
                signable=any(f["role"] == "rendered" for f in rows.files.get(record_id, [])),
            )
    return CasePanel(
        can_record="record.create" in actions,
        saved=SAVED.get(request.query_params.get("saved", ""), ""),
        documents=documents,
    )
