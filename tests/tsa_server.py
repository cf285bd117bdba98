"""A real RFC 3161 timestamp authority on 127.0.0.1 for tests: its own root and TSA
certificate (extended key usage timeStamping), answering ``application/timestamp-query``
POSTs over HTTP with tokens signed by pyHanko's ``DummyTimeStamper`` (a full responder:
it signs a TSTInfo over the request's message imprint and echoes its nonce)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from asn1crypto import keys as asn1_keys  # type: ignore[import-untyped]
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore


@dataclass
class Tsa:
    url: str
    root_pem: bytes
    requests: list[bytes]
    fixed_time: datetime


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _certificates() -> tuple[x509.Certificate, x509.Certificate, rsa.RSAPrivateKey]:
    now = datetime.now(UTC) - timedelta(days=1)
    root_key = ec.generate_private_key(ec.SECP256R1())
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # pyHanko signs RSA
    root = (
        x509.CertificateBuilder()
        .subject_name(_name("测试时间戳根证书"))
        .issuer_name(_name("测试时间戳根证书"))
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(root_key, hashes.SHA256())
    )
    tsa = (
        x509.CertificateBuilder()
        .subject_name(_name("测试时间戳服务"))
        .issuer_name(root.subject)
        .public_key(tsa_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    return root, tsa, tsa_key


def _asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


@contextmanager
def running_tsa(fixed_time: datetime) -> Iterator[Tsa]:
    """Serve the TSA until the block ends; every token says ``fixed_time``."""
    root, tsa_cert, tsa_key = _certificates()
    der_key = tsa_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    stamper = DummyTimeStamper(
        tsa_cert=_asn1(tsa_cert),
        tsa_key=asn1_keys.PrivateKeyInfo.load(der_key),
        certs_to_embed=SimpleCertificateStore.from_certs([_asn1(root)]),  # type: ignore[no-untyped-call]
        fixed_dt=fixed_time,
    )
    seen: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            seen.append(body)
            if self.headers.get("Content-Type") != "application/timestamp-query":
                self.send_error(415)
                return
            reply = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Tsa(
            f"http://127.0.0.1:{server.server_address[1]}/tsa",
            root.public_bytes(serialization.Encoding.PEM),
            seen,
            fixed_time,
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
