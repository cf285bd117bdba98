"""The agency's electronic seal as the features use it: party copies and case files are
sealed with it, and the certificate reaches the ledger the first time it is issued.

``Sealer(store, agency_id, agency_name)`` loads (or, the first time, has the seal CA issue)
the agency's seal (encrypted in the database, every node the same: ``store/seal_keys.py``);
``seal(pdf)`` returns the sealed bytes (``seal_archival`` makes the file
PDF/A-2b first: issued documents and party copies) (timestamped by the RFC 3161
authority at ``LIUHEN_SEAL_TSA_URL`` when one is set); ``record_issue(tx)`` appends a
``seal.certificate_issued`` event with the certificate when this process issued it, so the
certificate every sealed file names is itself on the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from liuhen.store.seal_keys import (
    DatabaseVault,
    SealCredential,
    adopt_node_seals,
    agency_seal,
    seal_passphrase,
)
from liuhen.store.store import Store
from liuhen.store.unit import Tx


def adopt_seals_on_start(store: Store) -> None:
    """Move the plaintext seal files an earlier version kept in this node's data directory
    into the database, encrypted (nothing to do, and no passphrase needed, when none are
    left)."""
    keys = store.settings.data_dir / "keys"
    if not (keys / "seal-ca.pem").exists() and not any((keys / "seals").glob("*.pem")):
        return
    vault = DatabaseVault(store.engine)
    adopt_node_seals(keys, vault, seal_passphrase(store.settings, vault))


@dataclass
class Sealer:
    store: Store
    agency_id: str
    agency_name: str
    credential: SealCredential = field(init=False)
    issued: bool = field(init=False)

    def __post_init__(self) -> None:
        vault = DatabaseVault(self.store.engine)
        passphrase = seal_passphrase(self.store.settings, vault)
        adopt_node_seals(self.store.settings.data_dir / "keys", vault, passphrase)
        self.credential, self.issued = agency_seal(
            vault, passphrase, self.agency_id, self.agency_name
        )

    @property
    def fingerprint(self) -> str:
        return self.credential.fingerprint

    @property
    def chain_pem(self) -> bytes:
        """The seal certificate, then the CA's: what a package carries for its verifier."""
        return self.credential.cert_pem + self.credential.ca_pem

    def seal(self, pdf: bytes, reason: str) -> bytes:
        from liuhen.documents.seal import seal_pdf

        return seal_pdf(
            pdf,
            self.credential,
            agency=self.agency_name,
            reason=reason,
            tsa_url=self.store.settings.seal_tsa_url,
        )

    def seal_archival(self, pdf: bytes, reason: str, *, title: str, subject: str) -> bytes:
        """``pdf`` made PDF/A-2b (``archive/pdfa.conform``: XMP identification, the sRGB
        output intent, an earlier seal drawn flat), then sealed: the signature is an
        incremental update, which PDF/A-2 allows, so the sealed file is still PDF/A. A file
        that cannot conform (an uploaded PDF without its fonts) is sealed without the claim."""
        from liuhen.archive.pdfa import PdfaInfo, conform

        now = self.store.clock().astimezone(self.store.settings.tz)
        made, _problems = conform(pdf, PdfaInfo(title, self.agency_name, subject, now))
        return self.seal(made, reason)

    def record_issue(self, tx: Tx) -> None:
        """The certificate on the ledger, once: by the process that issued it."""
        if not self.issued:
            return
        tx.record(
            "seal.certificate_issued",
            subject_type="agency",
            subject_id=self.agency_id,
            payload={
                "agency": self.agency_name,
                "fingerprint": self.fingerprint,
                "certificate": self.credential.cert_pem.decode("ascii"),
                "ca_certificate": self.credential.ca_pem.decode("ascii"),
            },
        )
        self.issued = False
