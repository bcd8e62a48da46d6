"""Make README's screenshots from the real app: a real server, real requests, the real window.

Starts a server on a scratch data folder (Docker when an engine answers, else a local
process), adds users with the app's own service, sends the how-to's requests (a listing,
an upload with a wrong password and with the right one, install lookups), then renders
each tab of the real window offscreen: Server and log, Users, Packages, Client setup showing
the preview of the setup for a new user (twine, pip and uv; the password in a GNOME Keyring
started for the purpose), and Doctor's checks. Stops the server. Then the team's HTTPS settings,
Engine and storage… with two docker contexts, the Usage tab (on an index whose two months of
downloads are written into its database for the picture, with the server's own code), and last
the first run: a new data folder with no Docker engine answering.

    .venv/bin/python docs/make_screenshots.py
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: tests.helpers makes the packages

from gui.services.core import DeskServices
from gui.services.index.settings import ServerSettings
from tests.helpers import make_sdist, make_wheel
from tests.secret_service import start_secret_service

OUT = Path(__file__).parent / "screenshots"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def how_to_traffic(url: str, sdist: Path) -> None:
    requests.get(f"{url}/simple/", timeout=5)
    for password, should_work in (("wrong", False), ("pypi", True)):
        upload = subprocess.run(
            [sys.executable, "-m", "twine", "upload", "--non-interactive", "--repository-url", url,
             "-u", "urunimi", "-p", password, str(sdist)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if (upload.returncode == 0) != should_work:
            raise SystemExit(f"twine upload with password {password!r} went wrong:\n{upload.stdout}")
    requests.get(f"{url}/simple/toy/", timeout=5)
    requests.get(f"{url}/simple/requests/", timeout=5, allow_redirects=False)


def upload_more(packages, url: str, folder: Path) -> None:
    """A few more projects and versions, uploaded through the app's own uploader."""
    from gui.services.clients.pypirc_reader import Credentials

    credentials = Credentials("urunimi", "pypi")
    for name, version in (("toy", "1.1.0"), ("toy", "1.2.0rc1"), ("acme-utils", "0.4.2"), ("acme-utils", "0.5.0"),
                          ("data_pipeline", "2.3.1")):  # fmt: skip
        for path in (make_wheel(folder, name, version), make_sdist(folder, name, version)):
            packages.upload(path, credentials, url=url)


def open_window(services: DeskServices):
    """The real main window, shown offscreen, and a function that waits until it has settled."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QTimer

    from gui.gui_app import application
    from gui.widgets.main_window import MainWindow

    application()
    window = MainWindow(services)
    window.show()

    def settle(milliseconds: int = 500) -> None:
        """Let the worker finish what it was given and the window paint."""
        loop = QEventLoop()
        QTimer.singleShot(milliseconds, loop.quit)
        loop.exec()
        while not window.worker.idle:
            window.worker.busy_changed.connect(loop.quit)
            loop.exec()

    settle()
    return window, settle


def render_tabs(services: DeskServices) -> None:
    """Grab each tab of the real window once its state has loaded."""
    window, settle = open_window(services)
    for tab in ("server", "users"):
        window.show_tab(tab)
        settle()
        window.grab().save(str(OUT / f"{tab}.png"))
    window.show_tab("packages")
    packages = window.packages_tab
    packages.view.selectRow(packages.model.row_of("toy") or 0)
    packages.detail.setCurrentIndex(packages.versions.index(0, 0))
    settle()
    window.grab().save(str(OUT / "packages.png"))
    window.client_tab.pip_box.setChecked(True)
    window.client_tab.uv_box.setChecked(True)
    window.client_tab.prefill("alice", "alice-Pa55")  # as after Add user with "set up this computer" ticked
    window.show_tab("client")
    settle()
    window.grab().save(str(OUT / "client-setup.png"))
    window.show_tab("doctor")  # the checks run when the tab is shown
    settle()
    window.grab().save(str(OUT / "doctor.png"))
    window.close()


def render_https(services: DeskServices) -> None:
    """The Server tab of a stopped server for a team: all interfaces, HTTPS on, one more name."""
    window, settle = open_window(services)
    form = window.settings_form
    form.host_combo.setCurrentIndex(form.host_combo.findData("0.0.0.0"))
    form.auth_combo.setCurrentIndex(form.auth_combo.findData("download,update"))
    form.https_box.setChecked(True)
    form.names_edit.setText("pypi.team.lan")
    window.show_tab("server")
    settle()
    window.grab().save(str(OUT / "server-https.png"))
    window.close()


def render_engine(services: DeskServices, scratch: Path) -> None:
    """Engine and storage…: the dialog, with two docker contexts a team would have, a volume chosen."""
    os.environ["DOCKER_CONFIG"] = str(scratch / "docker-config")
    try:
        for name, host in (("team-box", "ssh://deploy@pypi.team.lan"), ("build-box", "tcp://build.team.lan:2376")):
            subprocess.run(["docker", "context", "create", name, "--docker", f"host={host}"], check=True,
                           capture_output=True)  # fmt: skip
        window, settle = open_window(services)
        window.choose_location()
        settle()
        dialog = window.location_dialog
        dialog.engine_combo.setCurrentIndex(dialog.engine_combo.findData("team-box"))
        dialog.volume_radio.setChecked(True)
        dialog.volume_edit.setText("team-index")
        dialog.resize(760, dialog.sizeHint().height())
        settle()
        dialog.grab().save(str(OUT / "engine.png"))
        window.close()
    finally:
        del os.environ["DOCKER_CONFIG"]


def render_usage(scratch: Path) -> None:
    """The Usage tab on an index with eight projects and two months of recorded downloads (skewed as real use
    is: a few projects most of it), written with the server's own recorder code."""
    import random
    import time

    from gui.services.server.inside import facts, usage

    services = DeskServices.open(scratch / "usage", pypirc=scratch / "usage-home" / ".pypirc")
    services.data_dir.ensure()
    names = ["requests-corp", "billing", "auth-client", "data-tools", "legacy-utils", "ml-models", "web-kit"]
    chance = random.Random(7)
    for name in names:
        for version in ("1.0", "1.1", "2.0"):
            make_wheel(services.data_dir.packages_dir, name, version, b"x" * chance.randint(1000, 200_000))
    store = facts.FactsStore(str(services.data_dir.packages_dir))
    now, events = time.time(), []
    for _ in range(6000):
        name = names[min(int(chance.expovariate(0.6)), len(names) - 1)]
        version = chance.choice(("1.0", "1.1", "2.0"))
        wheel = f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
        when = now - chance.random() ** 1.5 * 60 * 86400
        user = chance.choice(["alice", "bob", "ci-bot", "carol"])
        events.append((when, wheel, name, version, user, chance.choice(["pip", "pip", "uv", "poetry", "other"])))
    usage.record_downloads(store, events)
    store.close()
    window, settle = open_window(services)
    window.resize(1200, 900)
    window.show_tab("usage")
    settle(1000)
    window.grab().save(str(OUT / "usage.png"))
    window.close()


