"""The 执法文书 form: its inputs generated from the documents catalogue, read back into the
case-bundle text_record form that ``add_record`` and ``correct_record`` store.

A kind the catalogue knows gets one input per field (label, type, required, hint) and is
checked with ``liuhen.documents.model.validate`` before it is saved; any other kind of
``vocab.DOCUMENT_KINDS`` gets a free "代码=内容" textarea. Signatures are rows of role,
name, officer, time — or a refusal with its reason and witness. An officer's signature must
name one of the agency's officers: anyone else is refused here, before the service is called.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from liuhen.documents.model import (
    DocumentKind,
    FieldSpec,
    FilledDocument,
    OfficerPresent,
    Signature,
)
from liuhen.domain import vocab
from liuhen.errors import LiuhenError
from liuhen.web.forms import CaseFacts, Field, Posted, amount, local_input, parse_local

SIGNATURE_ROWS_EXTRA = 2
FREE_FIELDS = Field(
    "free_fields",
    "记载事项",
    "multiline",
    hint="每行一项，写作“代码=内容”，如 reasons=当事人已改正",
)
_FIELD_TYPES = {"person": "text", "officers": "checkboxes", "flag": "checkbox"}
_TODAY_KEYS = ("issued_on", "decision_date")


@dataclass(frozen=True)
class DocumentForm:
    """How to draw and read the form of one document kind."""

    code: str
    title: str
    kind: DocumentKind | None
    fields: tuple[Field, ...]
    roles: tuple[tuple[str, str], ...]

    @property
    def numbered(self) -> bool:
        return bool(self.kind and self.kind.numbered)

    @property
    def certificates(self) -> bool:
        return bool(self.kind and self.kind.certificates)

    @property
    def sealed(self) -> bool:
        return bool(self.kind and self.kind.sealed)


def catalogue_kind(code: str) -> DocumentKind | None:
    """The catalogue's kind, or None (unknown kind, or a catalogue that does not load)."""
    try:
        from liuhen.documents.catalogue import get_kind

        return get_kind(code)
    except LiuhenError:
        return None


def document_form(code: str, facts: CaseFacts) -> DocumentForm:
    kind = catalogue_kind(code)
    title = vocab.DOCUMENT_KINDS.get(code, code)
    if kind is None:
        roles = tuple(vocab.SIGNATURE_ROLES.items())
        return DocumentForm(code, title, None, (FREE_FIELDS,), roles)
    names = tuple((o["name"], _officer_label(o)) for o in facts.officers)
    fields = tuple(_field(spec, names) for spec in kind.fields)
    roles = tuple((s.role, s.label) for s in kind.signatures if s.role in vocab.SIGNATURE_ROLES)
    extra = tuple((r, n) for r, n in vocab.SIGNATURE_ROLES.items() if r not in dict(roles))
    return DocumentForm(code, kind.title or title, kind, fields, roles + extra)


def _field(spec: FieldSpec, officer_names: tuple[tuple[str, str], ...]) -> Field:
    kind = _FIELD_TYPES.get(spec.type, spec.type)
    if spec.type == "choice":
        kind = "checkboxes" if spec.multiple else "select"
    hint = spec.hint.removeprefix("[T] ")
    if spec.citation:
        hint += ("；" if hint else "") + f"依据 {spec.citation}"
    return Field(
        name=f"f.{spec.key}",
        label=spec.label,
        type=kind,
        required=spec.required,
        options=officer_names if spec.type == "officers" else spec.options,
        hint=hint,
    )


def _officer_label(officer: dict[str, Any]) -> str:
    cert = officer.get("certificate_number")
    return f"{officer['name']}（执法证号 {cert}）" if cert else f"{officer['name']}（无执法证号）"


# -- initial values -----------------------------------------------------------------------


