"""~/.pypirc edits: one section changes, every other byte stays, twine reads the result."""

from __future__ import annotations

import configparser
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gui.services.clients.pypirc import apply_change, plan_change
from gui.services.clients.pypirc_reader import sections_for
from gui.services.errors import ConfigFileError, PypircError

URL = "http://127.0.0.1:8080"

RICH = """\
# Written by hand. Keep the tokens!
[distutils]
index-servers =
    pypi
    ; the company's index
    corp

[pypi]
username: __token__
password: pypi-AgEIcHlwaS5vcmcCJGQ0
; a comment in a section

[corp]
repository = https://pypi.corp.example/legacy/
username=ci-bot
password=s3cr%t;#not-a-comment
"""


def twine_reads(text: str) -> configparser.RawConfigParser:
    """As twine's utils.get_config reads the file."""
    parser = configparser.RawConfigParser()
    parser.read_string(text)
    return parser


def write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode())
    return path


def setup(path: Path, password: str = "pypi", name: str = "local") -> None:
    apply_change(plan_change(path, name, URL, "urunimi", password))


def test_a_new_file_is_the_how_to_file_private_and_idempotent(tmp_path: Path) -> None:
    path = tmp_path / ".pypirc"
    setup(path)
    parser = twine_reads(path.read_text())
    assert parser.get("distutils", "index-servers").split() == ["pypi", "testpypi", "local"]
    assert dict(parser["local"]) == {"repository": URL, "username": "urunimi", "password": "pypi"}
    assert path.stat().st_mode & 0o777 == 0o600
    again = plan_change(path, "local", URL, "urunimi", "pypi")
    assert not again.changed and apply_change(again) is None


def test_every_line_of_a_rich_file_is_kept(tmp_path: Path) -> None:
    path = write(tmp_path / ".pypirc", RICH)
    setup(path)
    new = path.read_text()
    kept = iter(new.splitlines())
    assert all(line in kept for line in RICH.splitlines())  # in order, untouched
    parser = twine_reads(new)
    assert parser.get("distutils", "index-servers").split() == ["pypi", "corp", "local"]
    assert parser.get("corp", "password") == "s3cr%t;#not-a-comment"
    assert "    local\n" in new  # added to the list the way the list is laid out


def test_the_how_to_layout_keeps_its_one_line_list_and_updates_in_place(tmp_path: Path) -> None:
    howto = (
        "[distutils]\nindex-servers = pypi local\n\n"
        "[local]\nrepository: http://127.0.0.1:8080\nusername: urunimi\npassword: pypi\n"
    )
    path = write(tmp_path / ".pypirc", howto)
    apply_change(plan_change(path, "local", "http://127.0.0.1:9000", "urunimi", "new"))
    assert path.read_text() == howto.replace("8080", "9000").replace("password: pypi", "password: new")


def test_a_one_line_list_without_the_name_gets_it_appended(tmp_path: Path) -> None:
    path = write(tmp_path / ".pypirc", "[distutils]\nindex-servers = pypi testpypi\n")
    setup(path)
    assert path.read_text().startswith("[distutils]\nindex-servers = pypi testpypi local\n")


def test_crlf_files_stay_crlf_and_a_missing_final_newline_is_handled(tmp_path: Path) -> None:
    path = write(tmp_path / ".pypirc", "[pypi]\r\nusername = __token__\r\npassword = pypi-tok")
    setup(path)
    data = path.read_bytes()
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert b"password = pypi-tok\r\n" in data
    assert twine_reads(data.decode()).get("local", "username") == "urunimi"


def test_no_distutils_keeps_twine_defaults(tmp_path: Path) -> None:
    path = write(tmp_path / ".pypirc", "[testpypi]\nusername = __token__\npassword = pypi-test\n")
    setup(path)
    servers = twine_reads(path.read_text()).get("distutils", "index-servers").split()
    assert servers == ["pypi", "testpypi", "local"]  # twine read [testpypi] before: it still does


