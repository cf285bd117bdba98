"""A key rotation while another store of the same ledger is open (a server's process, when
``liuhen ledger rotate-key`` runs beside it): that store signs its next checkpoint with the
new key, read from the key file; a node without the new key refuses to sign rather than sign
with the retired one; ``verify`` run by such a store follows the rotation. SQLite and
PostgreSQL (``store`` runs on both)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from tests.helpers import SYSTEM

from liuhen.errors import ConfigError
from liuhen.services.admin.rotation import rotate_key
from liuhen.services.archiving.integrity import verify
from liuhen.store import tables as t
from liuhen.store.store import Store


def _write(store: Store, subject: str) -> None:
    with store.transaction(SYSTEM) as tx:
        tx.record("ledger.checkpointed", subject_type="ledger", subject_id=subject)


def _events(store: Store) -> int:
    with store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(t.ledger_events)).scalar_one())


def _signers(store: Store) -> list[str]:
    with store.read() as conn:
        return list(
            conn.execute(
                select(t.checkpoints.c.key_fingerprint).order_by(t.checkpoints.c.tree_size)
            ).scalars()
        )


@pytest.fixture
def server(store, clock):  # type: ignore[no-untyped-def]
    """Another store of the same ledger, opened (its key read) before the rotation."""
    other = Store.open(store.settings, clock=clock)
    _write(other, "before")
    yield other
    other.close()


def test_a_store_opened_before_a_rotation_signs_with_the_new_key(store, server) -> None:  # type: ignore[no-untyped-def]
    old = server.fingerprint
    new = rotate_key(store, SYSTEM)["new_fingerprint"]
    assert server.fingerprint == old  # nothing told it yet
    _write(server, "after")
    assert server.fingerprint == new
    assert _signers(store)[-3:] == [old, old, new]  # its own write, the rotation, the next
    report = verify(server, SYSTEM)
    assert report.ok and report.key_fingerprint == new, [p.kind for p in report.problems]


def test_verify_by_a_store_that_has_not_written_since_the_rotation_follows_it(
    store, server
) -> None:  # type: ignore[no-untyped-def]
    new = rotate_key(store, SYSTEM)["new_fingerprint"]
    _write(store, "after")
    report = verify(server, SYSTEM)
    assert report.ok and report.key_fingerprint == new, [p.kind for p in report.problems]
    assert server.fingerprint == new


def test_a_node_without_the_new_key_refuses_to_sign_and_writes_nothing(store, server) -> None:  # type: ignore[no-untyped-def]
    new = rotate_key(store, SYSTEM)["new_fingerprint"]
    path = store.settings.signing_key_path
    kept = path.read_bytes()
    path.unlink()  # the new key was not installed on this node
    before = _events(store)
    with pytest.raises(ConfigError) as refused:
        _write(server, "after")
    assert new in str(refused.value) and str(path) in str(refused.value)
    assert _events(store) == before
    path.write_bytes(kept)  # installed: it writes, signed by the new key
    _write(server, "installed")
    assert _signers(store)[-1] == new
    assert verify(store, SYSTEM).ok


def test_a_package_and_a_proof_by_a_store_opened_before_the_rotation_carry_the_new_key(
    store, server, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """The excerpt's checkpoint was signed with the new key by another process: the package's
    public key and a proof's are that key, not the one this store read at its opening (a
    court clerk's offline check failed: key_mismatch, checkpoint_signature)."""
    from tests.helpers import make_case_with_files

    from liuhen.archive.verify_package import verify_package
    from liuhen.ledger.checkpoint import public_key_pem
    from liuhen.services.admin.ledger import inclusion_proof
    from liuhen.services.archiving.packages import export_package

    case = make_case_with_files(store, tmp_path)["case"]
    rotate_key(store, SYSTEM)
    _write(store, "after")  # the newest checkpoint: the new key's
    new_pem = public_key_pem(store.key).decode()
    proof = inclusion_proof(server, SYSTEM, 0)
    assert proof["public_key_pem"] == new_pem
    export_package(server, SYSTEM, case, tmp_path / "package")
    report = verify_package(tmp_path / "package")
    assert report.ok, [p.kind for p in report.problems]
