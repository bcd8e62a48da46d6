"""The network the user has, handed to the server that reaches upstream: the proxy variables and a custom CA
bundle (a corporate network's HTTPS inspection) as this machine's environment gives them."""

from __future__ import annotations

import os
from pathlib import Path

PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "ALL_PROXY")
CA_VARIABLES = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "PIP_CERT")
#: Where a folder's server container sees the CA bundle (a read-only mount of the host's file).
CA_IN_CONTAINER = "/opt/pypi-desk-upstream-ca.pem"


def proxy_environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The proxy variables set here, in both spellings (curl and urllib read lower case, others upper)."""
    environ = os.environ if environ is None else environ
    found: dict[str, str] = {}
    for name in PROXY_VARIABLES:
        value = environ.get(name) or environ.get(name.lower())
        if value:
            found[name] = found[name.lower()] = value
    return found


def host_ca_bundle(environ: dict[str, str] | None = None) -> Path | None:
    """The CA bundle this machine's tools are told to trust (the first of SSL_CERT_FILE, REQUESTS_CA_BUNDLE,
    PIP_CERT that is a readable file), resolved; None when none is set."""
    environ = os.environ if environ is None else environ
    for name in CA_VARIABLES:
        value = environ.get(name)
        if value and os.path.isfile(value) and os.access(value, os.R_OK):
            return Path(value).resolve()
    return None
