"""API tokens in the core, as a careless user and an attacker tried them: a name re-added, a broken or
oversized tokens file, a pipe in its place, the keyring's tokens, limits, and what a backup does."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from gui.services.backup.archive import restore_backup, write_backup
from gui.services.clients.keyring_entries import services_for
from gui.services.clients.setup import Storage
from gui.services.core import DeskServices
from gui.services.errors import DeskError, PasswordFileError, UserError
from gui.services.index.datadir import open_data_dir
from gui.services.index.settings import ServerSettings
from gui.services.server.inside.tokens import Tokens, masked
from gui.services.users import tokens as token_rules
from gui.services.users.tokens import parse_expiry
from tests import memory_keyring


@pytest.fixture
def services(tmp_path: Path) -> DeskServices:
    made = DeskServices.open(open_data_dir(tmp_path / "index"), pypirc=tmp_path / ".pypirc")
    made.data_dir.ensure()
    made.users.add("alice", "alice-Pa55word")
    return made


def _server_view(services: DeskServices) -> Tokens:
    data = services.data_dir
    return Tokens(str(data.auth_dir / "tokens.json"), str(data.password_file))


def test_a_name_added_again_never_inherits_an_old_token(services: DeskServices) -> None:
    made = services.users.token_store().create("alice", "ci")
    text = services.data_dir.password_file.read_text()
    services.data_dir.password_file.write_text(
        "".join(line for line in text.splitlines(True) if not line.startswith("alice:"))
    )
    assert _server_view(services).find(made.secret, quiet=True) is None  # removed by hand: refused at once
    services.users.add("alice", "a-new-alice-Pa55")  # a new person with that name
    assert _server_view(services).find(made.secret, quiet=True) is None
    assert services.users.token_store().tokens() == []


def test_removing_a_user_with_an_unreadable_tokens_file_removes_nothing(services: DeskServices) -> None:
    services.users.token_store().create("alice", "ci")
    tokens_file = services.data_dir.auth_dir / "tokens.json"
    good = tokens_file.read_bytes()
    tokens_file.write_bytes(good.replace(b'"format": 1', b'"format": 1, "comment": "x"'))
    with pytest.raises(PasswordFileError, match="not a PyPI Desk tokens file"):
        services.users.remove("alice")
    assert [user.name for user in services.users.users()] == ["alice"]  # still there, tokens and all


def test_a_pipe_for_a_tokens_file_is_refused_not_waited_on(services: DeskServices) -> None:
    tokens_file = services.data_dir.auth_dir / "tokens.json"
    os.mkfifo(tokens_file)
    answers: list = []
    worker = threading.Thread(
        target=lambda: answers.append(_server_view(services).check("pypi-desk-" + "0" * 12 + "-" + "a" * 43))
    )
    worker.start()
    worker.join(5)
    assert answers and answers[0][0] is None and "not a regular file" in answers[0][1]
    with pytest.raises(PasswordFileError, match="not a regular file"):
        services.users.token_store().tokens()


def test_limits_hold_before_the_file_grows_past_what_the_server_reads(services: DeskServices, monkeypatch) -> None:
    store = services.users.token_store()
    with pytest.raises(UserError, match="not a project name"):
        store.create("alice", "long", ["p" + "a" * 300])
    with pytest.raises(UserError, match="at most 100 projects"):
        store.create("alice", "many", [f"p{n}" for n in range(101)])
    monkeypatch.setattr(token_rules, "MAX_TOKENS", 2)
    store.create("alice", "one")
    store.create("alice", "two")
    with pytest.raises(UserError, match="revoke old ones first"):
        store.create("alice", "three")
    assert len(store.tokens()) == 2
    for bad in ("²", "٣٠", "0d", "99999d", "soon"):
        with pytest.raises(UserError, match="is not an expiry"):
            parse_expiry(bad)
    with pytest.raises(UserError, match="one line"):
        store.create("alice", "line1\u2028line2")


def test_a_token_as_a_user_name_is_masked_in_logs() -> None:
    token = "pypi-desk-0123456789ab-" + "x" * 43
    assert masked(token) == "pypi-desk-0123456789ab-…" and masked("alice") == "alice" and masked(None) is None


def test_a_broken_tokens_file_is_left_out_of_a_backup_and_the_rest_restores(services: DeskServices, tmp_path) -> None:
    (services.data_dir.auth_dir / "tokens.json").write_text('{"format":1,')
    summary = write_backup(services.data_dir, tmp_path / "backup.tar.gz")
    assert any("tokens.json cannot be read" in note for note in summary.notes)
    restored = open_data_dir(tmp_path / "restored")
    restore_backup(summary.path, restored)
    assert restored.password_file.read_text().startswith("alice:")
    assert not (restored.auth_dir / "tokens.json").exists()


def test_keyring_tokens_stay_through_client_setup_and_leave_with_a_revoke(
    services: DeskServices, monkeypatch, port: int
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.memory_keyring.MemoryKeyring")
    memory_keyring.STORE.clear()
    settings = services.server.save_settings(ServerSettings(port=port))
    made = services.users.token_store().create("alice", "kr here")
    count, replaced = services.clients.store_token(settings.url, made.secret)
    assert count == len(services_for(settings.url)) and replaced == []
    services.clients.apply(services.clients.plan(settings, "alice", "alice-Pa55word", storage=Storage.KEYRING))
    assert all(
        memory_keyring.STORE.get((service, "__token__")) == made.secret for service in services_for(settings.url)
    )
    store = services.users.token_store()
    store.revoke(made.token.id)
    assert services.clients.forget_dead_tokens(store.is_live) == len(services_for(settings.url))
    assert not any(user == "__token__" for _service, user in memory_keyring.STORE)
    memory_keyring.STORE.clear()


def test_keyring_requested_without_a_keyring_makes_no_token(services: DeskServices) -> None:
    desk = [sys.executable, "-m", "gui", "--data-dir", str(services.data_dir.root)]
    done = subprocess.run([*desk, "token", "create", "alice", "--name", "nowhere", "--keyring"],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 1 and "The token was not made" in done.stderr
    assert services.users.token_store().tokens() == []
    with pytest.raises(DeskError, match="API token"):
        services.clients.plan(services.server.load_settings(), "__token__", "x", storage=Storage.FILE)
