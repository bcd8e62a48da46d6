"""The htpasswd service: what Apache's own `htpasswd` accepts, refusals, checks, crash safety."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gui.services.errors import PasswordFileError, UserError
from gui.services.users.password_file import check_lines
from gui.services.users.store import SCHEMES, UserStore
from tests.helpers import required_tool


@pytest.fixture
def apache_htpasswd() -> str:
    return required_tool("htpasswd", "apache2-utils")


@pytest.fixture
def store(tmp_path: Path) -> UserStore:
    return UserStore(tmp_path / "auth" / ".htpasswd")


def apache_verifies(htpasswd: str, path: Path, name: str, password: str) -> bool:
    return subprocess.run([htpasswd, "-vb", str(path), name, password], capture_output=True).returncode == 0


@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_apache_verifies_every_scheme_the_app_writes(store, apache_htpasswd, scheme: str) -> None:
    store.add("urunimi", "pypi é ✓", scheme)
    assert apache_verifies(apache_htpasswd, store.password_file, "urunimi", "pypi é ✓")
    assert not apache_verifies(apache_htpasswd, store.password_file, "urunimi", "wrong")


def test_bcrypt_is_the_default_and_the_file_is_readable_by_the_container(store) -> None:
    user = store.add("urunimi", "pypi")
    assert user.scheme == "bcrypt"
    assert store.password_file.read_text().startswith("urunimi:$2y$")
    assert store.password_file.stat().st_mode & 0o777 == 0o644


def test_the_how_to_apr1_line_survives_edits_and_still_verifies(store, apache_htpasswd) -> None:
    line = subprocess.run([apache_htpasswd, "-nbm", "urunimi", "pypi"], capture_output=True, text=True).stdout.strip()
    assert line.startswith("urunimi:$apr1$")
    store.password_file.parent.mkdir(parents=True)
    store.password_file.write_text(line + "\n")
    store.add("alice", "a-password")
    store.change_password("alice", "another")
    store.add("bob", "b-password", "sha512")
    store.remove("bob")
    assert store.password_file.read_text().splitlines()[0] == line
    assert apache_verifies(apache_htpasswd, store.password_file, "urunimi", "pypi")
    assert [(user.name, user.scheme) for user in store.users()] == [
        ("urunimi", "Apache MD5 (apr1)"),
        ("alice", "bcrypt"),
    ]


@pytest.mark.parametrize(
    ("name", "password", "scheme", "words"),
    [
        ("", "pw", "bcrypt", "user name is empty"),
        ("a:b", "pw", "bcrypt", "cannot contain ':'"),
        ("with space", "pw", "bcrypt", "cannot contain spaces"),
        ("new\nline", "pw", "bcrypt", "line breaks"),
        ("tab\there", "pw", "bcrypt", "spaces, tabs"),
        ("bell\x07", "pw", "bcrypt", "control characters"),
        ("#admin", "pw", "bcrypt", "reads such a line as a comment"),  # found by hypothesis
        ("urunimi", "", "bcrypt", "password is empty"),
        ("urunimi", "x" * 73, "bcrypt", "only the first 72 bytes"),
        ("urunimi", "é" * 37, "bcrypt", "this one has 74"),
        ("urunimi", "nul\0", "bcrypt", "NUL"),
        ("urunimi", "pw", "md5", "Unknown password scheme"),
    ],
)
def test_bad_names_and_passwords_are_refused_and_the_file_is_unchanged(store, name, password, scheme, words):
    store.add("existing", "pw")
    before = store.password_file.read_bytes()
    with pytest.raises(UserError, match=words):
        store.add(name, password, scheme)
    assert store.password_file.read_bytes() == before


def test_a_long_password_is_fine_with_sha512(store) -> None:
    store.add("urunimi", "x" * 200, "sha512")
    assert store.verify("urunimi", "x" * 200)


def test_adding_an_existing_name_is_an_error_but_changing_its_password_is_not(store) -> None:
    store.add("urunimi", "one")
    with pytest.raises(UserError, match="exists already"):
        store.add("urunimi", "two")
    assert store.verify("urunimi", "one")
    store.change_password("urunimi", "two")
    assert store.verify("urunimi", "two") and not store.verify("urunimi", "one")
    with pytest.raises(UserError, match="There is no user nobody"):
        store.change_password("nobody", "x")
    with pytest.raises(UserError, match="There is no user nobody"):
        store.remove("nobody")


def test_every_line_is_checked_with_a_fix() -> None:
    problems = check_lines("good:$apr1$a$b\nbroken line\nplain:secret\ngood:$apr1$c$d\n\n")
    assert [(p.line_number, p.blocks_edits) for p in problems] == [(2, True), (3, False), (4, False)]
    assert "500" in problems[0].problem and "remove the line" in problems[0].fix
    assert "plain-text password" in problems[1].problem and "set a new password for plain" in problems[1].fix
    assert "first on line 1" in problems[2].problem


def test_a_malformed_file_is_never_edited_until_repaired(store) -> None:
    store.password_file.parent.mkdir(parents=True)
    store.password_file.write_text("urunimi:$apr1$x$y\nnot a user line\n")
    with pytest.raises(PasswordFileError, match="Line 2") as refused:
        store.add("alice", "pw")
    assert "Remove broken lines" in str(refused.value)
    assert store.repair() == 1
    assert store.password_file.read_text() == "urunimi:$apr1$x$y\n"
    store.add("alice", "pw")
    assert {user.name for user in store.users()} == {"urunimi", "alice"}


def test_two_processes_adding_at_once_lose_nobody(store, tmp_path: Path) -> None:
    store.add("first", "pw", "apr1")
    script = (
        "import sys; from pathlib import Path; from gui.services.users.store import UserStore;"
        "s = UserStore(Path(sys.argv[1]));"
        "[s.add(f'{sys.argv[2]}{n}', 'pw', 'apr1') for n in range(15)]"
    )
    workers = [subprocess.Popen([sys.executable, "-c", script, str(store.password_file), prefix]) for prefix in "ab"]
    assert [worker.wait(120) for worker in workers] == [0, 0]
    assert len(store.users()) == 31


def test_the_next_save_sweeps_temp_files_that_a_killed_save_left(store) -> None:
    store.add("seed", "pw", "apr1")
    stale = store.password_file.parent / f".{store.password_file.name}.k1ll3d.tmp"  # as write_atomic names them
    stale.write_text("seed:$apr1$half")
    store.add("after", "pw", "apr1")
    assert not stale.exists()
    assert sorted(user.name for user in store.users()) == ["after", "seed"]
