"""API tokens with the real clients against the real server, everything needing a password: twine, uv publish and
poetry publish upload with a publish token, pip and uv install with a read token; scope, expiry, revoke, the
user's removal and role; no token in any log or backup."""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from gui.services.backup.archive import write_backup
from gui.services.core import DeskServices
from gui.services.index.datadir import open_data_dir
from gui.services.index.settings import ServerSettings
from gui.services.server.inside.tokens import parse_tokens, tokens_json
from tests.conftest import IN_CI, free_port
from tests.helpers import make_wheel

pytestmark = [pytest.mark.docker]
UV = str(Path(sys.executable).with_name("uv"))
POETRY = Path(__file__).resolve().parents[1] / ".venv-poetry" / "bin" / "poetry"


@pytest.fixture(scope="module")
def index(docker_client, tmp_path_factory):
    """A server that asks a password for everything but listing, with publishers alice and bob."""
    data_dir = open_data_dir(tmp_path_factory.mktemp("tokens") / "server")
    services = DeskServices.open(data_dir)
    data_dir.ensure()
    for name in ("alice", "bob", "carol"):
        services.users.add(name, f"{name}-Pa55word")
    settings = ServerSettings(port=free_port(), runtime="docker", auth="download,update")
    url = services.server.save_and_start(settings).url
    yield services, url
    services.server.stop()
    services.close()


def twine(url: str, token: str, *files: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "TWINE_USERNAME": "__token__", "TWINE_PASSWORD": token}
    command = [sys.executable, "-m", "twine", "upload", "--disable-progress-bar", "--repository-url", f"{url}/"]
    return subprocess.run([*command, *map(str, files)], capture_output=True, text=True, env=env, timeout=120)


def uv_publish(url: str, token: str, *files: Path) -> subprocess.CompletedProcess:
    command = [UV, "publish", "--no-config", "--publish-url", f"{url}/", "--token", token, *map(str, files)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def server_log(services: DeskServices) -> str:
    return "\n".join(services.server.logs())


def test_twine_uv_and_poetry_publish_with_a_publish_token_and_only_in_its_scope(index, tmp_path: Path) -> None:
    services, url = index
    made = services.users.token_store().create("alice", "release job", ["Tok_App"], expires_days=30)
    assert twine(url, made.secret, make_wheel(tmp_path, "tok-app", "1.0")).returncode == 0
    published = uv_publish(url, made.secret, make_wheel(tmp_path, "tok-app", "1.1"))
    assert published.returncode == 0, published.stderr
    if not POETRY.exists():
        message = f"poetry is missing ({POETRY}; .ci/run makes it)"
        pytest.fail(message) if IN_CI else pytest.skip(message)
    project = tmp_path / "poetry-project"
    (project / "tok_app").mkdir(parents=True)
    (project / "tok_app" / "__init__.py").write_text("")
    (project / "pyproject.toml").write_text('[project]\nname = "tok-app"\nversion = "1.2"\n')
    make_wheel(project / "dist", "tok-app", "1.2")
    home = {**os.environ, "POETRY_CONFIG_DIR": str(tmp_path / "poetry-config"),
            "POETRY_REPOSITORIES_TEAM_URL": f"{url}/", "POETRY_PYPI_TOKEN_TEAM": made.secret}  # fmt: skip
    poetry = subprocess.run([str(POETRY), "publish", "-r", "team", "--no-interaction"], cwd=project,
                            capture_output=True, text=True, env=home, timeout=300)  # fmt: skip
    assert poetry.returncode == 0, poetry.stdout + poetry.stderr
    listed = requests.get(f"{url}/simple/tok-app/", timeout=10).text
    assert all(f"tok_app-{v}-py3-none-any.whl" in listed for v in ("1.0", "1.1", "1.2"))
    refused = twine(url, made.secret, make_wheel(tmp_path, "other-proj", "1.0"))
    assert refused.returncode != 0 and "403" in refused.stdout + refused.stderr
    said = server_log(services)
    assert f"token 'release job' ({made.token.id}) of 'alice' may not publish 'other-proj'" in said
    assert said.count("may not publish 'other-proj'") == 1  # said once, not by every layer that asks
    assert made.secret not in said
    swapped = requests.get(f"{url}/packages/none", auth=(made.secret, ""), timeout=10)  # the token as user name
    assert swapped.status_code == 403 and made.secret not in server_log(services)
    assert f"pypi-desk-{made.token.id}-…" in server_log(services)
    told = requests.post(f"{url}/", auth=("__token__", made.secret), timeout=10,
                         data={":action": "remove_pkg", "name": "other-proj", "version": "1.0"})  # fmt: skip
    assert told.status_code == 403 and "may not publish &#039;other-proj&#039;" in told.text  # told why


def test_a_read_token_installs_with_pip_and_uv_and_cannot_upload(index, tmp_path: Path) -> None:
    services, url = index
    publisher = services.users.token_store().create("bob", "publish", expires_days=30)
    assert twine(url, publisher.secret, make_wheel(tmp_path, "readable", "1.0")).returncode == 0
    reader = services.users.token_store().create("bob", "ci install", read_only=True, expires_days=30)
    host = url.split("://", 1)[1]
    index_url = f"http://__token__:{reader.secret}@{host}/simple/"
    pip = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-cache-dir", "-d",
                          str(tmp_path / "pip"), "--index-url", index_url, "readable==1.0"],
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert pip.returncode == 0, pip.stderr
    uv = subprocess.run([UV, "pip", "install", "--no-cache", "--no-config", "--target", str(tmp_path / "uv"),
                         "--index-url", index_url, "readable==1.0"],
                        capture_output=True, text=True, timeout=120)  # fmt: skip
    assert uv.returncode == 0, uv.stderr
    assert (tmp_path / "uv" / "readable" / "__init__.py").exists()
    assert requests.get(f"{url}/packages/readable-1.0-py3-none-any.whl", timeout=10).status_code == 401  # no token
    upload = uv_publish(url, reader.secret, make_wheel(tmp_path, "readable", "2.0"))
    assert upload.returncode != 0 and "only reads" in server_log(services)
    used = services.packages.facts().token_use
    assert reader.token.id in used and publisher.token.id in used


