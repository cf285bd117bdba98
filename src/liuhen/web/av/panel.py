"""What the case page and the home page show about audio-video: the case's AV records with
their players, and the uploads due (soon or overdue) for the case or for the signed-in
user. The handlers of the case page and the case lists call these and pass the result."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from liuhen.domain import vocab
from liuhen.services.av.due import UploadDue, footage_warnings, uploads_due_in
from liuhen.services.av.linking import LinkOffer, link_offers
from liuhen.services.av.timeline import clock
from liuhen.services.av.views import case_av_of
from liuhen.services.cases.view import CaseView
from liuhen.services.permissions import actions_for


@dataclass
class AVPanel:
    records: list[dict[str, Any]] = field(default_factory=list)
    due: list[UploadDue] = field(default_factory=list)
    can_upload: bool = False
    offers: list[LinkOffer] = field(default_factory=list)  # unlinked footage that fits


def _user(request: Request) -> Any:
    return getattr(request.state, "user", None)


def av_panel(request: Request, view: CaseView) -> AVPanel:
    """The case page's AV section, from the case view's rows and bundle (no query)."""
    user = _user(request)
    if user is None or view.rows is None or view.calendar is None:
        return AVPanel()
    store = request.app.state.store
    due = uploads_due_in(
        view.bundle, None, store.clock(), view.calendar, store.settings.tz, view.stored
    )
    can_upload = "av.upload" in actions_for(user.roles)
    return AVPanel(
        records=case_av_of(view.rows),
        due=[d for d in due if d.state in ("overdue", "soon", "upcoming")],
        can_upload=can_upload,
        offers=link_offers(store, view.rows, store.settings.tz) if can_upload else [],
    )


def av_due_for(request: Request) -> list[UploadDue]:
    """The signed-in user's acts whose footage is overdue or due soon (home page warning)."""
    user = _user(request)
    if user is None:
        return []
    store = request.app.state.store
    return footage_warnings(store, user.actor, store.clock())


TEMPLATE_GLOBALS = {
    "clock": clock,
    "act_kinds": vocab.ACT_KINDS,
}
