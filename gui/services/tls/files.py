"""Checks of the certificate files a user names (``tls_cert``, ``tls_key``, ``tls_ca``), wherever they are named.

Run when the settings are saved (``settings set``, the window), when a backup's settings are
restored, and before a start or an export: each file must be a regular file of at most
:data:`MAX_PEM_BYTES`, hold what its name says in PEM (a certificate, a private key, CA
certificates), and the key must be the certificate's. So ``tls_ca=/etc/shadow`` or
``/dev/zero`` is refused with one sentence, and never exported to teammates nor read whole.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from gui.services.errors import TlsError
from gui.services.index.settings import ServerSettings
from gui.services.tls.inspect import key_matches, read_certificate

MAX_PEM_BYTES = 1024 * 1024


def read_pem_file(path: str, what: str, setting: str) -> bytes:
    """The bytes of a user-named PEM file, after checking it is a regular file of a sane size. It is opened
    without blocking, so a pipe named there is refused rather than waited on."""
    where = Path(path).expanduser()
    if not where.is_absolute():
        raise TlsError(
            f"{setting}={path} is not an absolute path: give the file's whole path, such as /etc/ssl/{what}.pem."
        )
    try:
        if not stat.S_ISREG(os.stat(where).st_mode):
            raise TlsError(f"{setting}={path} is not a regular file: choose the {what} file (.pem).")
        fd = os.open(where, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):  # replaced between the two looks
                raise TlsError(f"{setting}={path} is not a regular file: choose the {what} file (.pem).")
            if info.st_size > MAX_PEM_BYTES:
                raise TlsError(
                    f"{setting}={path} is {info.st_size:,} bytes, too large for a {what} "
                    f"(at most {MAX_PEM_BYTES:,}): choose the {what} file (.pem)."
                )
            data = handle.read(MAX_PEM_BYTES + 1)
    except OSError as exc:
        raise TlsError(
            f"Cannot read {setting}={path}: {exc.strerror or exc}. Choose a file this user can read."
        ) from exc
    if b"-----BEGIN " not in data:
        raise TlsError(f"{setting}={path} is not a PEM file: choose the {what} file (.pem).")
    return data


def ca_certificates(path: str) -> bytes:
    """The certificates of a user-named CA file, and nothing else (see :func:`certificates_only`)."""
    return certificates_only(read_pem_file(path, "CA certificate", "tls_ca"), f"tls_ca={path}")


def certificates_only(data: bytes, where: str) -> bytes:
    """The certificates in ``data``, written anew: a file that also holds a private key is refused (it would
    be handed to teammates), and only the certificates are ever written out."""
    if b"PRIVATE KEY-----" in data:
        raise TlsError(
            f"{where} holds a private key as well as certificates: name a file with the CA's certificate "
            "only (the key must never go to teammates)."
        )
    try:
        certificates = x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise TlsError(f"{where} is not a PEM certificate ({exc}). Choose the CA's certificate file.") from exc
    return b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in certificates)


#: Smallest keys OpenSSL accepts at its default security level (smaller ones fail every handshake).
MIN_RSA_BITS, MIN_EC_BITS = 2048, 224


def _check_key_size(cert_pem: bytes, where: str) -> None:
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa

    key = x509.load_pem_x509_certificate(cert_pem).public_key()
    if isinstance(key, (rsa.RSAPublicKey, dsa.DSAPublicKey)) and key.key_size < MIN_RSA_BITS:
        raise TlsError(f"tls_cert={where} has a {key.key_size}-bit key; TLS clients refuse keys under "
                       f"{MIN_RSA_BITS} bits. Make a certificate with a larger key.")  # fmt: skip
    if isinstance(key, ec.EllipticCurvePublicKey) and key.key_size < MIN_EC_BITS:
        raise TlsError(f"tls_cert={where} has a {key.key_size}-bit key; TLS clients refuse keys under "
                       f"{MIN_EC_BITS} bits. Make a certificate with a larger key.")  # fmt: skip


def check_tls_files(settings: ServerSettings) -> None:
    """Raise :class:`TlsError` in words when a named certificate, key or CA file is not what it should be."""
    if settings.tls_cert and settings.tls_key:
        cert = read_pem_file(settings.tls_cert, "certificate", "tls_cert")
        key = read_pem_file(settings.tls_key, "private key", "tls_key")
        read_certificate(cert, settings.tls_cert)
        if b"PRIVATE KEY-----" not in key:
            raise TlsError(f"tls_key={settings.tls_key} holds no private key: choose the certificate's key file.")
        _check_key_size(cert, settings.tls_cert)
        if not key_matches(cert, key, settings.tls_key):
            raise TlsError(
                f"tls_key={settings.tls_key} is not the key of {settings.tls_cert}: choose the key the certificate "
                "was made for."
            )
    if settings.tls_ca:
        ca_certificates(settings.tls_ca)