def blank_values(
    form: DocumentForm, facts: CaseFacts, act: dict[str, Any] | None, now: datetime, tz: ZoneInfo
) -> dict[str, Any]:
    """A new document's form, filled from what the case and the act already say."""
    crew = [o for o in facts.officers if act and o["id"] in act.get("officer_ids", [])]
    values: dict[str, Any] = {
        "title": form.title,
        "made_at": local_input(now, tz),
        "act_id": act["id"] if act else "",
        "officer_ids": [o["id"] for o in crew],
        "certificates_shown": _yes_no(act.get("certificates_shown") if act else None),
    }
    known = {
        "party_name": facts.party.get("name", ""),
        "party_address": facts.party.get("address", ""),
        "party_id_number": facts.party.get("id_number", ""),
        "party_legal_rep": facts.party.get("legal_representative", ""),
        "cause": facts.title,
        "agency_name": facts.agency.get("name", ""),
        "place": act.get("place", "") if act else "",
        "started_at": local_input(act.get("started_at"), tz) if act else "",
        "ended_at": local_input(act.get("ended_at"), tz) if act else "",
    }
    for spec in form.kind.fields if form.kind else ():
        value: Any = known.get(spec.key) or spec.default
        if spec.type == "officers":
            value = [o["name"] for o in crew]
        elif spec.key in _TODAY_KEYS:
            value = now.astimezone(tz).date().isoformat()
        values[f"f.{spec.key}"] = value
    rows: list[dict[str, Any]] = []
    for box in form.kind.signatures if form.kind else ():
        if box.role not in vocab.SIGNATURE_ROLES:
            continue
        if box.role == "officer" and crew:
            rows += [{"role": "officer", "name": o["name"], "officer_id": o["id"]} for o in crew]
        else:
            rows += [{"role": box.role} for _ in range(box.minimum)]
    values["signatures"] = rows + [{} for _ in range(SIGNATURE_ROWS_EXTRA)]
    return values


def stored_values(form: DocumentForm, details: dict[str, Any], tz: ZoneInfo) -> dict[str, Any]:
    """A stored document's form, for a correction (补正) that starts from the current text."""
    fields = details.get("fields", {})
    values: dict[str, Any] = {
        "title": details.get("title", form.title),
        "made_at": local_input(details.get("made_at"), tz),
        "number": details.get("number", ""),
        "act_id": details.get("act_id") or "",
        "officer_ids": list(details.get("officer_ids", [])),
        "certificates_shown": _yes_no(details.get("certificates_shown")),
        "sealed": bool(details.get("sealed")),
    }
    if form.kind is None:
        values["free_fields"] = "\n".join(f"{k}={_plain(v)}" for k, v in fields.items())
    for spec in form.kind.fields if form.kind else ():
        value = fields.get(spec.key, "")
        if spec.type == "datetime":
            value = local_input(value, tz)
        elif spec.type == "flag":
            value = value is True
        elif spec.type == "money" and value != "":
            value = str(value)
        values[f"f.{spec.key}"] = value
    rows = [
        {**s, "signed_at": local_input(s.get("signed_at"), tz)}
        for s in details.get("signatures", [])
        if not s.get("image_sha256")  # signed on the screen: signed again after the change
    ]
    rows += [{**r, "refused": True} for r in details.get("refusals", [])]
    values["signatures"] = rows + [{} for _ in range(SIGNATURE_ROWS_EXTRA)]
    values["sign_on_screen"] = len(rows) < len(details.get("signatures", [])) + len(
        details.get("refusals", [])
    )
    return values


def _yes_no(value: object) -> str:
    return {True: "yes", False: "no"}.get(value, "") if isinstance(value, bool) else ""


def _plain(value: object) -> str:
    return "、".join(map(str, value)) if isinstance(value, list) else str(value)


# -- reading the posted form --------------------------------------------------------------


