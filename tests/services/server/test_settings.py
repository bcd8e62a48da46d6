"""Settings: validation in plain words, atomic saves that keep the old file on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gui.services.errors import SettingsError
from gui.services.index.settings import ServerSettings, load_settings, save_settings


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"port": 0}, "from 1 to 65535"),
        ({"port": 70000}, "from 1 to 65535"),
        ({"host": "localhost:80"}, "not an IP address"),
        ({"image": "Not An Image!"}, "is not an image name"),
        ({"auth": "sometimes"}, "Unknown authentication mode"),
        ({"upstream": "ftp://example"}, "not an http(s) URL"),
        ({"upstream": "https://me:secret@pypi.example.com/simple/"}, "without a user name or password"),
        ({"fallback": "mirror"}, "Unknown fallback"),
        ({"runtime": "vm"}, "Unknown runtime"),
    ],
)
def test_bad_values_are_refused_with_what_to_use(changes: dict, words: str) -> None:
    with pytest.raises(SettingsError, match=words.replace("(", r"\(").replace(")", r"\)")):
        ServerSettings(**changes).validate()


@pytest.mark.parametrize(
    "image",
    [
        "pypiserver/pypiserver:latest",
        "pypiserver/pypiserver",
        "registry.local:5000/team/pypi:v2.4",
        "pypiserver/pypiserver@sha256:" + "a" * 64,
    ],
)
def test_real_image_names_are_accepted(image: str) -> None:
    ServerSettings(image=image).validate()


def test_bad_settings_leave_the_previous_file(tmp_path: Path) -> None:
    path = tmp_path / "pypi-desk.json"
    save_settings(path, ServerSettings(port=9000))
    before = path.read_bytes()
    with pytest.raises(SettingsError):
        save_settings(path, ServerSettings(port=99999))
    assert path.read_bytes() == before
    assert load_settings(path).port == 9000


def test_missing_file_gives_defaults_and_a_broken_one_says_how_to_fix(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "none.json") == ServerSettings()
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(SettingsError, match="Fix or delete it"):
        load_settings(broken)


def test_unknown_keys_from_a_newer_version_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "pypi-desk.json"
    path.write_text(json.dumps({"port": 9001, "future_option": True}))
    assert load_settings(path).port == 9001


def test_exposed_without_passwords_or_without_https_warns() -> None:
    assert "without passwords" in ServerSettings(host="0.0.0.0", auth="none").warnings()[0]
    assert "without HTTPS" in ServerSettings(host="0.0.0.0").warnings()[0]  # passwords in clear text
    assert not ServerSettings(host="0.0.0.0", https=True).warnings()
    assert not ServerSettings(auth="none").warnings()


def test_url_uses_an_address_this_machine_can_reach() -> None:
    assert ServerSettings(host="0.0.0.0", port=8081).url == "http://127.0.0.1:8081"
    assert ServerSettings(host="::1", port=8081).url == "http://[::1]:8081"


@pytest.mark.parametrize(
    ("hand_edited", "field"),
    [
        ({"overwrite": "false"}, "overwrite"),  # once turned overwriting ON
        ({"image": 5}, "image"),
        ({"auth": ["update"]}, "auth"),
        ({"upstream": 1}, "upstream"),
        ({"host": 2130706433}, "host"),
        ({"port": "8080"}, "port"),
        ({"port": True}, "port"),
    ],
)
def test_a_hand_edited_value_of_the_wrong_type_is_named_and_nothing_crashes(tmp_path, capsys, hand_edited, field):
    from gui.cli import main

    data = tmp_path / "data"
    data.mkdir()
    (data / "pypi-desk.json").write_text(json.dumps(hand_edited))
    with pytest.raises(SettingsError) as refused:
        load_settings(data / "pypi-desk.json")
    assert str(data / "pypi-desk.json") in str(refused.value) and f"{field} is " in str(refused.value)

    assert main(["--data-dir", str(data), "server", "start"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("pypi-desk: The settings file") and "Traceback" not in err
    assert main(["--data-dir", str(data), "doctor"]) == 1  # every check still runs, on the defaults
    printed = capsys.readouterr().out
    assert "PROBLEM  Settings" in printed and "Docker engine" in printed and "~/.pypirc" in printed


def test_a_folder_from_before_the_cache_keeps_what_it_had() -> None:
    from gui.services.index.settings import settings_from_mapping

    assert settings_from_mapping({"fallback_url": "https://pypi.org/simple/"}).fallback == "redirect"
    company = settings_from_mapping({"fallback_url": "https://pypi.example.com/simple/"})
    assert (company.fallback, company.upstream) == ("redirect", "https://pypi.example.com/simple/")
    assert settings_from_mapping({"fallback_url": ""}).fallback == "off"
    assert settings_from_mapping({}).fallback == "cache"  # a new folder caches
