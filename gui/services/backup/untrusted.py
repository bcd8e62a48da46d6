"""A backup file is untrusted input: what a restore checks beyond the manifest, and how it reads.

:class:`BoundedReads` stops a tar record that asks to be read whole into memory beyond
:data:`MAX_RECORD` (a 1 GB PAX header in a 1 MB archive); :func:`check_restored` checks the
restored settings as ``settings set`` does and the certificates and keys as a start would read
them, so a restore that would only fail later is refused now. :func:`remove_stale` clears what a
killed backup or restore left beside its target.
"""

from __future__ import annotations

import contextlib
import shutil
import time
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from gui.services.errors import BackupError, DeskError, TlsError
from gui.services.index.settings import load_settings
from gui.services.names import SETTINGS_FILE_NAME, TOKENS_FILE_NAME
from gui.services.server.inside.tokens import TokensError, parse_tokens
from gui.services.tls.files import certificates_only, check_tls_files
from gui.services.tls.inspect import key_matches, read_certificate

MAX_RECORD = 32 * 1024 * 1024  # the largest single read a restore makes: a manifest, a header
STALE_SECONDS = 3600  # what a backup or restore left this long ago is not being written any more


class Overgrown(ValueError):
    """The archive unpacks to far more than its own size (or this disk's room): a bomb, or damaged."""


class BoundedReads:
    """A file whose reads are at most :data:`MAX_RECORD` bytes each (tarfile reads a header's data whole), and
    at most ``budget`` bytes in all, headers included (many small PAX headers add up too)."""

    def __init__(self, handle, budget: int) -> None:
        self._handle, self._left = handle, budget

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0 or size > MAX_RECORD:
            raise ValueError(f"a record of {size:,} bytes is larger than any a PyPI Desk backup holds")
        data = self._handle.read(size)
        self._left -= len(data)
        if self._left < 0:
            raise Overgrown("it unpacks to far more than its own size")
        return data

    def seek(self, *args: int) -> int:
        return self._handle.seek(*args)

    def tell(self) -> int:
        return self._handle.tell()


def check_restored(staging: Path, source: Path) -> None:
    """Raise BackupError when the restored settings, certificates or keys could not be used here."""
    try:
        if (staging / SETTINGS_FILE_NAME).exists():
            check_tls_files(load_settings(staging / SETTINGS_FILE_NAME))
        for cert, key in (("ca/ca.pem", "ca/ca-key.pem"), ("tls/server.pem", "tls/server-key.pem")):
            _check_pair(staging / cert, staging / key)
        tokens = staging / "auth" / TOKENS_FILE_NAME
        if tokens.exists():
            parse_tokens(tokens.read_bytes(), f"auth/{TOKENS_FILE_NAME}")  # the server would refuse every token
    except TokensError as exc:
        raise BackupError(f"{source} holds a tokens file PyPI Desk cannot use: {exc}. Nothing was restored.") from exc
    except DeskError as exc:
        raise BackupError(f"{source} holds files that are not usable here: {exc} Nothing was restored.") from exc


def _check_pair(cert: Path, key: Path) -> None:
    if not cert.exists() and not key.exists():
        return
    if not (cert.exists() and key.exists()):
        raise TlsError(f"{cert.parent.name}/ has a certificate or a key without the other")
    cert_pem, key_pem = cert.read_bytes(), key.read_bytes()
    certificates_only(cert_pem, f"{cert.parent.name}/{cert.name}")  # a key in the certificate file is refused
    read_certificate(cert_pem, f"{cert.parent.name}/{cert.name}")
    try:
        serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as exc:
        raise TlsError(f"{key.parent.name}/{key.name} is not a private key ({exc})") from None
    if not key_matches(cert_pem, key_pem, f"{key.parent.name}/{key.name}"):
        raise TlsError(f"{key.parent.name}/{key.name} is not the key of {cert.parent.name}/{cert.name}")


def remove_stale(folder: Path, pattern: str) -> None:
    """Remove files or folders matching ``pattern`` in ``folder`` untouched for an hour: a killed run's."""
    with contextlib.suppress(OSError):
        for path in folder.glob(pattern):
            with contextlib.suppress(OSError):
                if time.time() - path.lstat().st_mtime < STALE_SECONDS:
                    continue
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink()