@dataclass(frozen=True)
class ReadDocument:
    """A posted document: the filled document (catalogue kinds, for ``save_document``) or
    the bundle-form details (other kinds, for ``add_record``), and the values to redraw."""

    made_at: datetime | None
    act_id: str | None
    filled: FilledDocument | None
    details: dict[str, Any]
    values: dict[str, Any]


def read_document(posted: Posted, form: DocumentForm, facts: CaseFacts) -> ReadDocument:
    """Problems of the input — unreadable, not in the agency, short of what the catalogue
    requires — are added to ``posted.problems``, each keyed by the input it concerns."""
    made_at = posted.moment("made_at", "制作时间")
    officer_ids = posted.texts("officer_ids")
    for oid in officer_ids:
        if facts.officer(oid) is None:
            posted.problems.append("officer_ids: 所选执法人员不属于本机关，请从名单中选择")
    shown = {"yes": True, "no": False}.get(posted.text("certificates_shown"))
    fields = _read_fields(posted, form)
    signatures, refusals, filled_signatures = _read_signatures(posted, form, facts)
    details: dict[str, Any] = {
        **({"made_at": made_at.isoformat()} if made_at else {}),
        "title": posted.text("title") or form.title,
        **({"number": posted.text("number")} if posted.text("number") else {}),
        "officer_ids": officer_ids,
        **({"certificates_shown": shown} if shown is not None else {}),
        "fields": fields,
        "signatures": signatures,
        "refusals": refusals,
        **({"sealed": True} if posted.flag("sealed") else {}),
    }
    for key in ("started_at", "ended_at"):
        moment = parse_local(str(fields.get(key, "")), posted.tz) if fields.get(key) else None
        if moment is not None:
            details[key] = moment.isoformat()
    filled = None
    if form.kind is not None:
        filled = FilledDocument(
            kind=form.code,
            number=posted.text("number"),
            agency=str(facts.agency.get("name", "")),
            values=fields,
            signatures=tuple(filled_signatures),
            officers=tuple(
                OfficerPresent(o["name"], o.get("certificate_number") or "")
                for o in (facts.officer(i) for i in officer_ids)
                if o is not None
            ),
            certificates_shown=shown,
            sealed=posted.flag("sealed"),
        )
        later = posted.flag("sign_on_screen")
        posted.problems += _catalogue_problems(filled, form.kind, later)
    values = {
        **{k: posted.form.getlist(k) for k in ("officer_ids",)},
        **{k: posted.text(k) for k in ("title", "made_at", "number", "act_id")},
        "certificates_shown": posted.text("certificates_shown"),
        "sealed": posted.flag("sealed"),
        "sign_on_screen": posted.flag("sign_on_screen"),
        "free_fields": posted.text("free_fields"),
        **{
            f.name: posted.texts(f.name)
            if f.type == "checkboxes"
            else (posted.flag(f.name) if f.type == "checkbox" else posted.text(f.name))
            for f in form.fields
        },
        "signatures": _posted_rows(posted) + [{} for _ in range(SIGNATURE_ROWS_EXTRA)],
    }
    return ReadDocument(made_at, posted.text("act_id") or None, filled, details, values)


def _read_fields(posted: Posted, form: DocumentForm) -> dict[str, Any]:
    if form.kind is None:
        out: dict[str, Any] = {}
        for n, line in enumerate(posted.text("free_fields").splitlines(), start=1):
            if not line.strip():
                continue
            key, sep, text = line.partition("=")
            if not sep or not key.strip():
                posted.problems.append(f"free_fields: 第{n}行应写作“代码=内容”")
                continue
            out[key.strip()] = text.strip()
        return out
    fields: dict[str, Any] = {}
    for spec in form.kind.fields:
        name = f"f.{spec.key}"
        value: Any
        if spec.type == "officers" or (spec.type == "choice" and spec.multiple):
            value = posted.texts(name)
        elif spec.type == "flag":
            value = True if posted.flag(name) else None
        elif spec.type == "datetime":
            moment = parse_local(posted.text(name), posted.tz) if posted.text(name) else None
            value = moment.isoformat() if moment else posted.text(name)
        elif spec.type == "money":
            value = amount(posted.text(name))
        else:
            value = posted.text(name)
        if value not in ("", None, []):
            fields[spec.key] = value
    return fields


