"""The domain's text limits are the columns' lengths (so SQLite refuses what PostgreSQL
would), and the https settings refuse what they cannot read, naming the setting."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liuhen.config import Settings
from liuhen.domain.limits import ACT_LIMITS, CASE_LIMITS, RECORD_LIMITS, bad_text
from liuhen.errors import ConfigError
from liuhen.store import tables as t


@pytest.mark.parametrize(
    ("limits", "table"),
    [(CASE_LIMITS, t.cases), (ACT_LIMITS, t.acts), (RECORD_LIMITS, t.records)],
)
def test_the_domain_limits_are_the_column_lengths(limits, table) -> None:  # type: ignore[no-untyped-def]
    for field, (_, limit) in limits.items():
        column = table.c.get(field)
        if column is not None:  # ``cause`` lives in the case's details
            assert column.type.length == limit, f"{table.name}.{field}"


def test_bad_text_names_what_no_column_can_hold() -> None:
    assert bad_text("某店占道经营案", 300) is None
    assert "空字符" in (bad_text("a\x00b") or "")
    assert "代理码位" in (bad_text("a\udfffb") or "")
    assert bad_text("案" * 301, 300) == "过长：301 个字符，最多 300 个"


EDGES = ["a", "案", "é", "\U0001f600", "\ud7ff", "\ud800", "\udbff", "\udc00", "\udfff", "\ue000"]


@given(
    st.text(
        st.sampled_from(EDGES) | st.characters(codec=None, exclude_characters="\x00"),
        max_size=40,
    )
)
def test_text_is_refused_as_unencodable_exactly_when_utf8_cannot_hold_it(value: str) -> None:
    """Lone surrogates anywhere, in ASCII, Chinese or astral text alike (one regular
    expression search, skipped for ASCII text)."""
    try:
        value.encode("utf-8")
        encodable = True
    except UnicodeEncodeError:
        encodable = False
    assert (bad_text(value) is None) == encodable, ascii(value)


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"LIUHEN_COOKIE_SECURE": "sometimes"}, "LIUHEN_COOKIE_SECURE"),
        ({"LIUHEN_TRUSTED_PROXIES": "10.0.0.5,proxy.local"}, "LIUHEN_TRUSTED_PROXIES"),
    ],
)
def test_https_settings_refuse_what_they_cannot_read(tmp_path, env, name) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError, match=name):
        Settings.from_env({"LIUHEN_DATA_DIR": str(tmp_path), **env})


def test_trusted_proxies_are_addresses_and_networks(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings.from_env(
        {"LIUHEN_DATA_DIR": str(tmp_path), "LIUHEN_TRUSTED_PROXIES": "10.0.0.5, 192.168.1.0/24"}
    )
    assert [str(n) for n in settings.trusted_networks] == ["10.0.0.5/32", "192.168.1.0/24"]
    assert Settings.from_env(settings.as_env()) == settings
