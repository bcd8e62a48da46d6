"""Upstream's pages as the cache reads them: JSON and HTML, yank reasons, metadata hashes; names that could
leave the project's folder never kept; a file without a usable hash never served."""

from __future__ import annotations

import json

import pytest

from gui.services.server.inside import pull_through
from gui.services.server.inside.pull_through import CachedPage, NotAvailable, PullThrough
from gui.services.server.inside.upstream import Upstream, UpstreamFile, _html_files, _json_files

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