def _posted_rows(posted: Posted) -> list[dict[str, Any]]:
    rows = []
    n = 0
    while f"sig-{n}-role" in posted.form:
        p = f"sig-{n}-"
        rows.append(
            {
                "role": posted.text(p + "role"),
                "name": posted.text(p + "name"),
                "officer_id": posted.text(p + "officer"),
                "signed_at": posted.text(p + "at"),
                "refused": posted.flag(p + "refused"),
                "reason": posted.text(p + "reason"),
                "witness": posted.text(p + "witness"),
            }
        )
        n += 1
    return [r for r in rows if r["name"] or r["officer_id"] or r["refused"]]


def _read_signatures(
    posted: Posted, form: DocumentForm, facts: CaseFacts
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Signature]]:
    signatures: list[dict[str, Any]] = []
    refusals: list[dict[str, Any]] = []
    filled: list[Signature] = []
    for n, row in enumerate(_posted_rows(posted), start=1):
        role, name = row["role"], row["name"]
        if role not in dict(form.roles):
            posted.problems.append(f"signatures: 第{n}行的签名角色无效")
            continue
        if role == "officer" and not row["refused"]:
            officer = facts.officer(row["officer_id"]) if row["officer_id"] else None
            officer = officer or next((o for o in facts.officers if o["name"] == name), None)
            if officer is None or (name and name != officer["name"]):
                who = name or row["officer_id"]
                posted.problems.append(
                    f"signatures: 第{n}行的签名人「{who}」不是本机关的执法人员，"
                    "执法人员签名须从本机关执法人员名单中选择"
                )
                continue
            row["name"], row["officer_id"] = officer["name"], officer["id"]
        if not row["name"]:
            posted.problems.append(f"signatures: 第{n}行缺少签名人姓名")
            continue
        if row["refused"]:
            if form.kind is None and not row["reason"]:
                posted.problems.append(f"signatures: {name}拒绝签名，但未写明拒签事由")
            refusals.append(
                {"role": role, "name": name, "reason": row["reason"], "witness": row["witness"]}
            )
            filled.append(Signature(role, name, None, True, row["reason"], row["witness"]))
            continue
        signed_at = None
        if row["signed_at"]:
            signed_at = parse_local(row["signed_at"], posted.tz)
            if signed_at is None:
                posted.problems.append(f"signatures: 第{n}行的签名时间无效")
        signatures.append(
            {
                "role": role,
                "name": row["name"],
                **({"officer_id": row["officer_id"]} if role == "officer" else {}),
                **({"signed_at": signed_at.isoformat()} if signed_at else {}),
            }
        )
        filled.append(Signature(role, row["name"], signed_at))
    return signatures, refusals, filled


def _catalogue_problems(filled: FilledDocument, kind: DocumentKind, later: bool) -> list[str]:
    """The catalogue's checks (``save_document`` runs them again), run here so that every
    problem of the form is shown at once, keyed by this form's inputs (``later``: the empty
    signature boxes are signed on the screen once it is saved)."""
    from liuhen.documents.model import validate_against

    out = []
    for problem in validate_against(filled, kind, signing_on_screen=later):
        key, _, text = problem.partition(": ")
        out.append(f"{input_key(kind, key)}: {text}")
    return out


def input_key(kind: DocumentKind | None, key: str) -> str:
    """The form input a catalogue problem key (``findings``, ``signature.party`` …) is about."""
    if key.startswith("signature."):
        return "signatures"
    if key == "officers":
        return "officer_ids"
    if kind is not None and kind.has_field(key):
        return f"f.{key}"
    return key
