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


def in_two_processes(store, statement: str) -> None:
    """Run ``statement`` (with ``s``, a store of the same file, and ``prefix``, a or b) in two processes at once."""
    script = (
        "import sys; from pathlib import Path; from gui.services.users.store import UserStore;"
        f"s = UserStore(Path(sys.argv[1])); prefix = sys.argv[2]; {statement}"
    )
    workers = [subprocess.Popen([sys.executable, "-c", script, str(store.password_file), prefix]) for prefix in "ab"]
    assert [worker.wait(120) for worker in workers] == [0, 0]


def test_two_processes_adding_at_once_lose_nobody(store, tmp_path: Path) -> None:
    store.add("first", "pw", "apr1")
    in_two_processes(store, "[s.add(f'{prefix}{n}', 'pw', 'apr1') for n in range(15)]")
    assert len(store.users()) == 31


def test_the_next_save_sweeps_temp_files_that_a_killed_save_left(store) -> None:
    store.add("seed", "pw", "apr1")
    stale = store.password_file.parent / f".{store.password_file.name}.k1ll3d.tmp"  # as write_atomic names them
    stale.write_text("seed:$apr1$half")
    store.add("after", "pw", "apr1")
    assert not stale.exists()
    assert sorted(user.name for user in store.users()) == ["after", "seed"]


def test_a_name_listed_twice_is_shown_as_a_problem_and_one_remove_takes_every_line(store) -> None:
    """Twice 'bob': 'Removed bob.' once left a line, and bob still logged in."""
    first, second = SCHEMES["apr1"].hash("one"), SCHEMES["apr1"].hash("two")
    store.password_file.parent.mkdir(parents=True, exist_ok=True)
    store.password_file.write_text(f"bob:{first}\nann:{SCHEMES['apr1'].hash('a')}\nbob:{second}\n")
    assert [user.name for user in store.users()] == ["bob", "ann"]
    (problem,) = store.problems()
    assert problem.line_number == 3 and "listed again" in problem.problem and "remove bob" in problem.fix
    assert store.verify("bob", "one") and not store.verify("bob", "two")  # as the server: the first line counts

    store.remove("bob")
    assert "bob" not in store.password_file.read_text()
    assert [user.name for user in store.users()] == ["ann"] and store.problems() == []


def test_changing_the_password_of_a_name_listed_twice_leaves_one_line(store) -> None:
    store.password_file.parent.mkdir(parents=True, exist_ok=True)
    store.password_file.write_text(f"bob:{SCHEMES['apr1'].hash('one')}\nbob:{SCHEMES['apr1'].hash('two')}\n")
    store.change_password("bob", "three", "sha512")
    assert store.password_file.read_text().count("bob:") == 1
    assert store.verify("bob", "three") and store.problems() == []


def test_a_byte_order_mark_is_reported_and_does_not_hide_the_first_user(store) -> None:
    """An editor's BOM made 'alice' unknown to remove and a second alice possible; she could not log in."""
    store.password_file.parent.mkdir(parents=True, exist_ok=True)
    store.password_file.write_bytes(("\ufeffalice:" + SCHEMES["apr1"].hash("pw") + "\n").encode())
    (problem,) = store.problems()
    assert "byte-order mark" in problem.problem and "alice cannot log in" in problem.problem and problem.repairable
    with pytest.raises(UserError, match="exists already"):
        store.add("alice", "other")
    assert store.repair() == 1
    assert store.password_file.read_bytes().startswith(b"alice:") and store.problems() == []
    assert store.verify("alice", "pw")


def test_an_unknown_hash_scheme_is_called_what_it_is(store) -> None:
    """argon2 is not a scheme the server knows: it takes the text as a plain-text password."""
    store.password_file.parent.mkdir(parents=True, exist_ok=True)
    literal = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"
    store.password_file.write_text(f"carol:{literal}\n")
    (problem,) = store.problems()
    assert "plain-text password" in problem.problem and "set a new password for carol" in problem.fix
    assert not problem.repairable and store.repair() == 0
    assert store.verify("carol", literal)  # what the Doctor warns about: the hash string itself logs in


def test_roles_default_to_publisher_and_two_processes_changing_roles_lose_nothing(store) -> None:
    """A folder from before roles (no roles.json) keeps every user a publisher; concurrent role edits all land."""
    for name in ("old", *(f"{prefix}{n}" for prefix in "ab" for n in range(10))):
        store.add(name, "pw", "apr1")
    assert not store.roles_file.exists() and {user.role for user in store.users()} == {"publish"}
    in_two_processes(store, "[s.set_role(f'{prefix}{n}', 'read') for n in range(10)]")
    roles = {user.name: user.role for user in store.users()}
    assert roles.pop("old") == "publish" and set(roles.values()) == {"read"}
    from gui.services.server.inside.roles import Readers

    assert Readers(str(store.roles_file)).names() == set(roles)  # what the server reads is what was written
    store.remove("a0")
    assert "a0" not in store.roles_file.read_text()  # a removed user leaves no role behind
    with pytest.raises(UserError, match="Unknown role"):
        store.set_role("b1", "admin")
    with pytest.raises(UserError, match="There is no user"):
        store.set_role("nobody", "read")
