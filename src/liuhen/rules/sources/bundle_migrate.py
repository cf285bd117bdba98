"""Version-1 case bundles as version 2 (docs/bundle.md, "第1版案件包").

Version 2 moved four facts that version 1 kept on single records into entities of their own:

- ``acts[].remote``/``returned_at`` and ``services[].remote``/``returned_at`` → ``trips``
  (one trip per such act or service, ``trip_id`` on it; its departure is not known);
- ``services[].consent_at`` → the principal party's ``electronic_service.consented_at``
  (the earliest given);
- ``case.application.corrected_on_spot`` → ``case.application.corrections`` (one correction,
  pointing at the bundle's first ``correction_record`` when there is one).

``upgrade`` is pure and idempotent: it also brings rows stored before version 2 (the store
keeps each entity's bundle form) into the current shape when a case is read back. Anything
not shaped as version 1 wrote it is left for the schema to report.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

CURRENT = 2
_TRIP_NOTE = "由第1版案件包的连续工作、异地或边远地区执法标记转换"


def upgrade(data: Any, *, stored: bool = False) -> Any:
    """``data`` in the current version's shape (a new dict; ``data`` is not changed).
    Not a mapping, another format, or a version other than 1 (or, with ``stored``, a bundle
    assembled from rows that may predate version 2): returned as it is, so a version-2 file
    holding a version-1 field is refused by the schema, naming the field."""
    if not isinstance(data, Mapping) or data.get("version") not in (1, CURRENT):
        return data
    if data.get("version") == CURRENT and not (stored and _has_version_1_fields(data)):
        return data  # as it is (a case page reads its stored bundle on every request)
    out = copy.deepcopy(dict(data))
    out["version"] = CURRENT
    trips = out.get("trips")
    trips = list(trips) if isinstance(trips, list) else []
    for key in ("acts", "services"):
        for item in _dicts(out.get(key)):
            trip = _trip_of(item, "T-" + str(item.get("id", len(trips) + 1)))
            if trip is not None:
                trips.append(trip)
                item["trip_id"] = trip["id"]
    if trips:
        out["trips"] = trips
    _move_consent(out)
    _move_corrections(out)
    return out


def _has_version_1_fields(data: Mapping[str, Any]) -> bool:
    for key, names in (("acts", ("remote", "returned_at")),
                       ("services", ("remote", "returned_at", "consent_at"))):  # fmt: skip
        if any(n in item for item in _dicts(data.get(key)) for n in names):
            return True
    case = data.get("case")
    app = case.get("application") if isinstance(case, Mapping) else None
    return isinstance(app, Mapping) and "corrected_on_spot" in app


def _dicts(items: Any) -> list[dict[str, Any]]:
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _trip_of(item: dict[str, Any], trip_id: str) -> dict[str, Any] | None:
    """The trip of a version-1 act or service marked ``remote`` (its marks removed). A mark
    not as version 1 wrote it (not true/false) stays, for the schema to name."""
    if not isinstance(item.get("remote", False), bool):
        return None
    remote = item.pop("remote", False)
    returned = item.pop("returned_at", None)
    if not remote:
        return None
    trip: dict[str, Any] = {"id": trip_id, "note": _TRIP_NOTE}
    if returned is not None:
        trip["returned_at"] = returned
    if isinstance(item.get("officer_ids"), list):
        trip["officer_ids"] = list(item["officer_ids"])
    if isinstance(item.get("place"), str) and item["place"]:
        trip["place"] = item["place"]
    return trip


def _move_consent(out: dict[str, Any]) -> None:
    services = _dicts(out.get("services"))
    consents = [s.pop("consent_at") for s in services if _time_or_none(s, "consent_at")]
    party = out.get("party")
    given = sorted(c for c in consents if isinstance(c, str))
    if given and isinstance(party, dict) and "electronic_service" not in party:
        party["electronic_service"] = {"consented_at": given[0]}


def _time_or_none(item: Mapping[str, Any], key: str) -> bool:
    return key in item and (item[key] is None or isinstance(item[key], str))


def _move_corrections(out: dict[str, Any]) -> None:
    case = out.get("case")
    app = case.get("application") if isinstance(case, dict) else None
    if not isinstance(app, dict) or not isinstance(app.get("corrected_on_spot"), bool):
        return
    if app.pop("corrected_on_spot") is not True or app.get("corrections"):
        return
    record = next(
        (
            r.get("id")
            for r in _dicts(out.get("text_records"))
            if r.get("kind") == "correction_record"
        ),
        None,
    )
    app["corrections"] = [{"record_id": record} if isinstance(record, str) else {}]
