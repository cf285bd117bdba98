"""Drafts of an officer's act and document forms (weak connections on site): autosaved to
the server while the form is filled, restored when it is opened again, consumed by its
final save. A draft is not a record: it is nobody's but its writer's, never in the case file
and not on the ledger (``store/drafts.py``); only the saved act or document is."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from liuhen.domain.limits import bad_text
from liuhen.errors import InvalidInput
from liuhen.ledger.events import Actor
from liuhen.services.permissions import require_case
from liuhen.store.drafts import drop_draft, get_draft, put_draft
from liuhen.store.store import Store

KEY = re.compile(r"^[a-z_]{1,20}(:[A-Za-z0-9_-]{0,80}){0,2}$")
MAX_FIELDS = 400
MAX_CHARS = 200_000
"""All of a draft's values together (a form's text, not its files)."""
SKIPPED = {"csrf", "draft_key", "signature"}


@dataclass(frozen=True)
class Draft:
    fields: list[tuple[str, str]]
    revision: int
    saved_at: datetime


def _key(form_key: str) -> str:
    if not KEY.match(form_key):
        raise InvalidInput("form: 草稿所属的表单无效")
    return form_key


def _fields(raw: Any) -> list[tuple[str, str]]:
    """``[[name, value], …]`` as posted, checked: names and values are text, within size."""
    if not isinstance(raw, list) or len(raw) > MAX_FIELDS:
        raise InvalidInput(f"fields: 草稿应为不超过 {MAX_FIELDS} 项的“名称、内容”列表")
    out: list[tuple[str, str]] = []
    total = 0
    for n, pair in enumerate(raw):
        if not (
            isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)
        ):
            raise InvalidInput(f"fields[{n}]: 草稿的每一项应为“名称、内容”两段文字")
        name, value = pair
        if name in SKIPPED:
            continue
        if (bad := bad_text(name, 100) or bad_text(value)) is not None:
            raise InvalidInput(f"fields[{n}]: {bad}")
        total += len(value)
        out.append((name, value))
    if total > MAX_CHARS:
        raise InvalidInput(f"fields: 草稿内容过长（{total} 字，上限 {MAX_CHARS}）")
    return out


def save_draft(
    store: Store, actor: Actor, case: Mapping[str, Any], form_key: str, fields: Any
) -> Draft:
    """Keep ``fields`` as the writer's draft of form ``form_key`` of ``case``."""
    require_case(store, actor, "record.create", str(case["id"]), case)
    checked = _fields(fields)
    now = store.clock()
    revision = put_draft(store, str(actor.id), str(case["id"]), _key(form_key), checked, now)
    return Draft(checked, revision, now)


def load_draft(store: Store, actor: Actor, case: Mapping[str, Any], form_key: str) -> Draft | None:
    require_case(store, actor, "record.create", str(case["id"]), case)
    found = get_draft(store, str(actor.id), str(case["id"]), _key(form_key))
    if found is None:
        return None
    fields = [(str(k), str(v)) for k, v in found["fields"]]
    return Draft(fields, int(found["revision"]), found["at"])


def consume_draft(store: Store, actor: Actor, case_id: str, form_key: str) -> bool:
    """The form was saved for good: its draft goes (none, or an unknown key: nothing)."""
    if not form_key or not KEY.match(form_key) or actor.id is None:
        return False
    return drop_draft(store, str(actor.id), case_id, form_key)
