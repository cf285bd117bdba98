"""The agency's seal key for every node, encrypted (issue 17): it lives in the database as
encrypted PKCS#8, a second app instance on the same store seals with the same certificate
once it holds the custody passphrase (and refuses in one line without it), and the
plaintext seal files an earlier version kept in a node's data directory are moved in,
encrypted, at start."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import weasyprint  # type: ignore[import-untyped]
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select
from tests.conftest import ADMIN_PASSWORD

from liuhen.documents.seal import check_seal
from liuhen.errors import ConfigError
from liuhen.services.admin.setup import initialise
from liuhen.services.archiving.seals import Sealer, adopt_seals_on_start
from liuhen.store import tables as t
from liuhen.store.seal_keys import DirectoryVault, agency_seal, seal_ca
from liuhen.store.store import Store

AGENCY = "测试镇人民政府"


def stored(store: Store) -> dict[str, str]:
    with store.read() as conn:
        return dict(conn.execute(select(t.seal_keys.c.name, t.seal_keys.c.pem)).all())


def node(first: Any, folder: Path) -> Any:
    """Another node's settings: its own data directory, the same database and file store,
    the ledger's signing key installed from custody."""
    other = replace(first, data_dir=folder)
    other.signing_key_path.parent.mkdir(parents=True)
    shutil.copy2(first.signing_key_path, other.signing_key_path)
    return other


def test_a_second_node_seals_with_the_same_certificate_and_the_key_is_encrypted(
    make_settings: Any, tmp_path: Path
) -> None:
    first = make_settings(tmp_path / "a")
    initialise(first, admin_password=ADMIN_PASSWORD)
    one = Store.open(first)
    two_settings = node(first, tmp_path / "b")
    two = Store.open(two_settings)
    try:
        sealer = Sealer(one, "a1", AGENCY)
        assert sealer.issued
        rows = stored(one)
        assert sorted(rows) == ["agency:a1", "ca"]
        for pem in rows.values():  # never a plaintext key at rest
            assert pem.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
            assert "BEGIN PRIVATE KEY" not in pem and "BEGIN EC PRIVATE KEY" not in pem
        keys = sorted(p.name for p in (first.data_dir / "keys").iterdir())
        assert "seal-ca.pem" not in keys and "seals" not in keys

        with pytest.raises(ConfigError) as missing:  # no passphrase on this node yet
            Sealer(two, "a1", AGENCY)
        assert "keys/seal-passphrase" in str(missing.value) and "\n" not in str(missing.value)
        shutil.copy2(first.data_dir / "keys/seal-passphrase", two_settings.data_dir / "keys")
        again = Sealer(two, "a1", AGENCY)
        assert not again.issued and again.fingerprint == sealer.fingerprint
        pdf = weasyprint.HTML(string="<p>复制件</p>").write_pdf()
        check = check_seal(again.seal(pdf, "复制件"), sealer.credential.ca_pem)
        assert check.ok and AGENCY in check.signer, check
    finally:
        two.close()
        one.close()


def test_plaintext_seal_files_of_a_node_are_moved_in_encrypted_at_start(
    make_settings: Any, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path / "data", env={"LIUHEN_KEY_PASSPHRASE": "custody-pass"})
    initialise(settings, admin_password=ADMIN_PASSWORD)
    old = DirectoryVault(tmp_path / "old")  # what an earlier version had: plaintext files
    ca_key, ca_cert = seal_ca(old, b"x")
    credential, _ = agency_seal(old, b"x", "a1", AGENCY)
    plain = serialization.NoEncryption()
    keys = settings.data_dir / "keys"
    (keys / "seals").mkdir(parents=True)
    (keys / "seal-ca.pem").write_bytes(
        ca_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, plain)
        + ca_cert.public_bytes(serialization.Encoding.PEM)
    )
    (keys / "seals" / "a1.pem").write_bytes(credential.key_pem + credential.cert_pem)
    store = Store.open(settings)
    try:
        adopt_seals_on_start(store)
        assert not (keys / "seal-ca.pem").exists() and not list((keys / "seals").iterdir())
        assert all(p.startswith("-----BEGIN ENCRYPTED") for p in stored(store).values())
        sealer = Sealer(store, "a1", AGENCY)
        assert sealer.fingerprint == credential.fingerprint and not sealer.issued
        assert sealer.credential.ca_pem == credential.ca_pem
        assert not (keys / "seal-passphrase").exists()  # the configured passphrase is used
    finally:
        store.close()


def test_a_process_that_looks_while_another_of_its_node_makes_the_first_seal_uses_its_file(
    make_settings: Any, tmp_path: Path
) -> None:
    """Two processes of one node seal at once on a fresh store: the other writes
    ``keys/seal-passphrase`` and then the CA between this one's look for the file and its
    look at the vault. This one reads that file (the node's own), and does not refuse as a
    node without it would."""
    from liuhen.store.seal_keys import PASSPHRASE_FILE, seal_passphrase

    settings = make_settings(tmp_path / "a")
    folder = DirectoryVault(tmp_path / "vault")
    path = settings.data_dir / "keys" / PASSPHRASE_FILE
    assert not path.exists()

    class MeanwhileVault:
        """The vault as this process sees it while the other one makes the first seal."""

        def get(self, name: str) -> bytes | None:
            if name == "ca" and folder.get("ca") is None:  # the other process, meanwhile
                made = seal_passphrase(settings, folder)
                seal_ca(folder, made)
            return folder.get(name)

        def put_once(self, name: str, data: bytes) -> bool:
            return folder.put_once(name, data)

    used = seal_passphrase(settings, MeanwhileVault())
    assert used == path.read_bytes().strip() and len(used) > 30
    ca_key, _ = seal_ca(folder, used)  # the CA the other process made opens with it
    assert ca_key is not None

    path.unlink()  # a node without the file, next to an existing seal: refused
    with pytest.raises(ConfigError, match="LIUHEN_KEY_PASSPHRASE_FILE"):
        seal_passphrase(settings, folder)
