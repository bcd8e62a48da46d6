"""Keys and certificates made with ``cryptography``: a small certificate authority and the server's certificate.

The authority's key never leaves the data folder's ``ca/`` (0600, never mounted into a
container); clients trust its certificate. The server certificate names every host
name and address clients use, as subjectAltName entries (what TLS clients check).

The authority is name-constrained (RFC 5280 permitted subtrees): it can vouch only for the
server's own host names (and their subdomains) and for loopback, private and link-local
addresses plus the server's own public ones. A copy of its key (in a backup, say) cannot
make a certificate for pypi.org that pip, which trusts it, would accept.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from gui.services.index.public_names import is_public_suffix, overlaps_public_index

CA_DAYS = 3650
SERVER_DAYS = 397  # what browsers accept for a server certificate


@dataclass(frozen=True)
class Issued:
    key_pem: bytes
    cert_pem: bytes


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


#: Addresses the authority may always vouch for: a LAN or VPN address may change, a public site's never matches.
LOCAL_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in ("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "100.64.0.0/10",
                "::1/128", "fc00::/7", "fe80::/10")
)  # fmt: skip


def _address(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return None


#: Names no public site can have (RFC 6762, 8375 and common practice): a name added later under one of
#: these needs no new authority.
LOCAL_SUFFIXES = ("localhost", "local", "lan", "internal", "home.arpa", "localdomain", "intranet", "corp", "private")


def vouchable(name: str) -> bool:
    """Whether the authority may vouch for ``name``: any address (public ones exactly), a local suffix, or a
    DNS name that is not a public suffix (``org``, ``co.uk``: a subtree that holds everyone's sites)."""
    if _address(name) is not None:
        return True
    cleaned = name.lower().rstrip(".")
    if "*" in cleaned or overlaps_public_index(cleaned):
        return False
    if any(cleaned == suffix or cleaned.endswith("." + suffix) for suffix in LOCAL_SUFFIXES):
        return True
    return bool(cleaned) and not is_public_suffix(cleaned)


def _constraints(names: list[str]) -> x509.NameConstraints:
    """Permitted subtrees: the DNS names given and the local suffixes, the local networks, and any other
    address given exactly."""
    given = {name.lower().rstrip(".") for name in names if _address(name) is None and vouchable(name)}
    dns = sorted(given | set(LOCAL_SUFFIXES))
    networks = list(LOCAL_NETWORKS)
    for name in names:
        address = _address(name)
        if address is not None and not any(
            address in network for network in networks if network.version == address.version
        ):
            networks.append(ipaddress.ip_network(address))
    permitted = [x509.DNSName(name) for name in dns] + [x509.IPAddress(network) for network in networks]
    return x509.NameConstraints(permitted_subtrees=permitted, excluded_subtrees=None)


def permits(authority_cert_pem: bytes, names: list[str]) -> bool:
    """Whether the authority is name-constrained and its permitted subtrees cover every one of ``names``."""
    cert = x509.load_pem_x509_certificate(authority_cert_pem)
    try:
        constraints = cert.extensions.get_extension_for_class(x509.NameConstraints).value
    except x509.ExtensionNotFound:
        return False
    subtrees = constraints.permitted_subtrees or []
    dns = [tree.value.lower() for tree in subtrees if isinstance(tree, x509.DNSName)]
    networks = [tree.value for tree in subtrees if isinstance(tree, x509.IPAddress)]
    if not all(vouchable(base) for base in dns) or any(
        network not in LOCAL_NETWORKS and network.num_addresses > 1 for network in networks
    ):
        return False  # wider than PyPI Desk would make it (a restored backup's, say): pypi.org might be in reach
    for name in names:
        address = _address(name)
        if address is not None:
            if not any(address.version == net.version and address in net for net in networks):
                return False
        elif not any(name.lower().rstrip(".") == base or name.lower().endswith("." + base) for base in dns):
            return False
    return True


def make_authority(label: str, names: list[str]) -> Issued:
    """A self-signed CA that may sign server certificates only (path length 0), for ``names`` only."""
    key = _key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"PyPI Desk CA ({label})"[:64])])
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(_constraints(names), critical=True)
        .sign(key, hashes.SHA256())
    )
    return Issued(_key_pem(key), cert.public_bytes(serialization.Encoding.PEM))


def issue_server(authority: Issued, names: list[str], days: int = SERVER_DAYS) -> Issued:
    """A server certificate for ``names`` (host names and IP addresses), signed by ``authority``."""
    ca_key = serialization.load_pem_private_key(authority.key_pem, password=None)
    ca_cert = x509.load_pem_x509_certificate(authority.cert_pem)
    key = _key()
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0][:64])]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([_general_name(name) for name in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return Issued(_key_pem(key), cert.public_bytes(serialization.Encoding.PEM))


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name.strip("[]")))
    except ValueError:
        return x509.DNSName(name)
