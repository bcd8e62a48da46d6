"""The upstream index (PyPI, or any PEP 503/691 index) as the server reaches it: its project pages, read as JSON
first, and its files (runs inside the server, standard library only).

The network is the one the user has: urllib follows ``HTTPS_PROXY``/``HTTP_PROXY`` and
``NO_PROXY`` from the environment (the app hands the host's to the container), and trusts the CA
bundle given (``--upstream-ca``, else ``SSL_CERT_FILE`` or ``REQUESTS_CA_BUNDLE``), else the
system's. Credentials for a company index (``--upstream-credentials``: a JSON file with
``username`` and ``password`` beside the server's other secrets) are sent to the index's own host
only, never to a file host elsewhere. When upstream cannot be reached, :func:`why_unreachable` says
why in one sentence: DNS, TLS trust, the proxy, a refusal, a timeout, or the answer it gave.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
ACCEPT = f"{JSON_TYPE}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1"
TIMEOUT = 20.0
MAX_PAGE = 64 * 1024 * 1024  # PyPI's largest project pages are a few MB
USER_AGENT = "pypi-desk-cache/1"


class UpstreamError(Exception):
    """Upstream did not give what was asked: ``status`` is its HTTP status (None: it could not be reached)."""

    def __init__(self, why: str, status: int | None = None, reached: bool = False) -> None:
        super().__init__(why)
        self.why = why
        self.status = status
        self.reached = reached  # upstream answered (with a page that is not one): not a network problem


@dataclass(frozen=True)
class UpstreamFile:
    """One file on an upstream project page."""

    filename: str
    url: str  # absolute, without the fragment
    hashes: dict  # algorithm: hex digest
    requires_python: str | None = None
    yanked: str | None = None  # None: not yanked; else the reason (maybe "")
    upload_time: str | None = None  # PEP 700's ISO text
    size: int | None = None
    metadata_sha256: str | None = None  # the PEP 658 file's sha256, when upstream serves one

    def as_json(self) -> dict:
        return {"filename": self.filename, "url": self.url, "hashes": self.hashes,
                "requires-python": self.requires_python, "yanked": self.yanked, "upload-time": self.upload_time,
                "size": self.size, "core-metadata": self.metadata_sha256}  # fmt: skip

    @classmethod
    def from_json(cls, entry: dict) -> UpstreamFile:
        get = entry.get
        return cls(entry["filename"], entry["url"], dict(get("hashes") or {}), get("requires-python"), get("yanked"),
                   get("upload-time"), get("size"), get("core-metadata"))  # fmt: skip


def safe_filename(name: object) -> bool:
    """A file name the cache may store and serve: no folder, no dot first, no control character."""
    return (isinstance(name, str) and 0 < len(name) <= 255 and os.path.basename(name) == name and "\\" not in name
            and not name.startswith(".") and name.isprintable())  # fmt: skip


class Upstream:
    """One upstream index, reached through the user's proxy and CA bundle."""

    def __init__(self, url: str, ca_file: str | None = None, credentials: str | None = None) -> None:
        self.url = url.rstrip("/") + "/"
        self.host = urlsplit(self.url).hostname or ""
        ca_file = ca_file or os.environ.get("SSL_CERT_FILE") or os.environ.get("REQUESTS_CA_BUNDLE") or None
        context = ssl.create_default_context(cafile=ca_file if ca_file and os.path.isfile(ca_file) else None)
        proxies = {urlsplit(url).hostname for url in urllib.request.getproxies().values() if "://" in str(url)}
        trusted = {self.host, *proxies} - {None, ""}
        self._opener = urllib.request.OpenerDirector()  # HTTP(S) only: never file:, ftp: or data: a page names
        for handler in (urllib.request.ProxyHandler(), _GuardedHTTP(trusted), _GuardedHTTPS(trusted, context),
                        urllib.request.HTTPRedirectHandler(), urllib.request.HTTPDefaultErrorHandler(),
                        urllib.request.HTTPErrorProcessor()):  # fmt: skip
            self._opener.add_handler(handler)
        self._authorization = _authorization(credentials)

    def open(self, url: str, accept: str = "*/*"):
        """The answer to a GET of ``url`` (a response to read and close); raises :class:`UpstreamError`."""
        refused = self.refused(url)
        if refused:
            raise UpstreamError(refused)
        request = urllib.request.Request(url, headers={"Accept": accept, "User-Agent": USER_AGENT})
        if self._authorization and urlsplit(url).hostname == self.host:  # never sent on to where it redirects
            request.add_unredirected_header("Authorization", self._authorization)
        try:
            return self._opener.open(request, timeout=TIMEOUT)
        except urllib.error.HTTPError as exc:
            exc.close()
            raise UpstreamError(_http_why(exc.geturl() or url, exc.code, exc.reason), exc.code) from None
        except (OSError, ValueError, http_errors()) as exc:
            raise UpstreamError(why_unreachable(url, exc)) from None

    def refused(self, url: str) -> str:
        """Why a URL a page names is not fetched ("" : it is): not HTTP(S), or this machine's or a private network's
        address other than upstream's own (a page must not make the server fetch what only it can reach)."""
        import ipaddress

        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return f"upstream names a file at {parts.scheme or 'a relative'}: URL; only http(s) is fetched"
        try:
            address = ipaddress.ip_address((parts.hostname or "").strip("[]"))
        except ValueError:
            return ""
        if parts.hostname == self.host or not (address.is_loopback or address.is_link_local or address.is_unspecified):
            return ""
        return f"upstream names a file at {parts.hostname}, an address only this server reaches; it is not fetched"

    def project_files(self, project: str) -> list[UpstreamFile]:
        """The files upstream's page for ``project`` lists (JSON, or HTML when upstream speaks only that)."""
        page_url = urljoin(self.url, f"{project}/")
        with self.open(page_url, ACCEPT) as response:
            body = response.read(MAX_PAGE + 1)
            kind = response.headers.get("Content-Type", "")
            final_url = response.geturl()
        if len(body) > MAX_PAGE:
            raise UpstreamError(f"upstream's page for {project} is larger than {MAX_PAGE // 2**20} MB", reached=True)
        try:
            if JSON_TYPE in kind or body.lstrip()[:1] == b"{":
                return _json_files(json.loads(body), final_url)
            return _html_files(body.decode("utf-8", "replace"), final_url)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            why = f"upstream's page for {project} is not a simple-API page ({exc})"
            raise UpstreamError(why, reached=True) from None