def test_a_backup_is_kept_and_symlinks_are_written_through(tmp_path: Path) -> None:
    (tmp_path / "dotfiles").mkdir()
    real = write(tmp_path / "dotfiles" / "pypirc", RICH)
    link = tmp_path / ".pypirc"
    link.symlink_to(real)
    setup(link)
    assert link.is_symlink() and "[local]" in real.read_text()
    assert (real.parent / "pypirc.bak").read_text() == RICH
    assert (real.parent / "pypirc.bak").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"password": " leading space"}, "starts or ends with spaces"),
        ({"password": "two\nlines"}, "line break"),
        ({"username": ""}, "user name is empty"),
        ({"name": "bad name"}, "cannot name a .pypirc section"),
        ({"name": "distutils"}, "cannot name a .pypirc section"),
    ],
)
def test_unwritable_values_are_refused_and_the_file_is_unchanged(tmp_path: Path, changes: dict, words: str) -> None:
    path = write(tmp_path / ".pypirc", RICH)
    values = {"name": "local", "repository": URL, "username": "urunimi", "password": "pypi", **changes}
    with pytest.raises(PypircError, match=words):
        plan_change(path, **values)
    assert path.read_text() == RICH


def test_an_edit_made_after_the_preview_is_not_lost(tmp_path: Path) -> None:
    path = write(tmp_path / ".pypirc", RICH)
    change = plan_change(path, "local", URL, "urunimi", "pypi")
    path.write_text(RICH + "\n[other]\nusername = x\n")
    with pytest.raises(ConfigFileError, match="changed since the preview"):
        apply_change(change)
    assert "[other]" in path.read_text() and "[local]" not in path.read_text()


def test_the_preview_never_shows_a_password(tmp_path: Path) -> None:
    path = write(tmp_path / ".pypirc", RICH)
    preview = plan_change(path, "local", URL, "urunimi", "hunter2-secret").preview()
    assert "hunter2-secret" not in preview and "pypi-AgEIcHlwaS5vcmcCJGQ0" not in preview
    assert "+password = ******** (new)" in preview


# -- generated files --------------------------------------------------------------------

names = st.from_regex(r"[a-z][a-z0-9_-]{0,8}", fullmatch=True).filter(lambda n: n not in ("distutils", "local"))
values = st.from_regex(r"[A-Za-z0-9_.:/%@#;=-]{1,20}", fullmatch=True)
keys = st.sampled_from(["username", "password", "repository", "Username", "token", "ca_cert"])


@st.composite
def pypirc_files(draw) -> str:
    """A .pypirc as people write them: comments, ':' or '=', odd spacing, continuation lines."""
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    lines: list[str] = []
    sections = draw(st.lists(names, min_size=0, max_size=4, unique=True))
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(["# my pypirc", "; hand-written", ""])))
    blocks: list[list[str]] = []
    for name in sections:
        block = [f"[{name}]"]
        for key in draw(st.lists(keys, max_size=3, unique_by=str.lower)):
            sep = draw(st.sampled_from(["=", " = ", ":", ": ", "  =  "]))
            block.append(f"{key}{sep}{draw(values)}")
            if draw(st.integers(0, 5)) == 0:
                block.append(f"  {draw(values)}")  # a continuation line
        if draw(st.booleans()):
            block.append(draw(st.sampled_from(["# note", "", "; note"])))
        blocks.append(block)
    if draw(st.booleans()) and sections:
        distutils = ["[distutils]"]
        if draw(st.booleans()):
            distutils.append("index-servers = " + " ".join(sections))
        else:
            distutils.append("index-servers =")
            distutils += [f"    {name}" for name in sections]
        blocks.insert(draw(st.integers(0, len(blocks))), distutils)  # not always first
    for block in blocks:
        lines += block
    return eol.join(lines) + (eol if draw(st.booleans()) else "")


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pypirc_files())
def test_generated_files_only_change_their_own_section(tmp_path: Path, text: str) -> None:
    path = write(tmp_path / ".pypirc", text)
    change = plan_change(path, "local", URL, "urunimi", "pypi")
    before, after = twine_reads(text), twine_reads(change.new_text)
    for section in before.sections():
        if section != "distutils":
            assert dict(before[section]) == dict(after[section])
    old_servers = before.get("distutils", "index-servers", fallback="pypi testpypi").split()
    assert after.get("distutils", "index-servers").split() == [*old_servers, "local"]
    assert dict(after["local"]) == {"repository": URL, "username": "urunimi", "password": "pypi"}
    remaining = iter(change.new_text.splitlines())
    # Every old line stays, in order; only a one-line index-servers list grows by the new name.
    assert all(line in remaining for line in text.splitlines() if not line.startswith("index-servers = "))
    if "\r\n" in text:  # a CRLF file stays CRLF (an empty file has no line ends to follow)
        assert "\n" not in change.new_text.replace("\r\n", "")
    path.write_bytes(change.new_text.encode())
    assert not plan_change(path, "local", URL, "urunimi", "pypi").changed


