"""What a server certificate says: its names, its days left, whether a key belongs to it."""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from gui.services.errors import TlsError


@dataclass(frozen=True)
class CertificateFacts:
    names: tuple[str, ...]  # subjectAltName entries: DNS names and IP addresses
    not_after: datetime.datetime
    issuer: str

    def days_left(self, now: datetime.datetime | None = None) -> int:
        now = now or datetime.datetime.now(datetime.timezone.utc)
        return (self.not_after - now).days

    def covers(self, host: str) -> bool:
        """Whether a client reaching ``host`` accepts this certificate's names (``*.`` one level)."""
        host = host.strip("[]").lower()
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            address = None
        for name in self.names:
            if address is not None:
                try:
                    if ipaddress.ip_address(name) == address:
                        return True
                except ValueError:
                    continue
            elif name.lower() == host or (
                name.startswith("*.") and host.count(".") >= 2 and host.split(".", 1)[1] == name[2:].lower()
            ):
                return True
        return False


def read_certificate(pem: bytes, where: str) -> CertificateFacts:
    try:
        cert = x509.load_pem_x509_certificate(pem)
    except ValueError as exc:
        raise TlsError(f"{where} is not a PEM certificate ({exc}). Choose the certificate file (.pem, .crt).") from exc
    try:
        alt = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [*alt.get_values_for_type(x509.DNSName), *map(str, alt.get_values_for_type(x509.IPAddress))]
    except x509.ExtensionNotFound:
        names = []
    return CertificateFacts(tuple(names), cert.not_valid_after_utc, cert.issuer.rfc4514_string())


def key_matches(cert_pem: bytes, key_pem: bytes, where: str) -> bool:
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as exc:
        raise TlsError(
            f"{where} is not an unencrypted PEM private key ({exc}). The server cannot ask for a passphrase: "
            "choose the key file without one (openssl pkey -in KEY -out PLAIN)."
        ) from exc
    cert = x509.load_pem_x509_certificate(cert_pem)
    spki = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return cert.public_key().public_bytes(*spki) == key.public_key().public_bytes(*spki)  # any key type
