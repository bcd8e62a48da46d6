"""Why upstream cannot be reached, in one sentence each: DNS, TLS trust, the proxy, refused; and what the proxy
variables and CA bundle of this machine become for the server."""

from __future__ import annotations

import socket
import ssl
import urllib.error

import pytest

from gui.services.server.inside.upstream import Upstream, UpstreamError, why_unreachable
from gui.services.server.upstream_network import host_ca_bundle, proxy_environment
from tests.conftest import free_port


def test_each_kind_of_failure_is_named():
    url = "https://pypi.example.com/simple/six/"
    dns = why_unreachable(url, urllib.error.URLError(socket.gaierror(-2, "Name or service not known")))
    assert dns.startswith("DNS:") and "pypi.example.com" in dns
    tls = ssl.SSLCertVerificationError(1, "certificate verify failed")
    tls.verify_message = "unable to get local issuer certificate"
    assert why_unreachable(url, urllib.error.URLError(tls)).startswith("TLS:")
    assert "SSL_CERT_FILE" in why_unreachable(url, urllib.error.URLError(tls))
    refused = why_unreachable(url, urllib.error.URLError(ConnectionRefusedError(111, "Connection refused")))
    assert refused.startswith("refused:")
    tunnel = why_unreachable(url, urllib.error.URLError(OSError("Tunnel connection failed: 403 Forbidden")))
    assert tunnel.startswith("proxy:") and "403 Forbidden" in tunnel


def test_a_proxy_that_cannot_be_reached_is_named_as_the_proxy(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{free_port()}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    with pytest.raises(UpstreamError) as caught:
        Upstream("https://pypi.example.com/simple/").project_files("six")
    assert caught.value.why.startswith("refused: the proxy 127.0.0.1")


def test_the_hosts_proxy_variables_and_ca_bundle_are_handed_on(monkeypatch, tmp_path):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    monkeypatch.setenv("no_proxy", "localhost,.corp")
    found = proxy_environment()
    assert found["HTTPS_PROXY"] == found["https_proxy"] == "http://proxy.corp:3128"
    assert found["NO_PROXY"] == found["no_proxy"] == "localhost,.corp"
    bundle = tmp_path / "corp-ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    assert host_ca_bundle({"SSL_CERT_FILE": str(tmp_path / "missing"), "REQUESTS_CA_BUNDLE": str(bundle)}) == bundle
    assert host_ca_bundle({}) is None
