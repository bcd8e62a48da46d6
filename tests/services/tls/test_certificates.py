"""The app's CA and server certificate (cryptography), your own certificate, and what clients are given."""

from __future__ import annotations

import ssl
import stat
from pathlib import Path

import pytest

from gui.services.errors import TlsError
from gui.services.index.datadir import DataDir
from gui.services.index.settings import ServerSettings
from gui.services.tls.authority import issue_server, make_authority
from gui.services.tls.inspect import read_certificate
from gui.services.tls.service import TlsService

HTTPS = ServerSettings(https=True, tls_names="pypi.team.lan, 10.1.2.3")


def test_the_server_certificate_names_every_address_and_the_ca_key_stays_private(data_dir: DataDir) -> None:
    tls = TlsService(data_dir)
    made = tls.ensure(HTTPS)
    for name in ("localhost", "127.0.0.1", "::1", "pypi.team.lan", "10.1.2.3"):
        assert made.facts.covers(name), name
    assert not made.facts.covers("evil.example")
    assert made.facts.days_left() > 300 and not made.own
    assert stat.S_IMODE(tls.ca_key.stat().st_mode) == 0o600
    assert stat.S_IMODE(tls.server_key.stat().st_mode) == 0o600
    assert not any(path.name.startswith("ca") for path in data_dir.tls_dir.iterdir())  # only tls/ is mounted

    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(tls.server_cert, tls.server_key)  # what gunicorn loads
    client = ssl.create_default_context(cafile=str(tls.ca_cert))
    assert client.cert_store_stats()["x509_ca"] == 1

    again = tls.ensure(HTTPS)
    assert again.facts.not_after == made.facts.not_after  # nothing to renew: the same certificate
    renamed = tls.ensure(HTTPS.replace(tls_names="pypi.team.lan, 10.1.2.3, new.team.lan"))
    assert renamed.facts.covers("new.team.lan")  # a name added: a new certificate from the same CA
    assert renamed.facts.issuer == made.facts.issuer


def test_a_certificate_close_to_expiry_is_renewed_at_the_next_start(data_dir: DataDir) -> None:
    tls = TlsService(data_dir)
    tls.ensure(HTTPS)
    authority = make_authority("test", ["localhost", "127.0.0.1"])
    tls.ca_key.write_bytes(authority.key_pem)
    tls.ca_cert.write_bytes(authority.cert_pem)
    short = issue_server(authority, ["localhost", "127.0.0.1"], days=5)
    tls.server_cert.write_bytes(short.cert_pem)
    tls.server_key.write_bytes(short.key_pem)
    assert read_certificate(tls.server_cert.read_bytes(), "").days_left() < 30
    renewed = tls.ensure(HTTPS)
    assert renewed.facts.days_left() > 300


def test_your_own_certificate_is_checked_then_used(data_dir: DataDir, tmp_path: Path) -> None:
    authority = make_authority("corp", ["pypi.corp.example", "127.0.0.1"])
    issued = issue_server(authority, ["pypi.corp.example", "127.0.0.1"])
    other = issue_server(authority, ["elsewhere"])
    (tmp_path / "cert.pem").write_bytes(issued.cert_pem)
    (tmp_path / "key.pem").write_bytes(issued.key_pem)
    (tmp_path / "other-key.pem").write_bytes(other.key_pem)
    (tmp_path / "corp-ca.pem").write_bytes(authority.cert_pem)
    own = ServerSettings(https=True, tls_cert=str(tmp_path / "cert.pem"), tls_key=str(tmp_path / "key.pem"))
    tls = TlsService(data_dir)

    wrong_key = own.replace(tls_key=str(tmp_path / "other-key.pem"))
    with pytest.raises(TlsError, match="is not the key of"):
        tls.ensure(wrong_key)
    (tmp_path / "not-a-cert.pem").write_text("hello")
    with pytest.raises(TlsError, match="not a PEM"):
        tls.ensure(own.replace(tls_cert=str(tmp_path / "not-a-cert.pem")))
    with pytest.raises(TlsError, match="renew it where it was issued"):
        tls.renew(own)

    used = tls.ensure(own)
    assert used.own and tls.server_cert.read_bytes() == issued.cert_pem
    assert not tls.ca_key.exists()  # no CA of the app's is made for your own certificate
    assert tls.trusted_ca(own) is None and tls.verify(own) is True  # the system's CAs
    with_ca = own.replace(tls_ca=str(tmp_path / "corp-ca.pem"))
    assert tls.verify(with_ca) == str(tmp_path / "corp-ca.pem")


def test_export_and_the_clients_bundle_hold_the_ca(data_dir: DataDir, tmp_path: Path) -> None:
    tls = TlsService(data_dir)
    tls.ensure(HTTPS)
    exported = tls.export_ca(HTTPS, tmp_path / "team" / "pypi-desk-ca.pem")
    assert exported.read_bytes() == tls.ca_cert.read_bytes()
    assert b"PRIVATE KEY" not in exported.read_bytes()
    bundle = tls.client_bundle(HTTPS)
    text = bundle.read_bytes()
    assert tls.ca_cert.read_bytes() in text and text.count(b"BEGIN CERTIFICATE") > 10  # the usual CAs too


def test_settings_refuse_half_a_certificate_and_bad_names() -> None:
    from gui.services.errors import SettingsError

    with pytest.raises(SettingsError, match="needs both files"):
        ServerSettings(https=True, tls_cert="/x.pem").validate()
    with pytest.raises(SettingsError, match="not a host name"):
        ServerSettings(https=True, tls_names="a b").validate()
    assert ServerSettings(https=True).url == "https://127.0.0.1:8080"
    exposed = ServerSettings(host="0.0.0.0")
    assert any("without HTTPS" in warning for warning in exposed.warnings())
    assert not exposed.replace(https=True).warnings()
