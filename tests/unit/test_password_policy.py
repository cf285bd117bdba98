"""The password policy: at least 10 characters of at least three kinds."""

from __future__ import annotations

import pytest

from liuhen.errors import InvalidInput
from liuhen.services.admin.users import check_password_policy


@pytest.mark.parametrize(
    ("password", "message"),
    [("Sh0rt!", "至少 10 位"), ("alllowercase12", "至少三类"), ("ONLYUPPERCASE", "至少三类")],
)
def test_weak_passwords_are_refused_naming_the_field(password: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as refused:
        check_password_policy(password)
    assert refused.value.message.startswith("password:")


def test_a_strong_password_passes() -> None:
    check_password_policy("Good-pass-2026")
