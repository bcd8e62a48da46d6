"""Upstream's pages as the cache reads them: JSON and HTML, yank reasons, metadata hashes; names that could
leave the project's folder never kept; a file without a usable hash never served."""

from __future__ import annotations

import json

import pytest

from gui.services.server.inside import pull_through
from gui.services.server.inside.pull_through import CachedPage, NotAvailable, PullThrough
from gui.services.server.inside.upstream import Upstream, UpstreamError, UpstreamFile, _html_files, _json_files

BASE = "https://pypi.example.com/simple/demo/"


def test_html_and_json_pages_say_the_same_things():
    html = ('<a href="../../files/demo-1.0.tar.gz#sha256=AB12" data-requires-python="&gt;=3.9" data-yanked="broken" '
            'data-core-metadata="sha256=cd34">demo-1.0.tar.gz</a><a href="https://files.example.com/demo-2.0-py3-none-any'
            '.whl#sha256=ef56" data-yanked>demo-2.0-py3-none-any.whl</a>')  # fmt: skip
    first, second = _html_files(html, BASE)
    files_url = "https://pypi.example.com/files/demo-1.0.tar.gz"
    wanted = UpstreamFile("demo-1.0.tar.gz", files_url, {"sha256": "ab12"}, ">=3.9", "broken", None, None, "cd34")
    assert first == wanted
    assert second.yanked == "" and second.url.startswith("https://files.example.com/")
    entry = {"filename": "demo-1.0.tar.gz", "url": "../../files/demo-1.0.tar.gz", "hashes": {"sha256": "AB12"},
             "requires-python": ">=3.9", "yanked": "broken", "core-metadata": {"sha256": "cd34"}, "size": 10,
             "upload-time": "2024-01-02T03:04:05Z"}  # fmt: skip
    page = {"files": [entry]}
    (parsed,) = _json_files(json.loads(json.dumps(page)), BASE)
    assert parsed == UpstreamFile(**{**first.__dict__, "size": 10, "upload_time": "2024-01-02T03:04:05Z"})


@pytest.mark.parametrize("name", ["../evil.whl", "a/b.whl", ".hidden.whl", "x\\y.whl", "page.json\n", ""])
def test_a_file_name_that_could_leave_its_folder_is_never_on_a_page(name):
    page = CachedPage("demo", 0.0, [UpstreamFile(name, "https://x/y", {"sha256": "00"}),
                                    UpstreamFile("demo-1.0.tar.gz", "https://x/z", {"sha256": "11"})])  # fmt: skip
    assert list(page.files) == ["demo-1.0.tar.gz"]


def test_a_file_upstream_names_no_usable_hash_for_is_refused(tmp_path):
    cache = PullThrough(str(tmp_path), Upstream("https://pypi.example.com/simple/"), None, 600.0, lambda _: None)
    page = CachedPage("demo", 1e12, [UpstreamFile("demo-1.0.tar.gz", "https://x/z", {"md5": "00"})])
    cache._pages["demo"] = (0, page)
    cache._kept_page = lambda project: page  # type: ignore[method-assign]
    with pytest.raises(NotAvailable) as refused:
        cache.answer_file({"REQUEST_METHOD": "GET"}, lambda *a: None, "demo", "demo-1.0.tar.gz")
    assert "no hash" in refused.value.text and refused.value.status.startswith("502")
    assert pull_through._digest(UpstreamFile("a", "u", {"md5": "1", "sha512": "AA"})) == ("sha512", "aa")


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://pypi.example.com/x.whl", "data:,hello",
                                 "http://127.0.0.1:2375/containers/json", "http://169.254.169.254/latest/meta-data",
                                 "http://[::1]/x.whl", "http://0.0.0.0/x.whl"])  # fmt: skip
def test_a_page_never_makes_the_server_fetch_a_local_file_or_what_only_it_reaches(url):
    upstream = Upstream("https://pypi.example.com/simple/")
    assert upstream.refused(url)
    with pytest.raises(UpstreamError):
        upstream.open(url)
    assert not upstream.refused("https://files.example.com/packages/x.whl")
    assert not Upstream("http://10.0.0.8:8081/simple/").refused("http://10.0.0.8:8081/files/x.whl")  # its own host


