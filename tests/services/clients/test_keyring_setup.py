"""Client setup with the password in a real Secret Service (GNOME Keyring on a private bus), and without one."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import keyring
import pytest

from gui.services.clients.keyring_entries import services_for
from gui.services.clients.setup import Storage
from gui.services.core import DeskServices
from gui.services.errors import KeyringError
from gui.services.index.settings import ServerSettings
from tests.secret_service import missing_programs, start_secret_service

RICH = """\
; from the team's dotfiles
[distutils]
index-servers = pypi local

[pypi]
username: __token__
password: pypi-TokenForPyPI
"""


@pytest.fixture
def desk(data_dir, port: int, isolated_home: Path) -> tuple[DeskServices, ServerSettings]:
    services = DeskServices.open(data_dir)
    services.data_dir.ensure()
    services.users.add("alice", "alice-pass-1")
    services.users.add("bob", "bob-pass-2")
    return services, ServerSettings(port=port)


def test_the_password_goes_into_the_keyring_under_every_key_and_into_no_file(secret_service, desk) -> None:
    services, settings = desk
    setup = services.clients.plan(settings, "alice", "alice-pass-1", storage=Storage.KEYRING, pip=True, uv=True)
    assert "alice-pass-1" not in setup.preview() and "alice-pass-1" not in repr(setup)
    result = services.clients.apply(setup)

    assert result.stored == 3
    for service in (settings.url, f"{settings.url}/simple/", f"127.0.0.1:{settings.port}"):
        assert keyring.get_password(service, "alice") == "alice-pass-1"
    home = Path(os.environ["HOME"])
    written = [path for path in home.rglob("*") if path.is_file()]
    assert services.pypirc in written
    assert not [path for path in written if b"alice-pass-1" in path.read_bytes()]
    assert services.clients.credentials_for(settings.url).password == "alice-pass-1"  # as twine finds it
    assert not services.clients.plan(settings, "alice", "alice-pass-1", storage=Storage.KEYRING).changed


def test_choosing_another_user_or_removing_one_removes_only_the_entries_the_app_wrote(secret_service, desk) -> None:
    services, settings = desk
    clients = services.clients
    keyring.set_password(settings.url, "carol", "made-by-hand")  # the user's own entry: never touched
    clients.apply(clients.plan(settings, "alice", "alice-pass-1", storage=Storage.KEYRING))

    result = clients.apply(clients.plan(settings, "bob", "bob-pass-2", storage=Storage.KEYRING))
    assert result.removed == 3
    assert all(keyring.get_password(service, "alice") is None for service in services_for(settings.url))
    assert keyring.get_password(settings.url, "bob") == "bob-pass-2"

    assert services.remove_user("bob") == 3
    assert all(keyring.get_password(service, "bob") is None for service in services_for(settings.url))
    assert keyring.get_password(settings.url, "carol") == "made-by-hand"
    assert clients.record.entries(clients.server_key) == []


def test_a_plaintext_password_moves_into_the_keyring_with_the_rest_of_the_file_untouched(secret_service, desk) -> None:
    services, settings = desk
    services.pypirc.write_text(RICH)
    services.clients.apply(services.clients.plan(settings, "alice", "alice-pass-1", storage=Storage.FILE))
    before = services.pypirc.read_text()
    assert "password = alice-pass-1" in before
    assert services.clients.plaintext_sections(settings.url) == ["local"]

    services.clients.apply(services.clients.plan_move_to_keyring(settings))

    after = services.pypirc.read_text()
    assert after == before.replace("password = alice-pass-1\n", "")  # the pypi token stays, byte for byte
    assert keyring.get_password(settings.url, "alice") == "alice-pass-1"
    assert stat.S_IMODE(services.pypirc.stat().st_mode) == 0o600
    assert services.clients.plaintext_sections(settings.url) == []


def test_a_stale_plaintext_password_is_not_moved(secret_service, desk) -> None:
    services, settings = desk
    services.clients.apply(services.clients.plan(settings, "alice", "alice-pass-1", storage=Storage.FILE))
    services.users.change_password("alice", "changed-since")
    with pytest.raises(Exception, match="not alice's password"):
        services.clients.plan_move_to_keyring(settings)


def test_without_a_keyring_it_says_what_to_install_and_writes_the_file_only_when_chosen(desk) -> None:
    services, settings = desk
    state = services.clients.keyring_state()
    assert not state.usable
    assert "gnome-keyring" in state.problem and "Secret Service" in state.problem
    with pytest.raises(KeyringError, match=r"~/.pypirc \(0600\)"):
        services.clients.plan(settings, "alice", "alice-pass-1", storage=Storage.KEYRING)
    assert not services.pypirc.exists()

    env = {**os.environ}
    command = [sys.executable, "-m", "gui", "--data-dir", str(services.data_dir.root), "client", "setup"]
    refused = subprocess.run(
        [*command, "--username", "alice", "--password-stdin"],
        input="alice-pass-1\n",
        env=env,
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 1 and "--plaintext" in refused.stderr and "gnome-keyring" in refused.stderr
    assert not services.pypirc.exists()
    chosen = subprocess.run(
        [*command, "--username", "alice", "--password-stdin", "--plaintext"],
        input="alice-pass-1\n",
        env=env,
        capture_output=True,
        text=True,
    )
    assert chosen.returncode == 0, chosen.stderr
    assert "password = alice-pass-1" in services.pypirc.read_text()
    assert stat.S_IMODE(services.pypirc.stat().st_mode) == 0o600


def test_a_locked_keyring_is_named_as_such(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, desk) -> None:
    if missing_programs():
        pytest.skip("needs dbus and gnome-keyring")
    own = start_secret_service(tmp_path / "locked")  # its own daemon: the shared one stays unlocked
    try:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", own.bus_address)
        import secretstorage

        connection = secretstorage.dbus_init()
        secretstorage.get_default_collection(connection).lock()
        services, settings = desk
        state = services.clients.keyring_state()
        assert not state.usable and "locked" in state.problem and "--unlock" in state.problem
        with pytest.raises(KeyringError, match="locked"):
            services.clients.plan(settings, "alice", "alice-pass-1", storage=Storage.KEYRING)
    finally:
        own.stop()
