"""Approval kinds: a registry of what one kind adds to the generic 承办人 → 审核人 → 批准人 flow.

Most kinds (立案, 法制审核, 结案 …) add nothing and get the plain ``ApprovalKind``. A kind that
belongs to another feature (a party's 查阅/复制申请 is opened by ``services/access``) registers
a subclass with ``@approval_kind``; ``PROVIDERS`` names the module that does, so the workflow
loads it when such an approval is decided without importing that feature (the registry is
data, the way profile rule types are: adding a kind is adding a class, not an if/elif).
"""

from __future__ import annotations

import importlib
from datetime import datetime
from typing import ClassVar

from liuhen.ledger.events import Actor
from liuhen.services.approvals.model import ApprovalState
from liuhen.store.store import Store
from liuhen.store.unit import Tx

PROVIDERS: dict[str, str] = {"access_request": "liuhen.services.access.approval_kind"}
"""Kind code → the module that registers its ``ApprovalKind`` subclass."""


class ApprovalKind:
    """The generic kind: opened through ``request_approval``, decided by anyone the case's
    profile admits, nothing to do after the decision."""

    code: ClassVar[str] = ""
    opened_elsewhere: ClassVar[str | None] = None
    """When set, ``request_approval`` refuses this kind with this message (field ``kind``)."""

    def check_decision(
        self,
        tx: Tx,
        state: ApprovalState,
        *,
        decision: str,
        position: str,
        final: bool,
        user_id: str | None,
        at: datetime,
    ) -> None:
        """Inside the decision's transaction, before the step is written: raise to refuse."""

    def with_decision(self, tx: Tx, actor: Actor, state: ApprovalState) -> None:
        """Inside the decision's transaction, once its step closed the approval (``state``
        as decided): what the kind writes with it (its events, a job to queue), so the
        decision never commits without them."""

    def after_decision(self, store: Store, actor: Actor, state: ApprovalState) -> None:
        """After the decision that closed the approval has committed."""

    def wanted_positions(self, store: Store, states: list[ApprovalState]) -> dict[str, list[str]]:
        """Approval id -> the capacities it must be granted in, for those of ``states`` (all
        of this kind) whose kind decides it; the others follow the case's rule. A list page
        asks once for all its approvals of a kind."""
        return {}


_KINDS: dict[str, ApprovalKind] = {}
_GENERIC = ApprovalKind()


def approval_kind(cls: type[ApprovalKind]) -> type[ApprovalKind]:
    """Class decorator: register one instance of ``cls`` under ``cls.code``."""
    _KINDS[cls.code] = cls()
    return cls


def kind_of(code: str) -> ApprovalKind:
    """The registered kind for ``code`` (loading its provider on first use), else generic."""
    if code not in _KINDS and code in PROVIDERS:
        importlib.import_module(PROVIDERS[code])
    return _KINDS.get(code, _GENERIC)
