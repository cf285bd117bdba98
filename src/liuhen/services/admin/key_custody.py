"""One signing key for every node: a node whose key is not the ledger's does not write.

Several nodes (``liuhen serve`` processes, CLI importers) write one ledger. Each checkpoint
is signed by the node that committed it, so every node must hold the same key: the one the
ledger was started with (event #0), or the new key of its newest recorded rotation. A node
installed with another key (``liuhen init`` run on an empty data directory next to an
existing database used to mint one) would sign checkpoints nobody pinned, and ``verify``
would fail on every node. ``serve`` and every CLI command that writes check it first
(``check_node_key``) and refuse in one line, exit code 2 (``ConfigError``); ``liuhen init``
on such a node refuses to mint a key and says how to install the shared one (``MISSING``).
"""

from __future__ import annotations

from pathlib import Path

from liuhen.errors import ConfigError
from liuhen.ledger.checkpoint import key_fingerprint
from liuhen.services.admin.queries import ledger_genesis
from liuhen.store.keys import key_passphrase, next_key_path, read_key
from liuhen.store.store import Store


def install_hint(path: Path, fingerprint: str | None) -> str:
    """How to give a node the ledger's key (the Chinese tail of the refusals)."""
    which = f"（指纹 {fingerprint}）" if fingerprint else ""
    return (
        f"请从密钥保管处（或已在运行的节点的 keys/ 目录）把本库的签名密钥{which}复制到 {path}"
        "（仅属主可读；密钥加密时各节点设置同一口令 LIUHEN_KEY_PASSPHRASE_FILE），"
        "所有节点共用同一把密钥"
    )


def check_node_key(store: Store) -> None:
    """Refuse when this node's signing key is not the key the ledger is signed with. A key
    that is missing is left to the commands that sign (they say so when they must)."""
    with store.read() as conn:
        started, recorded = ledger_genesis(conn)
    public = store.public_key
    if not started or recorded is None or public is None:
        return
    actual = key_fingerprint(public)
    if actual == recorded or _rotating_to(store, recorded):
        return
    path = store.settings.signing_key_path
    raise ConfigError(
        f"LIUHEN_DATA_DIR: 本节点的签名密钥 {path}（指纹 {actual}）不是本库日志的签名密钥"
        f"（指纹 {recorded}），拒绝启动，以免用另一把密钥签名：{install_hint(path, recorded)}"
    )


def _rotating_to(store: Store, recorded: str) -> bool:
    """A rotation recorded but its files not yet swapped (finished at this start)."""
    nxt = next_key_path(store.settings.signing_key_path)
    if not nxt.exists():
        return False
    key, _ = read_key(nxt, key_passphrase(store.settings))
    return key is not None and key_fingerprint(key) == recorded