class PrivateAddress(OSError):
    """A connection reached this machine or a private network for a host that is neither upstream nor a proxy."""


def _guarded(base: type, trusted: set[str]) -> type:
    """``base`` (an HTTP(S) connection) that judges, once connected, the address it reached (whatever a page
    names, whatever it redirects to, whatever a name resolved to), unless its host is upstream's own or the user's
    proxy: this machine, a link-local address (a cloud's metadata service) and the like are refused; a private
    network's address is allowed (networks route public names so), but its answer is marked ``peer_is_global =
    False``, and no byte of it reaches a client before its hash has matched (``file_fetch``)."""
    import ipaddress

    class Guarded(base):
        peer_is_global = True

        def connect(self) -> None:
            super().connect()
            if self.host in trusted:
                return
            address = ipaddress.ip_address(self.sock.getpeername()[0].split("%", 1)[0])
            if address.is_loopback or address.is_link_local or address.is_unspecified or address.is_multicast:
                self.sock.close()
                raise PrivateAddress(0, f"{self.host} is at {address}, an address only this server reaches; "
                                        "a page may not make it fetch from there")  # fmt: skip
            self.peer_is_global = address.is_global

        def getresponse(self):
            response = super().getresponse()
            response.peer_is_global = self.peer_is_global
            return response

    return Guarded


class _GuardedHTTP(urllib.request.HTTPHandler):
    def __init__(self, trusted: set[str]) -> None:
        super().__init__()
        self._connection = _guarded(http_client().HTTPConnection, trusted)

    def http_open(self, req):
        return self.do_open(self._connection, req)


class _GuardedHTTPS(urllib.request.HTTPSHandler):
    def __init__(self, trusted: set[str], context: ssl.SSLContext) -> None:
        super().__init__(context=context)
        self._connection = _guarded(http_client().HTTPSConnection, trusted)
        self._guarded_context = context

    def https_open(self, req):
        return self.do_open(self._connection, req, context=self._guarded_context)


def http_client():
    import http.client

    return http.client


def http_errors() -> type:
    import http.client

    return http.client.HTTPException


def _authorization(path: str | None) -> str | None:
    if not path:
        return None
    try:
        with open(path, "rb") as handle:
            given = json.loads(handle.read(65536))
        pair = f"{given['username']}:{given['password']}"
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")


def _http_why(url: str, code: int, reason: object) -> str:
    host = urlsplit(url).hostname or url
    if code in (401, 403):
        return (f"{host} answered {code} {reason}: upstream needs a user name and password PyPI Desk was not given, "
                "or refuses the ones it was")  # fmt: skip
    if code == 407:
        return f"the proxy asks for a password ({code} {reason}): put it in HTTPS_PROXY as http://user:pass@proxy:port"
    return f"{host} answered {code} {reason}"


