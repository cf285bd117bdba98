"""Two instances on loopback (issue 13): the county runs ``liuhen witness serve`` in a real
subprocess and witnesses a township's ledger, on SQLite and PostgreSQL. The township writes,
the witness cosigns after a consistency proof; a witness that is down never fails a write and
catches up; the township's history rewritten with a fresh key and re-signed is reported by its
``verify`` (naming the witness) and refused by the witness."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.helpers import make_case_with_files, run_cli
from tests.witness_process import WitnessProcess

from liuhen.ledger.events import Actor
from liuhen.services.admin.ledger import checkpoint_now
from liuhen.services.admin.rotation import rotate_key
from liuhen.services.archiving.integrity import verify
from liuhen.services.oversight.witnesses import add_witness, list_witnesses, log_vkey
from liuhen.store.store import Store
from liuhen.store.witness_files import WitnessFiles

SYSTEM = Actor.system("见证测试")
WITNESS = "witness:county.test/witness"


@pytest.fixture
def county(store: Store, tmp_path: Path) -> Iterator[WitnessProcess]:
    witness = WitnessProcess(tmp_path / "county", [log_vkey(store)]).start()
    yield witness
    witness.stop()


def _held(county: WitnessProcess, store: Store, origin: str | None = None) -> int:
    state = WitnessFiles(county.data_dir / "witness").load(origin or store.origin)
    assert state is not None
    return state.size


def _newest(store: Store) -> int:
    latest = store.latest_checkpoint()
    assert latest is not None
    return int(latest["tree_size"])


def _findings(store: Store) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for p in verify(store, SYSTEM).problems:
        found.setdefault(p.kind, []).append(p.object)
    return found


def test_the_county_cosigns_each_township_checkpoint_after_a_consistency_proof(
    store: Store, county: WitnessProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    added = add_witness(store, SYSTEM, county.url, key=county.vkey)
    assert added["sent"] == "ok" and added["name"] == "county.test/witness"
    make_case_with_files(store, tmp_path)
    checkpoint_now(store, SYSTEM)
    assert _held(county, store) == _newest(store)
    listing = list_witnesses(store, SYSTEM)
    assert listing["witnesses"][0]["last_size"] == _newest(store)
    assert verify(store, SYSTEM).ok

    env = {"LIUHEN_DATA_DIR": str(store.settings.data_dir)}
    env["LIUHEN_DATABASE_URL"] = store.settings.database_url
    result = run_cli(["witness", "list", "--json"], env, monkeypatch)
    assert result.code == 0, result.err
    assert json.loads(result.out)["witnesses"][0]["last_size"] == _newest(store)


def test_a_witness_that_is_down_lags_without_failing_writes_and_catches_up(
    store: Store, county: WitnessProcess
) -> None:
    add_witness(store, SYSTEM, county.url, key=county.vkey)
    county.stop()
    checkpoint_now(store, SYSTEM)  # the write succeeds with the witness down
    assert WITNESS in _findings(store)["witness_unreachable"]
    county.start()
    store.witnesses._down.clear()  # noqa: SLF001 - the back-off would wait 30 s
    lagging = _findings(store)
    assert WITNESS in lagging["witness_lagging"]
    checkpoint_now(store, SYSTEM)  # the next checkpoint catches it up, with a proof
    assert _held(county, store) == _newest(store)
    assert verify(store, SYSTEM).ok


def test_history_rewritten_with_a_fresh_key_is_reported_and_refused(
    store: Store, county: WitnessProcess, tmp_path: Path
) -> None:
    from tests.integrity.forge import resign

    add_witness(store, SYSTEM, county.url, key=county.vkey)
    record = make_case_with_files(store, tmp_path)["record"]
    held, origin = _held(county, store), store.origin
    settings = store.settings
    store.close()
    resign(  # event #0 kept, so the forged store signs under the origin the witness knows
        settings.data_dir,
        genesis=False,
        record=record,
        keep_origin=True,
        database_url=None if settings.is_sqlite else settings.database_url,
    )
    forged = Store.open(settings)
    try:
        found = _findings(forged)
        assert WITNESS in found["witness_key_mismatch"]
        assert WITNESS in found["witness_forked"]
        checkpoint_now(forged, SYSTEM)  # the forged store writes: the witness refuses it
        assert _held(county, forged, origin) == held
        refused = (county.data_dir / "witness" / "refused.jsonl").read_text("utf-8")
        assert json.loads(refused.splitlines()[-1])["status"] == 403
        assert "HTTP 403" in forged.witnesses.last_error["county.test/witness"]
        assert WITNESS in _findings(forged)["witness_forked"]
    finally:
        forged.close()


def test_a_rotated_key_is_accepted_by_the_witness_and_by_verify(
    store: Store, county: WitnessProcess
) -> None:
    old = store.fingerprint
    add_witness(store, SYSTEM, county.url, key=county.vkey)
    done = rotate_key(store, SYSTEM)
    assert done["witnesses"] == {"county.test/witness": "ok"}
    assert store.fingerprint == done["new_fingerprint"] != old
    checkpoint_now(store, SYSTEM)
    assert _held(county, store) == _newest(store)
    report = verify(store, SYSTEM, fingerprint=old)  # the old pin reaches the new key
    assert report.ok, report.problems
    reopened = Store.open(store.settings)
    try:
        assert reopened.fingerprint == done["new_fingerprint"]
    finally:
        reopened.close()


def test_an_exported_package_carries_the_cosignatures_and_verify_package_checks_them(
    store: Store, county: WitnessProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from liuhen.archive.verify_package import verify_package
    from liuhen.ledger.checkpoint import generate_key
    from liuhen.ledger.note import COSIGNATURE_V1, vkey
    from liuhen.services.archiving.packages import export_package

    add_witness(store, SYSTEM, county.url, key=county.vkey)
    case = make_case_with_files(store, tmp_path)["case"]
    out = tmp_path / "package"
    export_package(store, SYSTEM, case, out)
    report = verify_package(out, witnesses=[county.vkey])
    assert report.ok, report.problems
    assert report.cosigned_by == ["county.test/witness"]

    stranger = vkey("province.test/witness", generate_key(), COSIGNATURE_V1)
    missing = verify_package(out, witnesses=[stranger])
    assert not missing.ok
    assert [p.kind for p in missing.problems] == ["witness_cosignature_missing"]
    assert "data/ledger/cosignatures.json" in missing.problems[0].item

    result = run_cli(["verify-package", str(out), "--witness", stranger, "--json"], {}, monkeypatch)
    assert result.code == 1 and "Traceback" not in result.err
    assert json.loads(result.out)["problems"][0]["kind"] == "witness_cosignature_missing"
    bad = run_cli(["verify-package", str(out), "--witness", "nonsense"], {}, monkeypatch)
    assert bad.code == 2 and len(bad.err.strip().splitlines()) == 1
