"""The process runtime (no Docker): start, answer, adopt, stop, with real status codes."""

from __future__ import annotations

import socket
import sys

import pytest
import requests

from gui.services.errors import PortInUseError
from gui.services.index.datadir import open_data_dir
from gui.services.index.settings import ServerSettings
from gui.services.server.command import FROZEN_SERVER_ARGUMENT
from gui.services.server.inside import LAUNCHER_DIR
from gui.services.server.process import ProcessRuntime, server_command
from tests.helpers import add_user, wait_for_log_line


@pytest.fixture
def runtime(data_dir):
    runtime = ProcessRuntime(data_dir)
    yield runtime
    runtime.stop()


def test_start_answer_stop(runtime, port) -> None:
    status = runtime.start(ServerSettings(port=port))
    assert status.running and status.runtime == "process"
    assert requests.get(f"{status.url}/simple/", timeout=5).status_code == 200
    runtime.stop()
    assert runtime.status().state == "absent"
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{status.url}/simple/", timeout=2)


def test_a_reopened_app_adopts_the_process(runtime, data_dir, port) -> None:
    first = runtime.start(ServerSettings(port=port))
    reopened = ProcessRuntime(open_data_dir(data_dir.root))
    assert reopened.status().running
    assert reopened.start(ServerSettings(port=port)).detail == first.detail


def test_busy_port_is_a_clear_error(runtime, port) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        with pytest.raises(PortInUseError, match="choose another port"):
            runtime.start(ServerSettings(port=port))
    assert runtime.status().state == "absent"


def test_log_has_real_status_codes(runtime, data_dir, port) -> None:
    data_dir.ensure()
    add_user(data_dir.password_file)
    status = runtime.start(ServerSettings(port=port))
    refused = requests.post(
        f"{status.url}/",
        auth=("urunimi", "wrong"),
        data={":action": "remove_pkg", "name": "x", "version": "1"},
        timeout=5,
    )
    assert refused.status_code == 403
    wait_for_log_line(runtime, lambda line: '"POST / HTTP/1.1" 403' in line)


def test_a_frozen_app_serves_with_its_own_executable(monkeypatch) -> None:
    """A PyInstaller bundle has no Python for ``-m pypiserver`` (tests/packaging runs the real bundle)."""
    assert server_command("/usr/bin/python3") == ["/usr/bin/python3", str(LAUNCHER_DIR / "launcher.py")]
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert server_command("/usr/bin/python3") == [sys.executable, FROZEN_SERVER_ARGUMENT]


def test_the_local_process_keeps_upload_times_and_yanks_in_the_index_database(data_dir, port, tmp_path) -> None:
    from gui.services.core import DeskServices
    from tests.helpers import make_wheel

    services = DeskServices.open(data_dir)
    try:
        url = services.server.save_and_start(ServerSettings(port=port, auth="none"), runtime="process").url
        wheel = make_wheel(tmp_path, "local-only", "1.0")
        with open(wheel, "rb") as handle:
            reply = requests.post(f"{url}/", data={":action": "file_upload"}, files={"content": handle}, timeout=30)
        assert reply.status_code == 200, reply.text
        services.packages.set_yanked("Local_Only", "1.0.0", "use 2.0")  # written by the app itself: its own files
        page = requests.get(f"{url}/simple/local-only/", timeout=5).text
        assert 'data-yanked="use 2.0"' in page and "data-core-metadata" in page
        files = services.packages.listing().projects[0].versions[0].files
        assert services.packages.listing().upload_of(files[0])[1] == "upload"
    finally:
        services.server.stop()
        services.close()
