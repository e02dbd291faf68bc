# Copyright: (c) 2026, portscale.tcpip contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A private CA and a loopback server certificate, so clients can connect with validation on."""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import ipaddress
import os
import ssl

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_CERT_NAME = "ca.pem"
CA_KEY_NAME = "ca-key.pem"
SERVER_CERT_NAME = "server.pem"
SERVER_KEY_NAME = "server-key.pem"


@dataclasses.dataclass(frozen=True)
class TlsFiles:
    """Paths of the PEM files in a state dir's ``tls`` folder."""

    ca_cert: str
    ca_key: str
    server_cert: str
    server_key: str


def _write_private(path: str, data: bytes) -> None:
    """Write a file readable by the owner only, atomically (keys must never be world-readable)."""
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, path)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _new_ca(now: datetime.datetime) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "portscale.tcpip simulator CA")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _new_server_cert(ca_key: ec.EllipticCurvePrivateKey, ca_cert: x509.Certificate,
                     now: datetime.datetime) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    san = x509.SubjectAlternativeName([
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.DNSName("localhost"),
    ])
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=825))
        .add_extension(san, critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def ensure_tls_files(state_dir: str) -> TlsFiles:
    """Create the CA once per state dir and a server certificate signed by it; reuse both when present."""
    tls_dir = os.path.join(state_dir, "tls")
    os.makedirs(tls_dir, mode=0o700, exist_ok=True)
    files = TlsFiles(*(os.path.join(tls_dir, n) for n in (CA_CERT_NAME, CA_KEY_NAME, SERVER_CERT_NAME, SERVER_KEY_NAME)))
    if all(os.path.exists(p) for p in dataclasses.astuple(files)):
        return files
    now = datetime.datetime.now(datetime.timezone.utc)
    if os.path.exists(files.ca_cert) and os.path.exists(files.ca_key):
        with open(files.ca_key, "rb") as handle:
            ca_key = serialization.load_pem_private_key(handle.read(), password=None)
        with open(files.ca_cert, "rb") as handle:
            ca_cert = x509.load_pem_x509_certificate(handle.read())
    else:
        ca_key, ca_cert = _new_ca(now)
        _write_private(files.ca_key, _key_pem(ca_key))
        _write_private(files.ca_cert, ca_cert.public_bytes(serialization.Encoding.PEM))
    key, cert = _new_server_cert(ca_key, ca_cert, now)  # type: ignore[arg-type]
    _write_private(files.server_key, _key_pem(key))
    _write_private(files.server_cert, cert.public_bytes(serialization.Encoding.PEM))
    return files


def server_ssl_context(files: TlsFiles) -> ssl.SSLContext:
    """TLS 1.2+ server context for the listeners."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(files.server_cert, files.server_key)
    return context


def channel_binding_data(files: TlsFiles) -> bytes:
    """RFC 5929 ``tls-server-end-point`` application data, as requests-ntlm computes it from our certificate."""
    with open(files.server_cert, "rb") as handle:
        cert = x509.load_pem_x509_certificate(handle.read())
    # The hash follows the certificate's signature hash; MD5/SHA-1 map to SHA-256 (RFC 5929 4.1).
    der = cert.public_bytes(serialization.Encoding.DER)
    return b"tls-server-end-point:" + hashlib.sha256(der).digest()
