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
                                 "http://[::1]/x.whl", "http://10.0.0.8/x.whl"])  # fmt: skip
def test_a_page_never_makes_the_server_fetch_a_local_file_or_what_only_it_reaches(url):
    upstream = Upstream("https://pypi.example.com/simple/")
    assert upstream.refused(url)
    with pytest.raises(UpstreamError):
        upstream.open(url)
    assert not upstream.refused("https://files.example.com/packages/x.whl")
    assert not Upstream("http://10.0.0.8:8081/simple/").refused("http://10.0.0.8:8081/files/x.whl")  # its own host


def test_upstreams_login_goes_to_its_own_host_and_no_further(tmp_path):
    """A redirect to another host (a CDN, or an attacker's) never carries the Authorization header."""
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
                self.send_header("Location", f"http://localhost:{self.server.server_address[1]}/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    login = tmp_path / "upstream.json"
    login.write_text(json.dumps({"username": "bot", "password": "pw"}))
    try:
        upstream = Upstream(f"http://127.0.0.1:{server.server_address[1]}/simple/", credentials=str(login))
        with upstream.open(f"http://127.0.0.1:{server.server_address[1]}/simple/x/file") as answer:
            assert answer.read() == b"ok"
    finally:
        server.shutdown()
        server.server_close()
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
