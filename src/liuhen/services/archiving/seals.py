"""The agency's electronic seal as the features use it: party copies and case files are
sealed with it, and the certificate reaches the ledger the first time it is issued.

``Sealer(store, agency_id, agency_name)`` loads (or, the first time, has the seal CA issue)
the agency's seal; ``seal(pdf)`` returns the sealed bytes (``seal_archival`` makes the file
PDF/A-2b first: issued documents and party copies) (timestamped by the RFC 3161
authority at ``LIUHEN_SEAL_TSA_URL`` when one is set); ``record_issue(tx)`` appends a
``seal.certificate_issued`` event with the certificate when this process issued it, so the
certificate every sealed file names is itself on the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from liuhen.store.seal_keys import SealCredential, agency_seal
from liuhen.store.store import Store
from liuhen.store.unit import Tx


@dataclass
class Sealer:
    store: Store
    agency_id: str
    agency_name: str
    credential: SealCredential = field(init=False)
    issued: bool = field(init=False)

    def __post_init__(self) -> None:
        keys = self.store.settings.data_dir / "keys"
        self.credential, self.issued = agency_seal(keys, self.agency_id, self.agency_name)

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
