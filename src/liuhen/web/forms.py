"""What every lifecycle form shares: the posted form read into typed values, a service's
error turned into messages beside the fields, local times in and out, and the case facts
(officers, acts, documents) a form offers to choose from.

A form handler reads the posted values with ``Posted`` (which collects "key: 说明" problems
for input it cannot parse), calls one service, and on any ``LiuhenError`` re-renders the
form with ``FormErrors``: the message on top, each detail beside its field. Nothing is saved
then, because the service raised before or inside its one transaction.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from liuhen.errors import InvalidInput, LiuhenError
from liuhen.services.cases.facts import CaseFacts as CaseFacts  # re-exported for forms
from liuhen.services.cases.facts import case_facts as case_facts

_PATH_PREFIX = re.compile(r"^\$\.[a-z_]+(\[\d*\])?\.?")
_KEYED = re.compile(r"^[A-Za-z0-9_.$\[\]]+: ")
LOCAL_INPUT = "%Y-%m-%dT%H:%M"


async def posted_form(request: Request) -> FormData:
    """A dependency: the posted form, read once (sync handlers cannot await it)."""
    return await request.form()


@dataclass
class FormErrors:
    """A refused form: the headline, messages by field key, and those no field claims."""

    message: str = ""
    fields: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    status: int = 400

    @classmethod
    def of(
        cls,
        exc: LiuhenError,
        known: Iterable[str] = (),
        rename: Callable[[str], str] = lambda key: key,
    ) -> FormErrors:
        """``known`` are the form's input names; ``rename`` maps a service's key to one."""
        known_keys = set(known)
        errors = cls(message=exc.message, status=exc.http_status)
        lines = list(exc.details)
        if not lines and _KEYED.match(exc.message):
            lines, errors.message = [exc.message], "请改正下列问题"
        for line in lines:
            key, _, text = line.partition(": ")
            key = rename(_normalise(key))
            if text and key in known_keys:
                errors.fields.setdefault(key, []).append(text)
            elif text and key.split(".")[0] in known_keys:
                errors.fields.setdefault(key.split(".")[0], []).append(text)
            else:
                errors.general.append(line)
        return errors

    def get(self, key: str) -> list[str]:
        return self.fields.get(key, [])


def _normalise(key: str) -> str:
    """``$.services[].lien.witness`` → ``lien.witness``; ``fields.rights`` → ``rights``."""
    key = _PATH_PREFIX.sub("", key.strip())
    return key.removeprefix("fields.")


@dataclass(frozen=True)
class Field:
    """One input of a form, as the ``field`` macro of ``_forms.html`` draws it.

    Types: text, multiline, date, datetime, money, select, radio, checkbox, checkboxes."""

    name: str
    label: str
    type: str = "text"
    required: bool = False
    options: tuple[tuple[str, str], ...] = ()
    hint: str = ""


Section = tuple[str, list[Field]]


class Posted:
    """Typed reading of a posted form; unreadable input becomes a "key: 说明" problem."""

    def __init__(self, form: FormData, tz: ZoneInfo) -> None:
        self.form = form
        self.tz = tz
        self.problems: list[str] = []

    def text(self, name: str) -> str:
        value = self.form.get(name, "")
        return value.strip() if isinstance(value, str) else ""

    def texts(self, name: str) -> list[str]:
        return [v.strip() for v in self.form.getlist(name) if isinstance(v, str) and v.strip()]

    def flag(self, name: str) -> bool:
        return self.text(name) in ("1", "true", "on", "yes")

    def required(self, name: str, label: str) -> str:
        value = self.text(name)
        if not value:
            self.problems.append(f"{name}: 请填写「{label}」")
        return value

    def moment(self, name: str, label: str, *, required: bool = True) -> datetime | None:
        raw = self.text(name)
        if not raw:
            if required:
                self.problems.append(f"{name}: 请填写「{label}」")
            return None
        parsed = parse_local(raw, self.tz)
        if parsed is None:
            self.problems.append(f"{name}: 「{label}」不是有效的日期和时间（如 2026-09-14 09:30）")
        return parsed

    def day(self, name: str, label: str, *, required: bool = False) -> str:
        raw = self.text(name)
        if not raw:
            if required:
                self.problems.append(f"{name}: 请填写「{label}」")
            return ""
        try:
            return date.fromisoformat(raw).isoformat()
        except ValueError:
            self.problems.append(f"{name}: 「{label}」不是有效的日期（如 2026-09-14）")
            return ""

    def also(self, problems: Iterable[str]) -> None:
        """Add a service's "key: 说明" problems about fields the form has not named yet."""
        named = {p.split(":", 1)[0] for p in self.problems}
        self.problems += [p for p in problems if p.split(":", 1)[0] not in named]

    def check(self, headline: str, sections: list[Section] | None = None) -> None:
        """Raise the problems found so far (and every required input of ``sections`` left
        empty), all at once, before any service is called."""
        for _legend, fields in sections or []:
            for f in fields:
                if f.required and f.type != "checkbox" and not self.texts(f.name):
                    self._missing(f)
        if self.problems:
            raise InvalidInput(headline, details=self.problems)

    def _missing(self, f: Field) -> None:
        if any(p.startswith(f"{f.name}: ") for p in self.problems):
            return
        verb = "请选择" if f.type in ("select", "radio", "checkboxes") else "请填写"
        self.problems.append(f"{f.name}: {verb}「{f.label}」")


