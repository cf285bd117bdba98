"""Linking footage no case holds to its case (关联案件) from the web, so it never stays a dead
end: the case page offers the unlinked footage recorded in the time of one of its acts by
the same device (one the case's footage already came from) or by an officer on that act;
the unlinked-footage page links any of it to a case named by its number. The link itself
is ``versions.link_av`` (a new version, ``av.linked`` on the ledger)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from liuhen.domain import vocab
from liuhen.errors import InvalidInput, NotFound
from liuhen.ledger.events import Actor
from liuhen.media.continuity import segments_from
from liuhen.media.naming import FUTURE_SLACK
from liuhen.services.av.queries.views import unlinked_av_rows
from liuhen.services.av.versions import link_av
from liuhen.services.cases.queries.case_rows import CaseRows
from liuhen.services.cases.queries.cases import case_id_of
from liuhen.store.store import Store

WINDOW = timedelta(hours=2)
"""Footage recorded this long before an act starts or after it ends is still offered for it
(a camera switched on on the way, a clock a little off)."""


@dataclass(frozen=True)
class LinkOffer:
    """Unlinked footage that looks like this case's: the act it overlaps and why."""

    record_id: str
    title: str
    started_at: datetime
    ended_at: datetime
    segments: int
    act_id: str
    act_label: str
    why: str


def _window(item: Mapping[str, Any]) -> tuple[datetime, datetime] | None:
    segments = segments_from(item)
    if not segments:
        return None
    return min(s.start for s in segments), max(s.end for s in segments)


def link_offers(store: Store, rows: CaseRows, tz: Any) -> list[LinkOffer]:
    """The footage no case holds that was recorded within ``WINDOW`` of one of the case's
    acts by a device its footage came from or by an officer on that act, each with the act
    it overlaps most (one query: the unlinked footage stored since the first act's window
    opened, as footage is stored after its recording ends, give or take a device clock
    ``FUTURE_SLACK`` fast (``media``: a later time is not believed): a county's backlog is
    not read on every case page; the case's rows are given)."""
    every = rows.enforcement_acts()
    superseded = {a["supersedes_id"] for a in every if a["supersedes_id"]}
    acts = [a for a in every if a["id"] not in superseded]
    if not acts:
        return []
    devices = {
        str(r["details"].get("device_id"))
        for r in rows.latest_records()
        if r["kind"] == "av" and r["details"].get("device_id")
    }
    offers = []
    since = min(a["started_at"] for a in acts) - WINDOW - FUTURE_SLACK
    for item in unlinked_av_rows(store, since):
        window = _window(item["details"])
        if window is None:
            continue
        best = _best_act(acts, window, item["details"], devices)
        if best is None:
            continue
        act, why = best
        when = act["started_at"].astimezone(tz).strftime("%m月%d日 %H:%M")
        offers.append(
            LinkOffer(
                record_id=item["id"],
                title=item["title"],
                started_at=window[0],
                ended_at=window[1],
                segments=len(item["details"].get("segments", [])),
                act_id=act["id"],
                act_label=f"{vocab.ACT_KINDS.get(act['kind'], act['kind'])}（{when}）",
                why=why,
            )
        )
    offers.sort(key=lambda o: o.started_at)
    return offers


def _best_act(
    acts: Sequence[Mapping[str, Any]],
    window: tuple[datetime, datetime],
    details: Mapping[str, Any],
    devices: set[str],
) -> tuple[Mapping[str, Any], str] | None:
    """The act the footage overlaps most (within ``WINDOW``) whose officers or devices it
    shares, and why it is offered; None when no act matches."""
    start, end = window
    found: list[tuple[timedelta, Mapping[str, Any], str]] = []
    for act in acts:
        act_end = act["ended_at"] or act["started_at"]
        if start > act_end + WINDOW or end < act["started_at"] - WINDOW:
            continue
        same_device = str(details.get("device_id", "")) in devices
        same_officer = str(details.get("officer_id", "")) in (act["officer_ids"] or ())
        if not (same_device or same_officer):
            continue
        overlap = min(end, act_end) - max(start, act["started_at"])
        why = "同一设备" if same_device else "同一执法人员"
        found.append((overlap, act, f"{why}，录制时间与该执法环节重合或相近"))
    if not found:
        return None
    _, act, why = max(found, key=lambda f: f[0])
    return act, why


def link_footage(
    store: Store,
    actor: Actor,
    record_id: str,
    *,
    case_ref: str,
    act_id: str | None = None,
    case: Mapping[str, Any] | None = None,
) -> tuple[str, str]:
    """Link footage to the case ``case_ref`` (its number or id, as typed) and optionally one
    of its acts: (the new version's id, the case id). ``InvalidInput`` names the field."""
    ref = case_ref.strip()
    if not ref:
        raise InvalidInput("case: 请填写要关联的案件编号")
    case_id = case["id"] if case is not None else case_id_of(store, ref)
    if case_id is None:
        raise InvalidInput(f"case: 没有编号为 {ref} 的案件，请核对案件编号")
    try:
        new = link_av(store, actor, record_id, case_id=case_id, act_id=act_id or None, case=case)
    except NotFound as exc:
        if "act" in exc.message:
            raise InvalidInput(f"act: {exc.message.partition(': ')[2]}") from exc
        raise
    return new, case_id
