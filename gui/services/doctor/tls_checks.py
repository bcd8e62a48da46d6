"""The Doctor's checks of HTTPS: the server's certificate, and what in the environment overrides the trust."""

from __future__ import annotations

import os
from pathlib import Path

from gui.services.core import DeskServices
from gui.services.doctor.findings import Finding, Outcome
from gui.services.errors import DeskError
from gui.services.index.settings import ServerSettings
from gui.services.tls.inspect import key_matches
from gui.services.tls.service import RENEW_DAYS

#: Variables that make a client ignore the trust its configuration file names.
OVERRIDES = {
    "REQUESTS_CA_BUNDLE": "twine (requests) uses it instead of .pypirc's ca_cert",
    "CURL_CA_BUNDLE": "twine (requests) uses it instead of .pypirc's ca_cert",
    "PIP_CERT": "pip uses it instead of pip.conf's cert",
}


def certificate(services: DeskServices, settings: ServerSettings) -> Finding:
    name = "HTTPS"
    if not settings.https:
        if settings.exposed:
            return Finding(
                name,
                Outcome.WARNING,
                f"The server listens on {settings.host} without HTTPS: passwords cross the network in clear text.",
                "Turn on HTTPS.",
                "turn_on_https",
            )
        return Finding(name, Outcome.SKIPPED, "HTTPS is off; the server listens on this computer only.")
    tls = services.server.tls
    try:
        current = tls.certificate(settings)
    except DeskError as exc:
        return Finding(name, Outcome.PROBLEM, str(exc), "Renew the certificate.", "renew_certificate")
    if current is None:
        return Finding(name, Outcome.OK, "The certificate is made at the next start.")
    facts = current.facts
    host = settings.local_host
    missing = [wanted for wanted in [host, *settings.extra_names] if not facts.covers(wanted)]
    days = facts.days_left()
    try:
        matches = key_matches(tls.server_cert.read_bytes(), tls.server_key.read_bytes(), str(tls.server_key))
    except (OSError, DeskError) as exc:
        return Finding(name, Outcome.PROBLEM, f"The server's key cannot be used: {exc}", "Renew the certificate.",
                       "renew_certificate")  # fmt: skip
    fix = "Renew the certificate, then restart the server." if not current.own else (
        "Have your certificate reissued (or renewed), then start the server again."
    )  # fmt: skip
    action = "" if current.own else "renew_certificate"
    if not matches:
        return Finding(name, Outcome.PROBLEM, f"{tls.server_key} is not the key of {tls.server_cert}.", fix, action)
    if days < 0:
        return Finding(name, Outcome.PROBLEM, f"The certificate expired on {facts.not_after:%Y-%m-%d}.", fix, action)
    if missing:
        return Finding(
            name,
            Outcome.PROBLEM,
            f"The certificate does not name {', '.join(missing)}, so clients reaching the server there refuse it "
            f"(it names {', '.join(facts.names)}).",
            fix,
            action,
        )
    if days < RENEW_DAYS:
        return Finding(name, Outcome.WARNING, f"The certificate expires in {days} days.", fix, action)
    whose = "your own certificate" if current.own else "PyPI Desk's CA"
    return Finding(
        name, Outcome.OK, f"{settings.url} presents a certificate from {whose} for {', '.join(facts.names)}; "
        f"{days} days left.",
    )  # fmt: skip


def trust_overrides(services: DeskServices, settings: ServerSettings) -> Finding:
    """Environment variables that would make twine, pip or uv ignore the CA the client setup wrote."""
    name = "TLS trust"
    if not settings.https:
        return Finding(name, Outcome.SKIPPED, "HTTPS is off.")
    tls = services.server.tls
    ca = tls.trusted_ca(settings)  # a check reads: the bundle is written by the client setup, not here
    if ca is None:
        return Finding(name, Outcome.OK, "Clients trust the server through the system's CAs.")
    found = [f"{var} is set, so {why}" for var, why in OVERRIDES.items() if os.environ.get(var)]
    cert_file = os.environ.get("SSL_CERT_FILE")
    if cert_file and not _holds(Path(cert_file), ca):
        found.append(f"SSL_CERT_FILE={cert_file} does not hold this server's CA, so uv refuses the server")
    if not found:
        return Finding(name, Outcome.OK, f"twine, pip and uv find {ca} in their setup.")
    return Finding(
        name,
        Outcome.WARNING,
        "; ".join(found) + ".",
        f"Unset those variables, or point them at {tls.bundle} (the usual CAs plus this server's).",
    )


def _holds(bundle: Path, ca: Path) -> bool:
    """Whether ``bundle`` holds ``ca``; files that are not regular (a pipe would block the Doctor) do not."""
    from gui.services.errors import TlsError
    from gui.services.tls.files import read_pem_file

    try:
        wanted = read_pem_file(str(ca), "CA certificate", "the CA").strip()
        return wanted in read_pem_file(str(bundle), "CA bundle", "the bundle")
    except TlsError:
        return False