def parse_local(raw: str, tz: ZoneInfo) -> datetime | None:
    """A browser's ``datetime-local`` value (or an ISO time) as an aware datetime."""
    try:
        moment = datetime.fromisoformat(raw.strip().replace(" ", "T", 1))
    except ValueError:
        return None
    return moment.replace(tzinfo=tz) if moment.tzinfo is None else moment.astimezone(tz)


def amount(raw: str) -> int | str:
    """A whole amount as a number (ledger JSON holds no floats), anything else as typed,
    for the document's own check to judge."""
    try:
        value = Decimal(raw.replace(",", "").strip())
    except InvalidOperation:
        return raw
    if value.is_finite() and value == value.to_integral_value():
        return int(value)
    return raw


def local_input(moment: datetime | str | None, tz: ZoneInfo) -> str:
    """The value a ``datetime-local`` input shows for ``moment``."""
    if not moment:
        return ""
    if isinstance(moment, str):
        parsed = parse_local(moment, tz)
        if parsed is None:
            return moment
        moment = parsed
    return moment.astimezone(tz).strftime(LOCAL_INPUT)


def posted_values(posted: Posted, sections: list[Section]) -> dict[str, Any]:
    """What the user sent, to redraw the form with after a refusal."""
    values: dict[str, Any] = {}
    for _legend, fields in sections:
        for f in fields:
            if f.type == "checkboxes":
                values[f.name] = posted.texts(f.name)
            elif f.type == "checkbox":
                values[f.name] = posted.flag(f.name)
            else:
                values[f.name] = posted.text(f.name)
    return values


def known_names(sections: list[Section]) -> list[str]:
    return [f.name for _legend, fields in sections for f in fields]


def step_page(
    request: Request,
    *,
    heading: str,
    action: str,
    sections: list[Section],
    values: dict[str, Any],
    facts: CaseFacts | None = None,
    errors: FormErrors | None = None,
    chooser: dict[str, Any] | None = None,
    submit: str = "保存",
    intro: str = "",
    notice: dict[str, Any] | None = None,
    draft: str = "",
) -> Response:
    """One lifecycle form page: sections of fields, the refusal on top, messages beside.
    ``notice``: a titled list shown above the form (``title``, ``lines``); ``draft``: the
    form's key when it is autosaved as a draft (``web/cases/drafts.py``)."""
    from liuhen.web.pages import render

    return render(
        request,
        "step_form.html",
        {
            "facts": facts,
            "heading": heading,
            "action": action,
            "sections": sections,
            "values": values,
            "errors": errors,
            "chooser": chooser,
            "submit": submit,
            "intro": intro,
            "notice": notice,
            "draft": draft,
        },
        status_code=errors.status if errors else 200,
    )


def officer_options(facts: CaseFacts) -> tuple[tuple[str, str], ...]:
    return tuple(
        (o["id"], f"{o['name']}（执法证号 {o.get('certificate_number') or '无'}）")
        for o in facts.officers
    )
