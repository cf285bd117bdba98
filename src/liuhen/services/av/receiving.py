"""Which agency receives footage brought in at the server (``liuhen import-av``).

Footage no case holds yet is scoped by its agency (``permissions.footage_facts``): the
agency of its registered device, else the agency that received it. A user receives for
their own agency; the server's operator names one (``--agency``), or the store has only
one. When nobody can tell, the import is refused before anything is read: footage that
belongs to no agency would be out of every custodian's reach.
"""

from __future__ import annotations

from liuhen.errors import InvalidInput, PermissionDenied
from liuhen.ledger.events import Actor
from liuhen.services.av.queries.agencies import agency_named, agency_names
from liuhen.services.permissions import ALL, scope_of
from liuhen.store.store import Store


def receiving_agency(store: Store, actor: Actor, named: str | None) -> str:
    """The id of the agency receiving an import by ``actor``: ``named`` (an id or name),
    else the actor's own, else the only agency there is; InvalidInput naming ``--agency``
    when none of these tells, PermissionDenied for another agency than the user's own."""
    if named:
        agency = agency_named(store, named)
        if agency is None:
            raise InvalidInput(f"--agency: 没有标识或名称为 {named} 的机关")
        mine = actor.agency_id
        if actor.id is not None and agency != mine and scope_of(actor, "av.upload") != ALL:
            raise PermissionDenied(
                f"--agency: {actor.label} 只能为本机关接收音像记录，不能代其他机关接收"
            )
        return agency
    if actor.agency_id:
        return actor.agency_id
    agencies = agency_names(store)
    if len(agencies) == 1:
        return next(iter(agencies))
    if not agencies:
        raise InvalidInput(
            "--agency: 系统中尚未登记任何机关，无法确定这些音像记录属于哪个机关："
            "请先登记本机关（如 liuhen import 导入本机关的案件数据包），再导入音像"
        )
    names = "、".join(agencies.values())
    raise InvalidInput(
        f"--agency: 系统中有 {len(agencies)} 个机关（{names}），无法确定这些音像记录属于哪个机关："
        "请用 --agency 指定接收的机关（标识或名称），或用 --user 指定接收人（按其所属机关）"
    )
