"""TLS for the collector: verification always on, optional custom CAs, pins and client certificate.

Pins are checked inside the TLS handshake (before a single byte of the request is sent): the
context's socket class verifies, right after the standard chain and host-name checks, that the
server certificate's SHA-256 (of its DER bytes, or of its SubjectPublicKeyInfo) is one of the pins.
"""

from __future__ import annotations

import hashlib
import ssl
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


class PinMismatch(ssl.SSLError):
    """The server's certificate verified but matches none of the configured pins."""


def cert_sha256(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


def spki_sha256(der: bytes) -> str:
    """SHA-256 of the certificate's SubjectPublicKeyInfo (the HPKP / ``curl --pinnedpubkey`` pin)."""
    public_key = x509.load_der_x509_certificate(der).public_key()
    return hashlib.sha256(public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)).hexdigest()


def _pinned_socket_class(spki_pins: frozenset[str], cert_pins: frozenset[str]) -> type[ssl.SSLSocket]:
    class PinnedSSLSocket(ssl.SSLSocket):
        def do_handshake(self, block: bool = False) -> None:
            super().do_handshake(block)
            der = self.getpeercert(binary_form=True)
            if der is None:
                raise PinMismatch("server sent no certificate")
            found_cert = cert_sha256(der)
            found_spki = spki_sha256(der)
            if found_cert not in cert_pins and found_spki not in spki_pins:
                self.close()
                raise PinMismatch(
                    f"server certificate matches no pin (cert sha256 {found_cert}, spki sha256 {found_spki})"
                )

    return PinnedSSLSocket


def client_context(
    *,
    ca_bundle: Path | None = None,
    spki_pins: Iterable[str] = (),
    cert_pins: Iterable[str] = (),
    client_cert: Path | None = None,
    client_key: Path | None = None,
) -> ssl.SSLContext:
    """A verifying client context (TLS 1.2+); pins given as lowercase hex SHA-256 digests."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(ca_bundle) if ca_bundle else None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    if client_cert is not None:
        context.load_cert_chain(str(client_cert), str(client_key) if client_key else None)
    spki, cert = frozenset(spki_pins), frozenset(cert_pins)
    if spki or cert:
        context.sslsocket_class = _pinned_socket_class(spki, cert)
    return context


def describe(context: ssl.SSLContext) -> dict[str, Any]:
    """What the context enforces (for the start-up log line)."""
    return {
        "verify": context.verify_mode == ssl.CERT_REQUIRED,
        "check_hostname": context.check_hostname,
        "pinned": context.sslsocket_class is not ssl.SSLSocket,
    }
