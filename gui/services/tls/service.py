"""HTTPS for one data folder: the certificate the server presents, the CA clients trust, and their checks.

With HTTPS on, :meth:`TlsService.ensure` runs before each start: it makes the app's
certificate authority once (``ca/``, its key 0600, never mounted), and a server
certificate (``tls/``, mounted read-only) for every name and address clients use,
renewing it when a name is missing or fewer than :data:`RENEW_DAYS` are left. With your
own certificate and key, those are checked (readable, the key matches) and copied into
``tls/`` so that nothing else of yours is mounted.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import socket
from dataclasses import dataclass
from pathlib import Path

import psutil

from gui.services.atomic import write_atomic
from gui.services.errors import TlsError
from gui.services.index.datadir import DataDir
from gui.services.index.settings import ServerSettings
from gui.services.tls.authority import Issued, issue_server, make_authority, permits, vouchable
from gui.services.tls.files import ca_certificates, certificates_only, check_tls_files, read_pem_file
from gui.services.tls.inspect import CertificateFacts, key_matches, read_certificate

RENEW_DAYS = 30
CONTAINER_TLS_DIR = "/data/tls"
CERT_NAME, KEY_NAME = "server.pem", "server-key.pem"


CA_REPLACED_NOTE = (
    "PyPI Desk made a new certificate authority for this server ({why}): clients that trusted the old one "
    "must trust the new one (Client setup, or Export CA certificate again)."
)


@dataclass(frozen=True)
class Certificate:
    """The server certificate in use: where it is, what it says, and whose it is."""

    path: Path
    facts: CertificateFacts
    own: bool  # the user's own files, not the app's CA
    note: str = ""  # what changed that clients must know (a new CA)


def default_names(settings: ServerSettings) -> list[str]:
    """localhost, the loopback addresses, this machine's host names and LAN addresses, then the user's."""
    names = ["localhost", "127.0.0.1", "::1"]
    host = socket.gethostname()
    names += [host, socket.getfqdn()]
    for addresses in psutil.net_if_addrs().values():
        for address in addresses:
            if address.family not in (socket.AF_INET, socket.AF_INET6):
                continue
            try:
                ip = ipaddress.ip_address(address.address.split("%")[0])
            except ValueError:
                continue
            if not (ip.is_loopback or ip.is_link_local):
                names.append(str(ip))
    if not ipaddress.ip_address(settings.host).is_unspecified:
        names.append(settings.host)
    if settings.public_name:  # the engine's machine, or the name the user gave clients
        names.append(settings.public_name)
    names += settings.extra_names
    return list(dict.fromkeys(name for name in names if name and vouchable(name)))


class TlsService:
    def __init__(self, data_dir: DataDir) -> None:
        self.data_dir = data_dir

    @property
    def ca_cert(self) -> Path:
        return self.data_dir.ca_dir / "ca.pem"

    @property
    def ca_key(self) -> Path:
        return self.data_dir.ca_dir / "ca-key.pem"

    @property
    def bundle(self) -> Path:
        """Where :meth:`client_bundle` writes the machine's CAs plus the server's."""
        return self.data_dir.ca_dir / "clients-bundle.pem"

    @property
    def server_cert(self) -> Path:
        return self.data_dir.tls_dir / CERT_NAME

    @property
    def server_key(self) -> Path:
        return self.data_dir.tls_dir / KEY_NAME

    # -- before a start -------------------------------------------------------------

    def ensure(self, settings: ServerSettings) -> Certificate:
        """The certificate the server will present, made, renewed or copied as needed."""
        if settings.tls_cert:
            return self._use_own(settings)
        wanted = default_names(settings)
        authority, note = self._authority(wanted)
        current = self.certificate(settings)
        if note or current is None or current.own or self._needs_renewal(current.facts, wanted):
            self._write_server(issue_server(authority, wanted))
            current = self.certificate(settings)
        assert current is not None
        return dataclasses.replace(current, note=note)

    def renew(self, settings: ServerSettings) -> Certificate:
        """A new server certificate from the app's CA, now (your own certificate is renewed by its issuer)."""
        if settings.tls_cert:
            raise TlsError(f"The server uses your own certificate ({settings.tls_cert}): renew it where it was issued.")
        wanted = default_names(settings)
        authority, note = self._authority(wanted)
        self._write_server(issue_server(authority, wanted))
        current = self.certificate(settings)
        assert current is not None
        return dataclasses.replace(current, note=note)

    def certificate(self, settings: ServerSettings) -> Certificate | None:
        """The server certificate in ``tls/``, or None when there is none yet."""
        try:
            pem = self.server_cert.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise TlsError(f"Cannot read {self.server_cert}: {exc.strerror or exc}.") from exc
        facts = read_certificate(pem, str(self.server_cert))
        own = not self.ca_cert.exists() or facts.issuer != read_certificate(self.ca_cert.read_bytes(), "").issuer
        return Certificate(self.server_cert, facts, own or bool(settings.tls_cert))

    @staticmethod
    def _needs_renewal(facts: CertificateFacts, wanted: list[str]) -> bool:
        return facts.days_left() < RENEW_DAYS or not set(wanted) <= set(facts.names)

    def _authority(self, wanted: list[str] | None = None) -> tuple[Issued, str]:
        """The app's CA, and "" or why it was just replaced: made when missing, and made anew when it is not
        name-constrained (an older version's) or cannot vouch for a name in ``wanted``."""
        ca_dir = self.data_dir.ca_dir
        why = ""
        if self.ca_cert.exists() and self.ca_key.exists():
            os.chmod(ca_dir, 0o700)  # tightened, whoever made it looser
            os.chmod(self.ca_key, 0o600)
            current = Issued(self.ca_key.read_bytes(), self.ca_cert.read_bytes())
            try:
                if wanted is None or permits(current.cert_pem, wanted):
                    return current, ""
                why = (
                    "the old one could vouch for any name"
                    if not permits(current.cert_pem, [])
                    else "a new name is outside what the old one may vouch for"
                )
            except ValueError:  # not a certificate any more (edited or damaged by hand)
                why = "the old one could not be read"
        made = make_authority(socket.gethostname(), wanted or default_names(ServerSettings()))
        ca_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(ca_dir, 0o700)
        write_atomic(self.ca_key, made.key_pem, mode=0o600)
        write_atomic(self.ca_cert, made.cert_pem, mode=0o644)
        return made, CA_REPLACED_NOTE.format(why=why) if why else ""

    def _write_server(self, issued: Issued) -> None:
        self.data_dir.tls_dir.mkdir(mode=0o755, parents=True, exist_ok=True)
        write_atomic(self.server_key, issued.key_pem, mode=0o600)
        write_atomic(self.server_cert, issued.cert_pem, mode=0o644)

    def _use_own(self, settings: ServerSettings) -> Certificate:
        cert_path, key_path = Path(settings.tls_cert).expanduser(), Path(settings.tls_key).expanduser()
        check_tls_files(settings)
        cert_pem = read_pem_file(settings.tls_cert, "certificate", "tls_cert")
        key_pem = read_pem_file(settings.tls_key, "private key", "tls_key")
        facts = read_certificate(cert_pem, str(cert_path))
        if not key_matches(cert_pem, key_pem, str(key_path)):
            raise TlsError(f"{key_path} is not the key of {cert_path}: choose the key the certificate was made for.")
        if facts.days_left() < 0:
            raise TlsError(f"{cert_path} expired on {facts.not_after:%Y-%m-%d}: renew it, then start again.")
        self._write_server(Issued(key_pem, cert_pem))
        return Certificate(self.server_cert, facts, own=True)

    # -- for clients ----------------------------------------------------------------

    def trusted_ca(self, settings: ServerSettings) -> Path | None:
        """The CA file clients must trust: the app's, or yours (None: the system's trust store)."""
        if settings.tls_cert:
            return Path(settings.tls_ca).expanduser() if settings.tls_ca else None
        return self.ca_cert

    def verify(self, settings: ServerSettings) -> str | bool:
        """What ``requests`` verifies the server with."""
        ca = self.trusted_ca(settings) if settings.https else None
        return str(ca) if ca is not None else True

    def export_ca(self, settings: ServerSettings, target: Path) -> Path:
        """Write the CA certificate clients must trust (PEM) to ``target``."""
        ca = self.trusted_ca(settings)
        if ca is None:
            raise TlsError("Your own certificate is trusted through the system's CAs: there is no CA file to export.")
        if settings.https and not settings.tls_cert:
            self._authority()
        try:
            pem = self._ca_pem(settings, ca)
            target.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(target, pem, mode=0o644)
        except FileNotFoundError:
            raise TlsError(f"There is no CA certificate yet ({ca}): turn on HTTPS and start the server once.") from None
        except OSError as exc:
            raise TlsError(f"Cannot write {target}: {exc.strerror or exc}.") from exc
        return target

    def client_bundle(self, settings: ServerSettings) -> Path | None:
        """The CAs this machine trusts already plus this server's, for clients that take one bundle (pip's
        ``cert``, uv's ``SSL_CERT_FILE``): with the server's CA alone they could no longer reach PyPI
        through the fallback, nor pass a company proxy whose CA the machine trusts."""
        ca = self.trusted_ca(settings)
        if ca is None:
            return None
        bundle = self.bundle
        text = _machine_cas(bundle).rstrip(b"\n") + b"\n" + self._ca_pem(settings, ca)
        if not bundle.exists() or bundle.read_bytes() != text:
            self.data_dir.ca_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            write_atomic(bundle, text, mode=0o644)
        return bundle

    def _ca_pem(self, settings: ServerSettings, ca: Path) -> bytes:
        """The CA certificate's PEM: the app's own as it is, yours checked as ``settings set`` checks it."""
        if not settings.tls_cert:
            return certificates_only(ca.read_bytes(), str(ca))  # never the key, whatever the file holds
        return ca_certificates(settings.tls_ca)


def _machine_cas(ours: Path) -> bytes:
    """The PEM bundle this machine trusts: ``SSL_CERT_FILE``, else OpenSSL's default file, else certifi's."""
    import ssl

    import certifi

    paths = ssl.get_default_verify_paths()
    for candidate in (os.environ.get("SSL_CERT_FILE"), paths.cafile, paths.openssl_cafile, certifi.where()):
        if candidate and Path(candidate).is_file() and Path(candidate).resolve() != ours.resolve():
            return Path(candidate).read_bytes()
    return b""