def test_upstreams_login_goes_to_its_own_host_and_never_along_a_redirect(tmp_path):
    """A redirect (to a CDN, or an attacker's) never carries the Authorization header."""
    import http.server
    import threading

    seen: dict[str, str] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:  # http.server's name
            seen[self.path] = self.headers.get("Authorization", "")
            if self.path == "/simple/x/file":
                self.send_response(302)
                self.send_header("Location", f"http://127.0.0.1:{other.server_address[1]}/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    other = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    for each in (server, other):
        threading.Thread(target=each.serve_forever, daemon=True).start()
    login = tmp_path / "upstream.json"
    login.write_text(json.dumps({"username": "bot", "password": "pw"}))
    try:
        upstream = Upstream(f"http://127.0.0.1:{server.server_address[1]}/simple/", credentials=str(login))
        with upstream.open(f"http://127.0.0.1:{server.server_address[1]}/simple/x/file") as answer:
            assert answer.read() == b"ok"
    finally:
        for each in (server, other):
            each.shutdown()
            each.server_close()
    assert seen["/simple/x/file"].startswith("Basic ") and seen["/elsewhere"] == ""


def test_a_name_that_is_no_project_is_not_looked_up_and_broken_fetches_are_gone_at_start(tmp_path):
    folder = tmp_path / ".pypi-desk" / "cache" / "demo"
    folder.mkdir(parents=True)
    (folder / ".demo-1.0.tar.gz.part-1234abcd").write_bytes(b"half")
    (folder / "demo-1.0.tar.gz").write_bytes(b"whole")
    cache = PullThrough(str(tmp_path), Upstream("https://pypi.example.com/simple/"), None, 600.0, lambda _: None)
    assert sorted(p.name for p in folder.iterdir()) == ["demo-1.0.tar.gz"]
    with pytest.raises(NotAvailable) as refused:
        cache.page("über")
    assert refused.value.status.startswith("404")


def test_an_entry_with_no_usable_hash_is_not_offered_to_clients(tmp_path):
    cache = PullThrough(str(tmp_path), Upstream("https://pypi.example.com/simple/"), None, 600.0, lambda _: None)
    page = CachedPage("demo", 0.0, [UpstreamFile("demo-1.0.tar.gz", "https://x/a", {"md5": "00"}),
                                    UpstreamFile("demo-1.1.tar.gz", "https://x/b", {"sha256": "11"})])  # fmt: skip
    links = cache.links(page)[0]
    assert [link.filename for link in links] == ["demo-1.1.tar.gz"]


def test_a_page_that_is_no_page_is_not_called_a_network_problem(tmp_path, monkeypatch):
    from gui.services.server.inside.upstream import UpstreamError as Refusal

    said: list[str] = []
    cache = PullThrough(str(tmp_path), Upstream("https://pypi.example.com/simple/"), None, 600.0, said.append)

    def malformed(project: str):
        raise Refusal(f"upstream's page for {project} is not a simple-API page (Expecting value)", reached=True)

    monkeypatch.setattr(cache.upstream, "project_files", malformed)
    with pytest.raises(NotAvailable) as refused:
        cache.page("badjson")
    assert "not a simple-API page" in refused.value.text and "cannot be reached" not in refused.value.text
    assert cache._unreachable == (0.0, "")  # kept pages of other projects are still refreshed


def test_a_name_or_a_redirect_that_leads_to_a_private_address_is_not_fetched():
    """``localhost`` by name, and a redirect from upstream's own host to another local address: refused once
    connected, whatever the name resolved to."""
    import http.server
    import threading

    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:  # http.server's name
            hits.append(f"{self.headers['Host']}{self.path}")
            if self.path == "/redirect":
                self.send_response(302)
                self.send_header("Location", f"http://127.0.0.2:{self.server.server_address[1]}/internal")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", "6")
            self.end_headers()
            self.wfile.write(b"secret")

    server = http.server.ThreadingHTTPServer(("0.0.0.0", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    try:
        upstream = Upstream(f"http://127.0.0.1:{port}/simple/")
        for url in (f"http://localhost:{port}/secret", f"http://127.0.0.1:{port}/redirect"):
            with pytest.raises(UpstreamError) as refused:
                upstream.open(url)
            assert "only this server reaches" in refused.value.why
        with upstream.open(f"http://127.0.0.1:{port}/own") as answer:  # upstream's own host: fetched
            assert answer.read() == b"secret"
    finally:
        server.shutdown()
        server.server_close()
    assert not [hit for hit in hits if hit.endswith(("/secret", "/internal"))]


def test_a_kept_file_follows_upstreams_yank_and_requires_python(tmp_path):
    cache = PullThrough(str(tmp_path), Upstream("https://pypi.example.com/simple/"), None, 600.0, lambda _: None)
    folder = tmp_path / ".pypi-desk" / "cache" / "alpha"
    folder.mkdir(parents=True)
    (folder / "alpha-1.0-py3-none-any.whl").write_bytes(b"kept")
    kept = CachedPage("alpha", 0.0, [UpstreamFile("alpha-1.0-py3-none-any.whl", "https://x/a", {"sha256": "aa"})])
    now = [UpstreamFile("alpha-1.0-py3-none-any.whl", "https://x/a", {"sha256": "aa"}, ">=3.99", "CVE-2099-1")]
    merged = cache._merged("alpha", now, kept)
    assert merged.files["alpha-1.0-py3-none-any.whl"].yanked == "CVE-2099-1"
    assert merged.files["alpha-1.0-py3-none-any.whl"].requires_python == ">=3.99"
    altered = [UpstreamFile("alpha-1.0-py3-none-any.whl", "https://x/a", {"sha256": "bb"}, None, "gone bad")]
    merged = cache._merged("alpha", altered, kept)
    assert merged.files["alpha-1.0-py3-none-any.whl"].hashes == {"sha256": "aa"}  # the verified copy's hash
    assert merged.files["alpha-1.0-py3-none-any.whl"].yanked == "gone bad"


def test_from_a_private_networks_address_no_byte_reaches_a_client_before_the_hash_matched(tmp_path):
    import hashlib
    import io

    from gui.services.server.inside.file_fetch import FetchFailed, FileFetch

    class Answer(io.BytesIO):
        peer_is_global = False

        def __init__(self, body: bytes) -> None:
            super().__init__(body)
            self.headers = {"Content-Length": str(len(body))}

    def fetched(body: bytes, wanted: bytes, received: list[bytes]) -> None:
        fetch = FileFetch(lambda url: Answer(body), "http://10.0.0.8/x", str(tmp_path / "x.whl"), "sha256",
                          hashlib.sha256(wanted).hexdigest(), len(body), lambda done: None)  # fmt: skip
        fetch.start()
        fetch.wait_for_headers()
        for chunk in fetch.reader():
            received.append(chunk)

    received: list[bytes] = []
    with pytest.raises(FetchFailed):
        fetched(b"secret", b"public", received)  # an internal answer: the client gets none of it
    assert received == [] and not (tmp_path / "x.whl").exists()
    fetched(b"public", b"public", received)
    assert b"".join(received) == b"public"


def test_json_pages_never_carry_the_key_older_pip_crashes_on():
    """PEP 714: pip 22.3 to 23.0 (Debian 12's) fail on a dict under ``dist-info-metadata``; JSON says only
    ``core-metadata`` (HTML keeps both attributes, which no pip mistakes)."""
    from gui.services.server.inside.simple_pages import FileLink, project_html, project_json

    link = FileLink("demo-1.0-py3-none-any.whl", "x", "sha256=aa", 1, None, None, "bb", None)
    entry = json.loads(project_json("demo", [link], ["1.0"]))["files"][0]
    assert entry["core-metadata"] == {"sha256": "bb"} and "dist-info-metadata" not in entry
    assert b'data-dist-info-metadata="sha256=bb"' in project_html("demo", [link])
