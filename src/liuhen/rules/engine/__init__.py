"""The compliance engine: (case, profile, working days, now) -> findings. Pure: no I/O.

``evaluate`` lives here; beside it ``registry`` (rule types and the factory), ``context``
(what a rule sees), ``profile`` (the rules to run), ``calendar`` and ``periods`` (working
days and deadlines), ``refs`` (moments named in parameters). The rule types are in
``rules.checks``; files are read by ``rules.sources``. An import-linter contract keeps this
package and ``rules.checks`` free of I/O libraries and outer layers.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from liuhen.domain.case import Case
from liuhen.domain.finding import SEVERITIES, VIOLATION, Finding
from liuhen.errors import InvalidInput
from liuhen.rules.engine.calendar import WorkingDays
from liuhen.rules.engine.context import CheckContext
from liuhen.rules.engine.profile import Profile

_SEVERITY_ORDER = {s: i for i, s in enumerate(SEVERITIES)}
_ZONES: dict[str, ZoneInfo] = {}


def _zone(name: str) -> ZoneInfo:
    zone = _ZONES.get(name)
    if zone is None:
        zone = _ZONES[name] = ZoneInfo(name)
    return zone


def sort_key(f: Finding) -> tuple[int, int, str, str, str]:
    return (
        0 if f.status == VIOLATION else 1,
        _SEVERITY_ORDER.get(f.severity, 9),
        f.due.isoformat() if f.due else "",
        f.rule_id,
        f.subject.id,
    )


def evaluate(case: Case, profile: Profile, calendar: WorkingDays, now: datetime) -> list[Finding]:
    """Every finding of ``profile``'s rules on ``case`` as of ``now`` (timezone-aware).

    Violations first, then by severity and due time. A rule whose procedures do not include
    the case's procedure is skipped.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise InvalidInput("检查时间必须带时区（例如 2026-11-23T09:00:00+08:00）")
    ctx = CheckContext(case, calendar, now, _zone(profile.timezone))
    findings: list[Finding] = []
    for rule in profile.rules_for(case.procedure):
        findings.extend(rule.check(ctx))
    findings.sort(key=sort_key)
    return findings
