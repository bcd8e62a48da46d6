"""pip.conf and uv.toml edits: this index and the keyring provider set, every other byte kept."""

from __future__ import annotations

import configparser
from pathlib import Path

import pytest
import tomllib

from gui.services.clients.pip_conf import pip_config_path, plan_pip_conf
from gui.services.clients.uv_toml import plan_uv_toml, uv_config_path
from gui.services.errors import ConfigFileError

INDEX = "http://127.0.0.1:8080/simple/"

PIP_CONF = """\
# my pip
[global]
timeout = 60
index-url = https://pypi.org/simple/

[install]
; the company mirror for installs
index-url = https://mirror.example/simple/
no-compile = yes
"""

UV_TOML = """\
# my uv settings
native-tls = true  # the company proxy

[[index]]
name = "corp"
url = "https://corp.example/simple/"

[pip]
compile-bytecode = true
"""


def test_pip_conf_gets_the_index_and_keyring_provider_and_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "pip.conf"
    path.write_text(PIP_CONF)
    change = plan_pip_conf(path, INDEX)
    change.apply()

    text = path.read_text()
    assert text == PIP_CONF.replace("https://pypi.org/simple/", INDEX + "\nkeyring-provider = subprocess").replace(
        "https://mirror.example/simple/", INDEX
    )  # [install]'s own index-url would win over [global] for `pip install`, so it follows
    parser = configparser.RawConfigParser()
    parser.read_string(text)
    assert parser["global"]["keyring-provider"] == "subprocess" and parser["install"]["no-compile"] == "yes"
    assert not plan_pip_conf(path, INDEX).changed  # twice changes nothing
    assert path.with_name("pip.conf.bak").read_text() == PIP_CONF


def test_pip_and_uv_read_the_files_their_variables_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_CONFIG_FILE", str(tmp_path / "mine.conf"))
    monkeypatch.setenv("UV_CONFIG_FILE", str(tmp_path / "mine.toml"))
    assert pip_config_path() == tmp_path / "mine.conf" and uv_config_path() == tmp_path / "mine.toml"
    monkeypatch.delenv("PIP_CONFIG_FILE")
    monkeypatch.delenv("UV_CONFIG_FILE")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert pip_config_path() == tmp_path / "xdg" / "pip" / "pip.conf"
    assert uv_config_path() == tmp_path / "xdg" / "uv" / "uv.toml"


def test_uv_toml_gets_its_index_with_the_user_in_the_url_and_keeps_comments(tmp_path: Path) -> None:
    path = tmp_path / "uv.toml"
    path.write_text(UV_TOML)
    plan_uv_toml(path, "local", INDEX, "alice").apply()

    text = path.read_text()
    for line in UV_TOML.splitlines():
        assert line in text.splitlines()  # comments and the corp index stay
    settings = tomllib.loads(text)
    assert settings["keyring-provider"] == "subprocess"
    assert settings["native-tls"] is True and settings["pip"] == {"compile-bytecode": True}
    assert settings["index"][1] == {"name": "local", "url": "http://alice@127.0.0.1:8080/simple/", "default": True}
    assert not plan_uv_toml(path, "local", INDEX, "alice").changed
    plan_uv_toml(path, "local", INDEX, "bob").apply()  # another user: the same index, its URL changed
    assert [index["url"] for index in tomllib.loads(path.read_text())["index"]][1].startswith("http://bob@")


def test_files_the_clients_would_refuse_or_another_default_index_are_not_edited(tmp_path: Path) -> None:
    broken_pip = tmp_path / "pip.conf"
    broken_pip.write_text("[global\nindex-url = x\n")
    with pytest.raises(ConfigFileError, match="as pip reads it"):
        plan_pip_conf(broken_pip, INDEX)
    broken_uv = tmp_path / "uv.toml"
    broken_uv.write_text('keyring-provider = "subprocess\n')
    with pytest.raises(ConfigFileError, match="as uv reads it"):
        plan_uv_toml(broken_uv, "local", INDEX, "alice")
    other_default = tmp_path / "other.toml"
    other_default.write_text('[[index]]\nname = "corp"\nurl = "https://corp/simple/"\ndefault = true\n')
    with pytest.raises(ConfigFileError, match="'corp' uv's default index"):
        plan_uv_toml(other_default, "local", INDEX, "alice")
    assert other_default.read_text().count("default = true") == 1
