"""The app's CA vouches only for this server's names; a named certificate file must be one; ca/ stays private."""

from __future__ import annotations

import datetime
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from gui.services.core import DeskServices
from gui.services.errors import DeskError
from gui.services.index.datadir import DataDir
from gui.services.index.settings import ServerSettings
from gui.services.tls.authority import Issued, issue_server, make_authority, permits
from gui.services.tls.service import TlsService

HTTPS = ServerSettings(https=True, tls_names="pypi.team.example")


def settings_set(folder: Path, *changes: str) -> subprocess.CompletedProcess:
    """``pypi-desk settings set`` on ``folder``/server, typed in ``folder`` (where relative paths start)."""
    command = [sys.executable, "-m", "gui", "--data-dir", str(folder / "server"), "settings", "set", *changes]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=folder)


def forged(authority: Issued, name: str) -> x509.Certificate:
    """What someone holding the CA's key (from a backup, say) would sign: a certificate for any name."""
    ca_key = serialization.load_pem_private_key(authority.key_pem, password=None)
    ca_cert = x509.load_pem_x509_certificate(authority.cert_pem)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def trusted_for(authority: Issued, leaf: x509.Certificate, name: str) -> bool:
    store = Store([x509.load_pem_x509_certificate(authority.cert_pem)])
    verifier = PolicyBuilder().store(store).build_server_verifier(x509.DNSName(name))
    try:
        verifier.verify(leaf, [])
    except VerificationError:
        return False
    return True


def test_the_ca_cannot_vouch_for_pypi_org(data_dir: DataDir) -> None:
    tls = TlsService(data_dir)
    tls.ensure(HTTPS)
    authority = Issued(tls.ca_key.read_bytes(), tls.ca_cert.read_bytes())
    assert trusted_for(authority, forged(authority, "pypi.team.example"), "pypi.team.example")
    assert trusted_for(authority, forged(authority, "localhost"), "localhost")
    assert not trusted_for(authority, forged(authority, "pypi.org"), "pypi.org")
    assert not trusted_for(authority, forged(authority, "files.pythonhosted.org"), "files.pythonhosted.org")


def test_an_older_unconstrained_ca_is_replaced_and_the_start_says_so(data_dir: DataDir) -> None:
    tls = TlsService(data_dir)
    tls.ensure(HTTPS)
    old = make_authority("old", [])
    unconstrained = x509.load_pem_x509_certificate(old.cert_pem)
    key = serialization.load_pem_private_key(old.key_pem, password=None)
    builder = x509.CertificateBuilder().subject_name(unconstrained.subject).issuer_name(unconstrained.subject)
    builder = builder.public_key(key.public_key()).serial_number(1)
    builder = builder.not_valid_before(unconstrained.not_valid_before_utc)
    builder = builder.not_valid_after(unconstrained.not_valid_after_utc)
    builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
    tls.ca_cert.write_bytes(builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))
    tls.ca_key.write_bytes(old.key_pem)
    assert not permits(tls.ca_cert.read_bytes(), [])
    renewed = tls.ensure(HTTPS)
    assert "new certificate authority" in renewed.note and "any name" in renewed.note
    assert permits(tls.ca_cert.read_bytes(), ["localhost", "pypi.team.example"])
    assert tls.ensure(HTTPS).note == ""  # once


def test_a_loose_ca_folder_is_tightened(data_dir: DataDir) -> None:
    tls = TlsService(data_dir)
    tls.ensure(HTTPS)
    data_dir.ca_dir.chmod(0o777)
    tls.ca_key.chmod(0o644)
    tls.ensure(HTTPS)
    assert data_dir.ca_dir.stat().st_mode & 0o777 == 0o700 and tls.ca_key.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ("tls_ca=/etc/passwd", "not a PEM file"),
        ("tls_ca=/dev/zero", "not a regular file"),
        ("tls_ca=/etc", "not a regular file"),
        ("tls_ca=/nonexistent/ca.pem", "Cannot read"),
    ],
)
def test_settings_set_refuses_a_file_that_is_not_what_it_names(tmp_path: Path, change: str, said: str) -> None:
    done = settings_set(tmp_path, change)
    assert done.returncode != 0 and said in done.stderr and "unexpected" not in done.stderr.lower()
    assert not (tmp_path / "server" / "pypi-desk.json").exists()


def test_export_refuses_a_ca_that_is_not_a_certificate_even_if_stored(tmp_path: Path) -> None:
    """A settings file written by hand (or an older version) naming /etc/passwd: the export refuses it."""
    authority = make_authority("corp", ["pypi.corp.example"])
    issued = issue_server(authority, ["pypi.corp.example"])
    (tmp_path / "cert.pem").write_bytes(issued.cert_pem)
    (tmp_path / "key.pem").write_bytes(issued.key_pem)
    services = DeskServices.open(tmp_path / "server")
    services.data_dir.ensure()
    settings = ServerSettings(https=True, tls_cert=str(tmp_path / "cert.pem"), tls_key=str(tmp_path / "key.pem"))
    services.data_dir.settings_file.write_text(__import__("json").dumps({**settings.__dict__, "tls_ca": "/etc/passwd"}))
    with pytest.raises(DeskError, match="not a PEM file"):
        services.server.tls.export_ca(services.server.load_settings(), tmp_path / "team-ca.pem")
    assert not (tmp_path / "team-ca.pem").exists()