def test_an_expired_or_revoked_token_is_refused_at_the_next_request(index, tmp_path: Path) -> None:
    services, url = index
    store = services.users.token_store()
    doomed, expiring = store.create("carol", "doomed", expires_days=30), store.create("carol", "short", expires_days=1)
    wheel = make_wheel(tmp_path, "carols", "1.0")
    for made in (doomed, expiring):
        page = requests.get(f"{url}/packages/none", auth=("__token__", made.secret), timeout=10)
        assert page.status_code == 404  # let in: the file is just not there
    store.revoke(doomed.token.id)
    assert requests.get(f"{url}/packages/none", auth=("__token__", doomed.secret), timeout=10).status_code == 403
    tokens_file = services.data_dir.auth_dir / "tokens.json"
    key, tokens = parse_tokens(tokens_file.read_bytes(), "tokens.json")
    aged = [t if t.id != expiring.token.id else t.__class__(**{**t.as_json(), "projects": t.projects,
            "expires": time.time() - 1}) for t in tokens.values()]  # fmt: skip
    tokens_file.write_bytes(tokens_json(key, aged))  # as if its day had passed
    assert twine(url, expiring.secret, wheel).returncode != 0
    assert f"token 'short' ({expiring.token.id}) of 'carol' has expired" in server_log(services)


def test_a_removed_user_or_a_reader_loses_the_tokens_power_at_once(index, tmp_path: Path) -> None:
    services, url = index
    services.users.add("dave", "dave-Pa55word")
    made = services.users.token_store().create("dave", "all of dave's", expires_days=30)
    services.users.set_role("dave", "read")
    assert twine(url, made.secret, make_wheel(tmp_path, "daves", "1.0")).returncode != 0
    assert "'dave' is a reader and may not publish" in server_log(services)
    services.users.set_role("dave", "publish")
    assert twine(url, made.secret, make_wheel(tmp_path, "daves", "1.0")).returncode == 0
    with open(services.data_dir.auth_dir / "tokens.json", "rb") as before:
        kept = before.read()
    services.remove_user("dave")
    assert services.users.token_store().tokens("dave") == []
    (services.data_dir.auth_dir / "tokens.json").write_bytes(kept)  # even a token left behind by hand
    assert requests.get(f"{url}/packages/none", auth=("__token__", made.secret), timeout=10).status_code == 403
    assert "that user no longer exists" in server_log(services)


def test_no_token_is_in_the_server_log_the_app_log_or_a_backup(index, tmp_path: Path) -> None:
    services, url = index
    made = services.users.token_store().create("alice", "secret keeper", expires_days=30)
    requests.get(f"{url}/packages/none", auth=("__token__", made.secret), timeout=10)
    requests.get(f"{url}/packages/none", auth=("__token__", made.secret + "x"), timeout=10)
    archive = write_backup(services.data_dir, tmp_path / "backup.tar.gz")
    secret = made.secret.encode()
    assert secret not in gzip.decompress(archive.path.read_bytes())
    assert made.secret not in server_log(services)
    app_logs = [p for p in Path(os.environ["HOME"]).rglob("*.log")]
    assert all(secret not in p.read_bytes() for p in app_logs)
    assert json.loads((services.data_dir.auth_dir / "tokens.json").read_text())["tokens"]
    with contextlib.suppress(FileNotFoundError):
        assert secret not in (services.data_dir.packages_dir / ".pypi-desk" / "index.sqlite3").read_bytes()