def test_sections_for_finds_what_twine_would_use(tmp_path: Path) -> None:
    rc = tmp_path / ".pypirc"
    assert sections_for(rc, "http://127.0.0.1:8080") == []  # no file yet
    rc.write_text(
        "[distutils]\nindex-servers =\n    pypi\n    local\n\n"
        "[local]\nrepository: http://localhost:8080/\nusername: u\npassword: p\n\n"
        "[unlisted]\nrepository = http://127.0.0.1:8080\n"
    )
    assert sections_for(rc, "http://127.0.0.1:8080") == ["local"]  # localhost, trailing slash: the same address
    assert sections_for(rc, "http://127.0.0.1:9090") == []
    rc.write_text("[local\nrepository = x\n")
    with pytest.raises(PypircError, match="cannot be read as twine reads it"):
        sections_for(rc, "http://127.0.0.1:8080")


def test_an_index_servers_list_that_ends_the_file_without_a_line_end_grows_by_a_line(tmp_path: Path) -> None:
    """Found by the generated files once [distutils] could come last."""
    path = write(tmp_path / ".pypirc", "[a]\nusername = x\n[distutils]\nindex-servers =\n    a")
    change = plan_change(path, "local", URL, "urunimi", "pypi")
    assert change.new_text.startswith("[a]\nusername = x\n[distutils]\nindex-servers =\n    a\n    local\n")
    assert twine_reads(change.new_text).get("distutils", "index-servers").split() == ["a", "local"]


def test_a_link_to_something_not_a_regular_file_is_never_written(tmp_path: Path) -> None:
    """'ln -s /dev/null ~/.pypirc' once replaced the system's /dev/null with a file holding the password."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for target in (Path("/dev/null"), tmp_path, fifo):
        rc = tmp_path / f"rc-to-{target.name or 'root'}"
        rc.symlink_to(target)
        with pytest.raises(ConfigFileError, match="not a regular file"):
            plan_change(rc, "local", "http://127.0.0.1:8080", "urunimi", "pypi")
    assert Path("/dev/null").is_char_device() and not Path("/dev/null.bak").exists()


def test_a_link_that_turns_bad_after_the_preview_is_not_written_either(tmp_path: Path) -> None:
    rc = tmp_path / ".pypirc"
    change = plan_change(rc, "local", "http://127.0.0.1:8080", "urunimi", "pypi")
    rc.symlink_to("/dev/null")
    with pytest.raises(ConfigFileError, match="not a regular file"):
        apply_change(change)
    assert Path("/dev/null").is_char_device()


def test_a_link_to_a_regular_file_is_still_written_through(tmp_path: Path) -> None:
    dotfiles = tmp_path / "dotfiles" / "pypirc"
    dotfiles.parent.mkdir()
    dotfiles.write_text("[pypi]\nusername = __token__\n")
    rc = tmp_path / ".pypirc"
    rc.symlink_to(dotfiles)
    apply_change(plan_change(rc, "local", "http://127.0.0.1:8080", "urunimi", "pypi"))
    assert rc.is_symlink() and "[local]" in dotfiles.read_text()


def test_a_file_twine_would_refuse_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    """Two [local] sections: setup succeeded, then twine failed 'Malformed configuration'."""
    rc = tmp_path / ".pypirc"
    text = "[local]\nrepository = http://127.0.0.1:8080\n\n[local]\nusername = x\n"
    rc.write_text(text)
    with pytest.raises(PypircError, match="twine would refuse it too") as refused:
        plan_change(rc, "local", "http://127.0.0.1:8080", "urunimi", "pypi")
    assert "local" in str(refused.value) and "already exists" in str(refused.value)
    assert rc.read_text() == text