def test_export_never_replaces_a_device_or_a_pipe(data_dir: DataDir, tmp_path: Path) -> None:
    """As root, a rename over /dev/null would replace the device; a pipe stands in for it here."""
    import os
    import stat

    tls = TlsService(data_dir)
    tls.ensure(HTTPS)
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    with pytest.raises(DeskError, match="not a regular file"):
        tls.export_ca(HTTPS, pipe)
    assert stat.S_ISFIFO(pipe.lstat().st_mode)


def test_a_pipe_a_key_or_a_relative_path_named_as_the_ca_is_refused_without_hanging(tmp_path: Path) -> None:
    import os

    authority = make_authority("corp", ["pypi.corp.example"])
    (tmp_path / "mixed.pem").write_bytes(authority.key_pem + authority.cert_pem)
    (tmp_path / "ca.pem").write_bytes(authority.cert_pem)
    os.mkfifo(tmp_path / "pipe.pem")

    piped = settings_set(tmp_path, f"tls_ca={tmp_path / 'pipe.pem'}")  # used to wait forever for a writer
    assert piped.returncode != 0 and "not a regular file" in piped.stderr
    mixed = settings_set(tmp_path, f"tls_ca={tmp_path / 'mixed.pem'}")
    assert mixed.returncode != 0 and "private key" in mixed.stderr
    relative = settings_set(tmp_path, "tls_ca=ca.pem")  # typed in tmp_path: stored as the whole path
    assert relative.returncode == 0, relative.stderr
    assert DeskServices.open(tmp_path / "server").server.load_settings().tls_ca == str(tmp_path / "ca.pem")


@pytest.mark.parametrize("change", ["tls_names=org", "tls_names=pypi.lan,co.uk", "public_name=github.io"])
def test_a_public_suffix_is_no_server_name(tmp_path: Path, change: str) -> None:
    done = settings_set(tmp_path, change)
    assert done.returncode != 0 and "public suffix" in done.stderr


def test_a_ca_wider_than_pypi_desk_makes_is_replaced(data_dir: DataDir) -> None:
    """A restored backup's CA permitted to vouch for all of .org: not kept."""
    tls = TlsService(data_dir)
    tls.ensure(HTTPS)
    from gui.services.tls import authority as made

    wide = made.make_authority("wide", ["localhost"])
    cert = x509.load_pem_x509_certificate(wide.cert_pem)
    key = serialization.load_pem_private_key(wide.key_pem, password=None)
    constraints = x509.NameConstraints([x509.DNSName("org"), *cert.extensions.get_extension_for_class(
        x509.NameConstraints).value.permitted_subtrees], None)  # fmt: skip
    builder = (
        x509.CertificateBuilder().subject_name(cert.subject).issuer_name(cert.subject).public_key(key.public_key())
    )
    builder = builder.serial_number(2).not_valid_before(cert.not_valid_before_utc)
    builder = builder.not_valid_after(cert.not_valid_after_utc)
    builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
    builder = builder.add_extension(constraints, critical=True)
    tls.ca_cert.write_bytes(builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))
    tls.ca_key.write_bytes(wide.key_pem)
    assert "new certificate authority" in tls.ensure(HTTPS).note
    assert not permits(tls.ca_cert.read_bytes(), ["pypi.org"])


def _self_signed(key, name: str = "pypi.corp.example") -> bytes:
    subject = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
    builder = builder.serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=30))
    builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
    algorithm = None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return builder.sign(key, algorithm).public_bytes(serialization.Encoding.PEM)


def _key_pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@pytest.mark.parametrize("kind", ["ed25519", "rsa1024"])
def test_own_certificates_of_any_key_type_are_checked_in_words(tmp_path: Path, kind: str) -> None:
    key = ed25519.Ed25519PrivateKey.generate() if kind == "ed25519" else rsa.generate_private_key(65537, 1024)
    (tmp_path / "cert.pem").write_bytes(_self_signed(key))
    (tmp_path / "key.pem").write_bytes(_key_pem(key))
    done = settings_set(tmp_path, "https=on", f"tls_cert={tmp_path / 'cert.pem'}", f"tls_key={tmp_path / 'key.pem'}")
    assert "unexpected" not in done.stderr.lower()
    if kind == "ed25519":
        assert done.returncode == 0, done.stderr  # the key matches: compared as public key bytes, any type
    else:
        assert done.returncode != 0 and "1024-bit key" in done.stderr


@pytest.mark.parametrize("change", ["tls_names=*.org", "tls_names=pypi.org", "public_name=files.pythonhosted.org"])
def test_wildcards_and_the_public_index_are_no_server_name(tmp_path: Path, change: str) -> None:
    done = settings_set(tmp_path, change)
    assert done.returncode != 0 and ("wildcard" in done.stderr or "public index" in done.stderr)


def test_the_apps_own_ca_is_never_exported_with_a_key(data_dir: DataDir, tmp_path: Path) -> None:
    tls = TlsService(data_dir)
    tls.ensure(HTTPS)
    tls.ca_cert.write_bytes(tls.ca_cert.read_bytes() + tls.ca_key.read_bytes())  # a restored or edited ca.pem
    with pytest.raises(DeskError, match="private key"):
        tls.export_ca(HTTPS, tmp_path / "team-ca.pem")
    assert not (tmp_path / "team-ca.pem").exists()


def test_the_doctor_never_waits_on_a_pipe_named_as_the_ca(tmp_path: Path, monkeypatch) -> None:
    import os

    from gui.services.doctor.tls_checks import _holds

    os.mkfifo(tmp_path / "ca.pem")
    (tmp_path / "bundle.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    assert _holds(tmp_path / "bundle.pem", tmp_path / "ca.pem") is False  # returns, does not block
