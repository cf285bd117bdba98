"""What the case page and the home page show about audio-video: the case's AV records with
their players, and the uploads due (soon or overdue) for the case or for the signed-in
user. The handlers of the case page and the case lists call these and pass the result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from liuhen.domain import vocab
from liuhen.services.av.due import UploadDue, av_uploads_due
from liuhen.services.av.timeline import clock
from liuhen.services.av.views import case_av
from liuhen.services.permissions import actions_for


@dataclass
class AVPanel:
    records: list[dict[str, Any]] = field(default_factory=list)
    due: list[UploadDue] = field(default_factory=list)
    can_upload: bool = False


def _user(request: Request) -> Any:
    return getattr(request.state, "user", None)


def av_panel(request: Request, view: Any) -> AVPanel:
    """The case page's AV section (``view`` is the page's CaseView)."""
    user = _user(request)
    if user is None:
        return AVPanel()
    store = request.app.state.store
    case_id = view.case["id"] if isinstance(view.case, dict) else view.case.id
    due = av_uploads_due(store, user.actor, store.clock(), case_id=case_id)
    return AVPanel(
        records=case_av(store, case_id),
        due=[d for d in due if d.state in ("overdue", "soon", "upcoming")],
        can_upload="av.upload" in actions_for(user.roles),
    )


def av_due_for(request: Request) -> list[UploadDue]:
    """The signed-in user's acts whose footage is overdue or due soon (home page warning)."""
    user = _user(request)
    if user is None:
        return []
    store = request.app.state.store
    found = av_uploads_due(store, user.actor, store.clock())
    return [d for d in found if d.state in ("overdue", "soon")]


TEMPLATE_GLOBALS = {
    "clock": clock,
    "act_kinds": vocab.ACT_KINDS,
}
