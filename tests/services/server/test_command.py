"""The pypiserver command line: complete, since any arguments replace the image's default."""

from __future__ import annotations

from gui.services.index.settings import ServerSettings
from gui.services.server.command import pypiserver_args


def args(**changes: object) -> list[str]:
    return pypiserver_args(
        ServerSettings(**changes),
        port=8080,
        password_file="/data/auth/.htpasswd",
        packages_dir="/data/packages",
        server="gunicorn",
    )


def test_default_command_matches_the_how_to_with_upload_auth() -> None:
    command = args()
    assert command[:5] == ["run", "-p", "8080", "--server", "gunicorn"]
    assert command[command.index("-P") + 1] == "/data/auth/.htpasswd"
    assert command[command.index("-a") + 1] == "update"
    assert command[command.index("--backend") + 1] == "simple-dir"
    assert command[-1] == "/data/packages"
    assert "-o" not in command


def test_options_follow_the_settings() -> None:
    assert "-o" in args(overwrite=True)
    assert "--disable-fallback" in args(fallback_url="")
    open_command = args(auth="none")
    start = open_command.index("-a")
    assert open_command[start : start + 4] == ["-a", ".", "-P", "."]
    private = args(auth="download,update")
    assert private[private.index("-a") + 1] == "download,update"