def render_cache(scratch: Path) -> None:
    """The Packages tab of a local server caching from a stand-in upstream: the team's two projects, six public
    ones kept, one name in both places flagged."""
    from tests.upstream_standin import StandInIndex

    upstream = scratch / "upstream"
    public = [("requests", "2.32.3", 64_000), ("urllib3", "2.2.3", 126_000), ("idna", "3.10", 70_000),
              ("certifi", "2024.8.30", 167_000), ("charset-normalizer", "3.4.0", 49_000),
              ("corp-tools", "1.0", 2_000)]  # fmt: skip
    for name, version, size in public:
        make_wheel(upstream, name, version, b"x" * size)
    standin = StandInIndex(upstream).start()
    services = DeskServices.open(scratch / "cache", pypirc=scratch / "cache-home" / ".pypirc")
    services.data_dir.ensure()
    services.users.add("alice", "alice-Pa55word")
    settings = ServerSettings(port=free_port(), runtime="process", fallback="cache", upstream=standin.url)
    url = services.server.save_and_start(settings).url
    try:
        for name, version, _ in public:
            wheel = f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
            requests.get(f"{url}/cached/{name}/{wheel}", timeout=30).raise_for_status()
        from gui.services.clients.pypirc_reader import Credentials

        for name, version in (("corp-tools", "2.0"), ("team-app", "0.3")):
            wheel = make_wheel(scratch / "ours", name, version)
            services.packages.upload(wheel, Credentials("alice", "alice-Pa55word"), url=url)
        window, settle = open_window(services)
        window.resize(1100, 820)
        window.show_tab("packages")
        settle(1500)
        window.grab().save(str(OUT / "cache.png"))
        window.close()
    finally:
        services.server.stop()
        standin.stop()


def render_first_run(scratch: Path) -> None:
    """A new data folder on a machine where no Docker engine answers."""
    os.environ["DOCKER_HOST"] = f"unix://{scratch / 'no-engine.sock'}"
    try:
        services = DeskServices.open(scratch / "first-run", pypirc=scratch / "first-run-home" / ".pypirc")
        window, settle = open_window(services)
        settle()
        window.grab().save(str(OUT / "first-run.png"))
        window.close()
    finally:
        del os.environ["DOCKER_HOST"]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        keyring_service = start_secret_service(Path(scratch) / "secret-service")  # the keyring the preview uses
        os.environ.update(keyring_service.env(), XDG_CONFIG_HOME=str(Path(scratch) / "config"))
        services = DeskServices.open(Path(scratch) / "pypi", pypirc=Path(scratch) / "home" / ".pypirc")
        services.data_dir.ensure()
        services.users.add("urunimi", "pypi", "apr1")
        services.users.add("alice", "alice-Pa55")
        services.users.add("ci-bot", "bot-Pa55", "sha512", role="read")
        services.users.add("colleague", "coll-Pa55", role="read")
        service = services.server
        status = service.save_and_start(ServerSettings(port=free_port()))
        try:
            upload_more(services.packages, status.url, Path(scratch))
            how_to_traffic(status.url, make_sdist(Path(scratch)))  # last: the log pane ends with the how-to's lines
            render_tabs(services)
        finally:
            service.stop()
        render_https(services)
        render_engine(services, Path(scratch))
        render_usage(Path(scratch))
        render_cache(Path(scratch))
        render_first_run(Path(scratch))
        keyring_service.stop()
    for name in (
        "server",
        "packages",
        "users",
        "client-setup",
        "doctor",
        "server-https",
        "engine",
        "usage",
        "cache",
        "first-run",
    ):
        print(f"wrote {OUT / name}.png")


if __name__ == "__main__":
    main()
