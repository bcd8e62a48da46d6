"""Two data folders served at one address share keyring entries: forgetting a user in one leaves the other's."""

from __future__ import annotations

from pathlib import Path

import pytest

from gui.services.clients.keyring_entries import services_for
from gui.services.clients.setup import Storage
from gui.services.core import DeskServices
from gui.services.index.datadir import open_data_dir
from gui.services.index.settings import ServerSettings
from tests import memory_keyring


@pytest.fixture
def memory_keyring_backend(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.memory_keyring.MemoryKeyring")
    memory_keyring.STORE.clear()
    yield memory_keyring.STORE
    memory_keyring.STORE.clear()


def test_forgetting_a_user_in_one_folder_keeps_the_entries_another_folder_at_that_address_uses(
    memory_keyring_backend, tmp_path: Path, port: int
) -> None:
    settings = ServerSettings(port=port)
    original, copy = (DeskServices.open(open_data_dir(tmp_path / name)) for name in ("original", "restored"))
    for services in (original, copy):  # a restored copy: the same user, served at the same address
        services.data_dir.ensure()
        services.users.add("alice", "alice-pass-1")
        services.clients.apply(services.clients.plan(settings, "alice", "alice-pass-1", storage=Storage.KEYRING))
    shared = {(service, "alice") for service in services_for(settings.url)}
    assert shared <= memory_keyring_backend.keys()

    assert original.remove_user("alice") == 0  # the copy still relies on every one of them
    assert shared <= memory_keyring_backend.keys()
    assert copy.clients.credentials_for(settings.url).password == "alice-pass-1"
    assert original.clients.record.entries(original.clients.server_key) == []

    assert copy.remove_user("alice") == 3  # the last folder that used them: now they go
    assert not shared & memory_keyring_backend.keys()
