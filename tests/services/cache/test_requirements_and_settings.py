"""What a set may be given (hash-pinned files, never a URL), and where upstream's credentials may be written."""

from __future__ import annotations

import pytest

from gui.cli import main as cli
from gui.services.cache.mirror import read_requirements
from gui.services.errors import DeskError, SettingsError
from gui.services.index.settings import ServerSettings, settings_from_mapping


def test_a_hash_pinned_file_is_read_and_a_url_is_refused(tmp_path):
    pinned = tmp_path / "requirements.txt"
    pinned.write_text(
        "certifi==2024.8.30 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\n# via requests\nidna==3.10\n"
    )
    assert read_requirements([], [pinned]) == ["certifi==2024.8.30", "idna==3.10"]
    with pytest.raises(DeskError, match="by its URL"):
        read_requirements(["leftpad @ http://127.0.0.1:9/leftpad-1.0-py3-none-any.whl"], [])


def test_credentials_in_an_old_url_are_dropped_and_a_new_one_is_refused():
    old = settings_from_mapping({"fallback_url": "https://user:pw@corp.example/simple/"})  # as an old version wrote
    assert (old.fallback, old.upstream) == ("redirect", "https://corp.example/simple/")  # loads; no client gets them
    for fallback in ("cache", "redirect"):
        with pytest.raises(SettingsError, match="cache login"):
            ServerSettings(fallback=fallback, upstream="https://user:pw@corp.example/simple/").validate()


def test_an_upstream_that_can_never_work_is_refused_and_a_404_index_ignores_it():
    with pytest.raises(SettingsError, match="this server itself"):
        ServerSettings(port=8081, upstream="http://localhost:8081/simple/").validate()
    with pytest.raises(SettingsError, match="PyPI's site"):
        ServerSettings(upstream="https://pypi.org/").validate()
    ServerSettings(fallback="off", upstream="not a url").validate()  # never asked: it can wait to be fixed
    with pytest.raises(SettingsError, match="minutes"):
        ServerSettings(cache_minutes=99_999).validate()


def test_clearing_an_empty_name_is_refused_not_everything(tmp_path, capsys):
    assert cli(["--data-dir", str(tmp_path / "server"), "cache", "clear", ""]) == 1
    assert "empty name" in capsys.readouterr().err
