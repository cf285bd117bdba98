"""What the case page adds for people who work the case: the action buttons their roles
allow, a note after a save, and every document's versions with who corrected it, when and
why (补正 history). Installed as a template global, so the case page handler stays as is."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from liuhen.services.admin.users import get_user
from liuhen.services.cases.documents import DOCX, record_files
from liuhen.services.cases.records import record_history
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


@dataclass
class CasePanel:
    can_record: bool
    saved: str
    documents: dict[str, DocumentHistory]


_LABELS = {"application/pdf": "PDF", DOCX: "Word"}


def _links(store: Any, record_id: str) -> list[dict[str, str]]:
    """Download links for a version's stored files (each download is a ledger event)."""
    return [
        {
            "href": f"/records/{record_id}/files/{f['position']}?download=1",
            "label": _LABELS.get(f["media_type"], f["file_name"]),
        }
        for f in record_files(store, record_id)
    ]


def case_panel(request: Request, view: Any) -> CasePanel:
    """The case page's extras for the signed-in user (``view`` is the page's CaseView)."""
    user = getattr(request.state, "user", None)
    actions = actions_for(user.roles) if user else frozenset()
    store = request.app.state.store
    names: dict[str, str] = {}

    def who(user_id: str) -> str:
        if user_id not in names:
            found = get_user(store, user_id) if user_id and user_id != "system" else None
            names[user_id] = found.display_name if found else "系统（导入）"
        return names[user_id]

    documents: dict[str, DocumentHistory] = {}
    for _key, _name, items in view.stages:
        for item in items:
            if item.kind != "执法文书":
                continue
            record_id = item.anchor.removeprefix("record-")
            chain = record_history(store, record_id)
            documents[record_id] = DocumentHistory(
                id=record_id,
                title=item.title,
                number=item.detail,
                versions=[
                    {
                        "version": r["version"],
                        "at": r["created_at"],
                        "who": who(r["created_by"]),
                        "reason": r["correction_reason"],
                        "files": _links(store, r["id"]),
                    }
                    for r in chain
                ],
            )
    return CasePanel(
        can_record="record.create" in actions,
        saved=SAVED.get(request.query_params.get("saved", ""), ""),
        documents=documents,
    )
