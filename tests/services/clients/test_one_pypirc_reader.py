"""The app's upload, the Doctor and the first-run guide read ~/.pypirc one way: twine's.

For each file below the three give the same answer, and it is what ``twine upload -r NAME``
would do: a section counts only when ``index-servers`` lists it, ``localhost`` reaches a
server on 127.0.0.1, ``::1`` does not (the server listens on IPv4 only), and a URL without
a port means 80 (http) or 443 (https).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gui.services.core import DeskServices
from gui.services.doctor import Outcome, diagnose
from gui.services.index.settings import ServerSettings
from gui.services.server.phase import Phase
from gui.widgets.main_window import MainWindow

LISTED = "[distutils]\nindex-servers =\n    pypi\n    local\n\n"
UNLISTED = "[distutils]\nindex-servers =\n    pypi\n\n"
CASES = [
    # (server port, what [local] says, listed?, does twine reach this server with it?)
    (8080, "http://127.0.0.1:8080", True, True),
    (8080, "http://localhost:8080/", True, True),
    (8080, "http://[::1]:8080", True, False),
    (8080, "http://127.0.0.1:8080", False, False),
    (8080, "http://127.0.0.1:9090", True, False),
    (80, "http://localhost", True, True),
    (80, "https://localhost", True, False),
    (443, "http://127.0.0.1", True, False),
]


def write_pypirc(path: Path, repository: str, listed: bool) -> None:
    section = f"[local]\nrepository = {repository}\nusername = urunimi\npassword = pypi\n"
    path.write_text((LISTED if listed else UNLISTED) + section)
    path.chmod(0o600)


@pytest.mark.parametrize(("port", "repository", "listed", "reaches"), CASES)
def test_upload_doctor_and_guide_agree(qtbot, tmp_path: Path, port, repository, listed, reaches) -> None:
    pypirc = tmp_path / ".pypirc"
    write_pypirc(pypirc, repository, listed)
    services = DeskServices.open(tmp_path / "data", pypirc=pypirc)
    services.server.save_settings(ServerSettings(port=port, runtime="process"))
    services.users.add("urunimi", "pypi", "apr1")  # the .pypirc's user, with that password

    upload_finds_credentials = services.packages.saved_credentials() is not None
    doctor = {finding.check: finding for finding in diagnose(services)}["~/.pypirc"]
    window = MainWindow(services)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.phase is Phase.STOPPED and window.worker.idle, timeout=10_000)
    guide_says_done = window.guide.done["client"]
    window.close()

    assert upload_finds_credentials is reaches
    assert (doctor.outcome is Outcome.OK) is reaches
    assert guide_says_done is reaches
