"""A team index over real TLS with readers and publishers: curl, pip, twine and uv, the real engine.

Each client succeeds with the server's CA and fails without it; a reader installs but its upload and
delete get 403 (and the log says who tried); a publisher uploads; anonymous reading gets 401 when
everything needs a password; a role change applies at once, no restart.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gui.services.core import DeskServices
from gui.services.index.datadir import DataDir
from gui.services.index.settings import ServerSettings
from tests.helpers import make_wheel

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("docker_client", "docker_cleanup")]

#: What would make a client ignore the trust it is given (this machine sets them all).
TRUST_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "PIP_CERT", "SSL_CERT_FILE", "SSL_CERT_DIR")
BIN = Path(sys.executable).parent


def run(*command: str, env: dict[str, str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=180, env=env, cwd=cwd)


def said(outcome: subprocess.CompletedProcess) -> str:
    return outcome.stdout + outcome.stderr


@pytest.fixture
def team(data_dir: DataDir, port: int, tmp_path: Path, isolated_home: Path):
    services = DeskServices.open(data_dir)
    services.data_dir.ensure()
    services.users.add("pub", "pub-Pa55", role="publish")
    services.users.add("ci", "ci-Pa55", role="read")
    settings = ServerSettings(port=port, https=True, auth="list,download,update", runtime="docker")
    status = services.server.save_and_start(settings)
    env = {key: value for key, value in os.environ.items() if key not in TRUST_VARIABLES}
    env.update(HOME=str(isolated_home), PIP_CONFIG_FILE=os.devnull, UV_NO_CONFIG="1", PIP_NO_INPUT="1")
    yield services, status.url, env
    services.server.stop()


def test_each_client_needs_the_servers_ca(team, tmp_path: Path) -> None:
    services, url, env = team
    assert url.startswith("https://")
    ca = services.server.tls.export_ca(services.server.load_settings(), tmp_path / "pypi-desk-ca.pem")
    bundle = services.clients.trust_files(services.server.load_settings())[1]
    wheel = make_wheel(tmp_path / "dist", "teamtoy", "1.0")
    simple = url.replace("https://", "https://ci:ci-Pa55@") + "/simple/"

    curl = ["curl", "-s", "-o", os.devnull, "-w", "%{http_code}", "-u", "ci:ci-Pa55", f"{url}/simple/"]
    assert run(*curl, "--cacert", str(ca), env=env).stdout == "200"
    refused = run(*curl, env=env)
    assert refused.returncode == 60  # curl: the peer's certificate cannot be verified

    twine = [sys.executable, "-m", "twine", "upload", "--non-interactive", "--repository-url", url]
    publish = [*twine, "-u", "pub", "-p", "pub-Pa55", str(wheel)]
    assert "CERTIFICATE_VERIFY_FAILED" in said(run(*publish, env=env))
    assert run(*publish, "--cert", str(ca), env=env).returncode == 0  # a publisher uploads
    assert (services.data_dir.packages_dir / wheel.name).exists()

    pip = [sys.executable, "-m", "pip", "install", "--no-cache-dir", "--no-deps", "--index-url", simple]
    failed = run(*pip, "--target", str(tmp_path / "pip-none"), "teamtoy==1.0", env=env)
    assert failed.returncode != 0 and "CERTIFICATE_VERIFY_FAILED" in said(failed)
    assert run(*pip, "--cert", str(bundle), "--target", str(tmp_path / "pip"), "teamtoy==1.0", env=env).returncode == 0

    uv = [str(BIN / "uv"), "pip", "install", "--no-cache", "--index-url", simple, "teamtoy==1.0"]
    failed = run(*uv, "--target", str(tmp_path / "uv-none"), env=env, cwd=tmp_path)
    assert failed.returncode != 0 and "UnknownIssuer" in said(failed)
    with_ca = run(*uv, "--target", str(tmp_path / "uv"), env={**env, "SSL_CERT_FILE": str(bundle)}, cwd=tmp_path)
    assert with_ca.returncode == 0, said(with_ca)
    assert (tmp_path / "pip" / "teamtoy").is_dir() and (tmp_path / "uv" / "teamtoy").is_dir()


def test_readers_install_but_may_not_publish_until_their_role_changes(team, tmp_path: Path) -> None:
    services, url, env = team
    ca = str(services.server.tls.ca_cert)
    wheel = make_wheel(tmp_path / "dist", "teamtoy", "2.0")
    twine = [sys.executable, "-m", "twine", "upload", "--non-interactive", "--cert", ca, "--repository-url", url]
    assert run(*twine, "-u", "pub", "-p", "pub-Pa55", str(wheel), env=env).returncode == 0

    import requests

    anonymous = requests.get(f"{url}/simple/teamtoy/", verify=ca, timeout=10)
    assert anonymous.status_code == 401  # everything needs a password
    assert requests.get(f"{url}/simple/teamtoy/", auth=("ci", "ci-Pa55"), verify=ca, timeout=10).status_code == 200

    upload = run(*twine, "-u", "ci", "-p", "ci-Pa55", str(make_wheel(tmp_path / "ci", "teamtoy", "3.0")), env=env)
    assert upload.returncode != 0 and "403" in said(upload)
    delete = {":action": "remove_pkg", "name": "teamtoy", "version": "2.0"}
    assert requests.post(f"{url}/", data=delete, auth=("ci", "ci-Pa55"), verify=ca, timeout=10).status_code == 403
    log = "\n".join(services.server.logs(tail=50))
    assert "- ci [" in log and '"POST / HTTP/1.1" 403' in log and "'ci' is a reader" in log  # who tried

    services.users.set_role("ci", "publish")  # the server reads the roles at the next request: no restart
    assert requests.post(f"{url}/", data=delete, auth=("ci", "ci-Pa55"), verify=ca, timeout=10).status_code == 200
    assert not (services.data_dir.packages_dir / "teamtoy-2.0-py3-none-any.whl").exists()
