"""账户管理: the accounts an administrator may manage (``user.manage``, scoped by the
service), and for each one a confirmation page and its POST: disable, enable, reset the
password, reset the second factor, change the roles (``services/admin/accounts.py``).

A change is made only from its confirmation page: the form carries the account's version as
the page showed it (``seen``), so a change another administrator made in between is refused
instead of overwritten. Destructive changes need a reason, which goes on the ledger."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from liuhen.errors import InvalidInput, LiuhenError, NotFound, PermissionDenied
from liuhen.ledger.events import Actor
from liuhen.services.admin.accounts import (
    Account,
    change_roles,
    disable_account,
    enable_account,
    get_account,
    list_accounts,
    reset_password,
    reset_totp,
)
from liuhen.services.admin.users import User
from liuhen.services.permissions import ALL, ROLES, scope_of
from liuhen.store.store import Store
from liuhen.web.auth.permission import check_csrf, get_store, permission
from liuhen.web.forms import FormErrors, Posted, posted_form
from liuhen.web.paging import PAGE_SIZE, paged, requested

router = APIRouter(include_in_schema=False)
Manager = Annotated[User, Depends(permission("user.manage"))]
Posted_ = Annotated[FormData, Depends(posted_form)]
Apply = Callable[[Store, Actor, str, Posted, str], None]


@dataclass(frozen=True)
class Change:
    """One change an administrator can make to an account, as its page presents it."""

    title: str
    submit: str
    intro: str
    done: str
    reason_required: bool = True
    password: bool = False
    roles: bool = False


CHANGES: dict[str, Change] = {
    "disable": Change(
        "停用账户",
        "确认停用",
        "停用后该账户不能登录，已登录的会话立即退出；账户及其经手的全部记录保留不变，可随时重新启用。",
        "账户已停用，其登录已全部退出。",
    ),
    "enable": Change(
        "启用账户",
        "确认启用",
        "启用后该账户可用原有密码（及已绑定的验证器）重新登录。",
        "账户已启用。",
        reason_required=False,
    ),
    "password": Change(
        "重置密码",
        "确认重置",
        "设置一个临时密码，当面或以其他可靠方式告知本人。该账户已登录的会话立即退出；"
        "本人下次登录输入临时密码后，须先设置自己的新密码才能继续使用。",
        "密码已重置为临时密码；本人下次登录时须设置新密码。",
        password=True,
    ),
    "totp": Change(
        "重置动态验证码",
        "确认重置",
        "用于验证器丢失或更换手机：原验证器立即作废，该账户已登录的会话立即退出；"
        "本人下次登录输入密码后，须重新扫码绑定验证器。",
        "动态验证码已重置；本人下次登录时重新绑定验证器。",
    ),
    "roles": Change(
        "修改角色",
        "确认修改",
        "角色决定该账户能做什么（见“角色与权限”）。新增系统管理员、机关负责人或档案/音像管理员角色的，"
        "该账户已登录的会话立即退出，下次登录须使用动态验证码。",
        "角色已修改。",
        roles=True,
    ),
}


def _disable(store: Store, actor: Actor, user_id: str, form: Posted, seen: str) -> None:
    disable_account(store, actor, user_id, reason=form.text("reason"), seen=seen)


def _enable(store: Store, actor: Actor, user_id: str, form: Posted, seen: str) -> None:
    enable_account(store, actor, user_id, reason=form.text("reason"), seen=seen)


def _password(store: Store, actor: Actor, user_id: str, form: Posted, seen: str) -> None:
    password, again = form.form.get("password", ""), form.form.get("again", "")
    reset_password(
        store, actor, user_id, reason=form.text("reason"), seen=seen,
        password=password if isinstance(password, str) else "",
        again=again if isinstance(again, str) else "",
    )  # fmt: skip


def _totp(store: Store, actor: Actor, user_id: str, form: Posted, seen: str) -> None:
    reset_totp(store, actor, user_id, reason=form.text("reason"), seen=seen)


def _roles(store: Store, actor: Actor, user_id: str, form: Posted, seen: str) -> None:
    change_roles(
        store, actor, user_id, roles=form.texts("roles"), reason=form.text("reason"), seen=seen
    )


APPLY: dict[str, Apply] = {
    "disable": _disable,
    "enable": _enable,
    "password": _password,
    "totp": _totp,
    "roles": _roles,
}


@router.get("/users")
def accounts_page(request: Request, user: Manager) -> Response:
    from liuhen.web.pages import render

    number = requested(request)
    accounts, total = list_accounts(get_store(request), user.actor, page=number, size=PAGE_SIZE)
    return render(
        request,
        "users.html",
        {
            "active": "users",
            "page": paged(request, accounts, number, total),
            "every_agency": scope_of(user.actor, "user.manage") == ALL,
            "me": user.id,
            "done": CHANGES[key].done
            if (key := request.query_params.get("done")) in CHANGES
            else "",
        },
    )


def _page(
    request: Request,
    user: User,
    account: Account,
    key: str,
    *,
    errors: FormErrors | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    from liuhen.web.pages import render

    return render(
        request,
        "user_change.html",
        {
            "active": "users",
            "account": account,
            "key": key,
            "change": CHANGES[key],
            "role_options": list(ROLES.items()),
            "values": values or {"roles": list(account.roles), "reason": ""},
            "errors": errors,
            "own": account.id == user.id,
        },
        status_code=errors.status if errors else 200,
    )


def _confirm(request: Request, user: User, user_id: str, key: str) -> Response:
    return _page(request, user, get_account(get_store(request), user.actor, user_id), key)


def _apply(request: Request, user: User, user_id: str, key: str, posted: FormData) -> Response:
    """Make the change ``key``; a refusal re-renders its page with the account as it now is
    and the message beside the field (nothing changed)."""
    check_csrf(request, str(posted.get("csrf", "")))
    store = get_store(request)
    account = get_account(store, user.actor, user_id)
    form = Posted(posted, store.settings.tz)
    try:
        seen = form.text("seen")
        if not seen:
            raise InvalidInput("确认页已过期或不完整：请从账户管理重新打开本页后再提交")
        APPLY[key](store, user.actor, user_id, form, seen)
    except (PermissionDenied, NotFound):
        raise
    except LiuhenError as exc:
        errors = FormErrors.of(exc, ("reason", "password", "again", "roles"))
        values = {"roles": form.texts("roles"), "reason": form.text("reason")}
        return _page(request, user, account, key, errors=errors, values=values)
    return RedirectResponse(f"/users?done={key}#user-{user_id}", status_code=303)


@router.get("/users/{user_id}/disable")
def disable_page(request: Request, user_id: str, user: Manager) -> Response:
    return _confirm(request, user, user_id, "disable")


@router.post("/users/{user_id}/disable")
def disable(request: Request, user_id: str, user: Manager, posted: Posted_) -> Response:
    return _apply(request, user, user_id, "disable", posted)


@router.get("/users/{user_id}/enable")
def enable_page(request: Request, user_id: str, user: Manager) -> Response:
    return _confirm(request, user, user_id, "enable")


@router.post("/users/{user_id}/enable")
def enable(request: Request, user_id: str, user: Manager, posted: Posted_) -> Response:
    return _apply(request, user, user_id, "enable", posted)


@router.get("/users/{user_id}/password")
def password_page(request: Request, user_id: str, user: Manager) -> Response:
    return _confirm(request, user, user_id, "password")


@router.post("/users/{user_id}/password")
def password(request: Request, user_id: str, user: Manager, posted: Posted_) -> Response:
    return _apply(request, user, user_id, "password", posted)


@router.get("/users/{user_id}/totp")
def totp_page(request: Request, user_id: str, user: Manager) -> Response:
    return _confirm(request, user, user_id, "totp")


@router.post("/users/{user_id}/totp")
def totp(request: Request, user_id: str, user: Manager, posted: Posted_) -> Response:
    return _apply(request, user, user_id, "totp", posted)


@router.get("/users/{user_id}/roles")
def roles_page(request: Request, user_id: str, user: Manager) -> Response:
    return _confirm(request, user, user_id, "roles")


@router.post("/users/{user_id}/roles")
def roles(request: Request, user_id: str, user: Manager, posted: Posted_) -> Response:
    return _apply(request, user, user_id, "roles", posted)
