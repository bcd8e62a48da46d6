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
    assert "--disable-fallback" in args(fallback="off")
    open_command = args(auth="none")
    start = open_command.index("-a")
    assert open_command[start : start + 4] == ["-a", ".", "-P", "."]
    private = args(auth="download,update")
    assert private[private.index("-a") + 1] == "download,update"


def test_names_not_hosted_are_redirected_cached_or_refused_as_set() -> None:
    from gui.services.server.command import launcher_options

    cached = ServerSettings(fallback="cache", upstream="https://pypi.example.com/simple/", cache_minutes=5)
    assert "--disable-fallback" in args(fallback="cache")  # pypiserver never redirects: the cache answers
    options = launcher_options(cached, tls_dir="/t", roles_file="/r", upstream_ca="/ca.pem")
    assert options[options.index("--upstream") + 1] == "https://pypi.example.com/simple/"
    assert options[options.index("--cache-minutes") + 1] == "5"
    assert options[options.index("--upstream-ca") + 1] == "/ca.pem"
    redirected = args(fallback="redirect", upstream="https://pypi.example.com/simple/")
    assert redirected[redirected.index("--fallback-url") + 1] == "https://pypi.example.com/simple/"
    assert "--upstream" not in launcher_options(ServerSettings(fallback="redirect"), tls_dir="/t", roles_file="/r")


def test_the_plain_way_sends_names_it_does_not_host_to_upstream_instead_of_a_cache_it_lacks() -> None:
    from gui.services.server.inside.options import redirect_instead_of_cache

    cached = args(fallback="cache", upstream="https://pypi.example.com/simple/")
    plain = redirect_instead_of_cache({"--upstream": "https://pypi.example.com/simple/"}, cached)
    assert "--disable-fallback" not in plain and plain[-1] == cached[-1]
    assert plain[plain.index("--fallback-url") + 1] == "https://pypi.example.com/simple/"
    assert redirect_instead_of_cache({}, args(fallback="off")) == args(fallback="off")