def _proxy_for(url: str) -> str | None:
    parts = urlsplit(url)
    proxies = urllib.request.getproxies()
    proxy = proxies.get(parts.scheme)
    if not proxy or urllib.request.proxy_bypass(parts.hostname or ""):
        return None
    return proxy


def why_unreachable(url: str, exc: BaseException) -> str:
    """One sentence: why ``url`` could not be fetched (DNS, TLS trust, the proxy, refused, timeout)."""
    reason = getattr(exc, "reason", exc)
    host = urlsplit(url).hostname or url
    proxy = _proxy_for(url)
    proxy_host = urlsplit(proxy).hostname if proxy else None
    text = str(reason)
    if isinstance(reason, ssl.SSLCertVerificationError):
        return (f"TLS: {host}'s certificate is not trusted ({reason.verify_message}); if your network inspects "
                "HTTPS, give its CA bundle (SSL_CERT_FILE) before starting the server")  # fmt: skip
    if isinstance(reason, ssl.SSLError):
        return f"TLS: the secure connection to {host} failed ({text})"
    if "Tunnel connection failed" in text:
        return f"proxy: {proxy_host or 'the proxy'} refused to connect to {host} ({text.split(':', 1)[-1].strip()})"
    target = f"the proxy {proxy_host}" if proxy_host else host
    if isinstance(reason, socket.gaierror):
        return f"DNS: the name {target if proxy_host else host} cannot be resolved; check the network or the URL"
    if isinstance(reason, ConnectionRefusedError):
        return f"refused: {target} refused the connection (nothing listens there, or a firewall says no)"
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return f"timeout: {target} did not answer within {TIMEOUT:.0f} s"
    if isinstance(reason, OSError) and reason.strerror:
        return f"{target} cannot be reached ({reason.strerror})"
    return f"{target} cannot be reached ({text or type(reason).__name__})"


def _hashes(fragment: str) -> dict:
    algo, sep, value = fragment.partition("=")
    return {algo.lower(): value.lower()} if sep and algo and _hex(value) else {}


def _text(value: object, limit: int = 1000) -> str | None:
    """A page's text as it may reach a page of ours and a terminal: a string, one line, no control characters."""
    if not isinstance(value, str) or not value:
        return None
    return "".join(c if c.isprintable() else " " for c in value[:limit]).strip() or None


def _hex(value: object) -> str | None:
    text = value.lower() if isinstance(value, str) else ""
    return text if 0 < len(text) <= 256 and all(c in "0123456789abcdef" for c in text) else None


def _json_files(page: dict, base: str) -> list[UpstreamFile]:
    found = []
    for entry in page["files"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
            continue
        url, fragment = urldefrag(urljoin(base, entry["url"]))
        yanked = entry.get("yanked", False)
        metadata = entry.get("core-metadata", entry.get("dist-info-metadata", False))
        given = entry.get("hashes") if isinstance(entry.get("hashes"), dict) else {}
        hashes = {str(k).lower(): _hex(v) for k, v in given.items() if _hex(v)} or _hashes(fragment)
        size = entry.get("size")
        found.append(UpstreamFile(
            filename=entry.get("filename") if isinstance(entry.get("filename"), str) else "", url=url, hashes=hashes,
            requires_python=_text(entry.get("requires-python")),
            yanked=None if yanked is False else ("" if yanked is True else (_text(yanked) or "")),
            upload_time=_text(entry.get("upload-time"), 64),
            size=size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None,
            metadata_sha256=_hex(metadata.get("sha256")) if isinstance(metadata, dict) else None,
        ))  # fmt: skip
    return found


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[dict] = []
        self._current: dict | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "a":
            self._current = {key: value for key, value in attrs}
            self._current["text"] = ""

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self._current["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._current is not None:
            self.links.append(self._current)
            self._current = None


def _html_files(text: str, base: str) -> list[UpstreamFile]:
    parser = _Links()
    parser.feed(text)
    found = []
    for link in parser.links:
        if not link.get("href"):
            continue
        url, fragment = urldefrag(urljoin(base, link["href"]))
        name = link["text"].strip() or os.path.basename(urlsplit(url).path)
        metadata = link.get("data-core-metadata") or link.get("data-dist-info-metadata")
        metadata_hash = _hashes(metadata).get("sha256") if metadata else None
        yanked = (_text(link["data-yanked"]) or "") if "data-yanked" in link else None
        found.append(UpstreamFile(name, url, _hashes(fragment), _text(link.get("data-requires-python")),
                                  yanked, None, None, metadata_hash))  # fmt: skip
    return found
