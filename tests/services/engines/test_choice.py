"""Choosing an engine: this computer's, a docker context (as the CLI writes it), or a URL; and ssh's words."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from gui.services.engines.choice import Engine, engine_options, parse_engine
from gui.services.engines.ssh import explain
from gui.services.errors import EngineUnavailableError


def test_urls_and_names_say_where_the_engine_runs() -> None:
    assert Engine().is_default and Engine().host() is None
    assert Engine("unix:///run/other/docker.sock").host() is None  # a socket is this machine's
    assert Engine("tcp://build.example.lan:2376").host() == "build.example.lan"
    assert Engine("ssh://deploy@pypi.example.lan").host() == "pypi.example.lan"
    assert Engine("ssh://root@127.0.0.1:2222").host() == "127.0.0.1"  # over ssh: another machine, even by loopback
    assert Engine("ssh://deploy@pypi.example.lan").slug == "ssh_deploy_pypi.example.lan"
    for bad in ("ftp://host", "has spaces", "tcp://", "ssh://-oProxyCommand=touch${IFS}pwned", "ssh://-l@host"):
        with pytest.raises(EngineUnavailableError):
            parse_engine(bad)


@pytest.mark.docker
def test_a_docker_context_is_offered_and_reaches_its_engine(second_engine: str) -> None:
    docker_cli = shutil.which("docker")
    assert docker_cli, "the docker CLI comes with docker.io (../shared/docker/start-engine.sh)"
    subprocess.run([docker_cli, "context", "create", "team-box", "--docker", f"host={second_engine}"], check=True)
    assert ("team-box", second_engine) in [(o.ref, o.url) for o in engine_options()]
    engine = parse_engine("team-box")
    assert engine.url() == second_engine and engine.host() is None
    assert engine.client().ping()
    with pytest.raises(EngineUnavailableError, match="no Docker context named 'gone'"):
        Engine("gone").client()


@pytest.mark.parametrize(
    ("stderr", "says"),
    [
        ("Host key verification failed.\r\n", "does not know pypi.example.lan's host key"),
        ("@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @", "ssh-keygen -R pypi.example.lan"),
        ("deploy@pypi.example.lan: Permission denied (publickey).", "ssh-copy-id deploy@pypi.example.lan"),
        (
            "permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock",
            "sudo usermod -aG docker deploy",
        ),
        ("bash: line 1: docker: command not found", "Install Docker on pypi.example.lan"),
        ("ssh: Could not resolve hostname pypi.example.lan: Name or service not known", "Check the host name"),
    ],
)
def test_ssh_failures_are_said_with_what_to_do(stderr: str, says: str) -> None:
    assert says in str(explain("ssh://deploy@pypi.example.lan", stderr))
