"""How often one may ask: an account's API calls and one address's sign-ins per minute,
counted by the database (``store/rate_limits.py``) so that every node of a cluster shares
the same count. A refusal is ``RateLimited`` (HTTP 429 with Retry-After), nothing else
happens for that request; the per-account lockout after failed sign-ins is apart
(``store/throttle.py``)."""

from __future__ import annotations

from liuhen.errors import RateLimited
from liuhen.store.rate_limits import count_hit
from liuhen.store.store import Store

MINUTE = 60


def limit_api(store: Store, user_id: str) -> None:
    """Count one API call of the account; RateLimited past ``api_rate_per_minute``."""
    _limit(store, f"api:{user_id}", store.settings.api_rate_per_minute, "接口调用")


def limit_signin(store: Store, address: str) -> None:
    """Count one sign-in attempt (a password or a code) from ``address``; RateLimited past
    ``signin_rate_per_minute``."""
    _limit(store, f"signin:{address}", store.settings.signin_rate_per_minute, "登录尝试")


def _limit(store: Store, subject: str, limit: int, what: str) -> None:
    if limit <= 0:
        return
    hit = count_hit(store, subject, seconds=MINUTE)
    if hit is not None and hit.count > limit:
        raise RateLimited(
            f"{what}过于频繁（每分钟最多 {limit} 次）：请 {hit.retry_after} 秒后再试",
            retry_after=hit.retry_after,
        )
