"""A bug in a core call is not dressed up as the user's mistake: its traceback goes to the app's
log file, and the window and the command line say "an unexpected error" and where the details are."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from gui.cli import main
from gui.services.app_log import configure_logging, default_log_file
from gui.services.core import DeskServices
from gui.services.server.service import ServerService
from gui.widgets.main_window import MainWindow


@pytest.fixture(autouse=True)
def fresh_logging() -> Iterator[None]:
    yield
    for handler in list(logging.getLogger("gui").handlers):
        logging.getLogger("gui").removeHandler(handler)
        handler.close()


class BrokenSettings(ServerService):
    """A real server service whose settings reader has a bug."""

    def load_settings(self):
        return {}["port"]  # KeyError: a programming error, not a user's


def test_the_window_shows_a_plain_message_and_the_log_file_has_the_traceback(qtbot, tmp_path: Path) -> None:
    log_file = configure_logging(log_file=tmp_path / "logs" / "pypi-desk.log")
    services = DeskServices.open(server=BrokenSettings.for_data_dir(DeskServices.open(tmp_path / "data").data_dir))
    window = MainWindow(services)
    qtbot.addWidget(window)
    qtbot.waitUntil(
        lambda: any("unexpected error" in line for line in window.log_pane.model.text_lines()), timeout=10_000
    )
    shown = next(line for line in window.log_pane.model.text_lines() if "unexpected error" in line)
    assert f"details are in {log_file}" in shown and "KeyError" in shown
    assert "Traceback" not in "\n".join(window.log_pane.model.text_lines())
    logged = log_file.read_text()
    assert "Traceback (most recent call last)" in logged and "load_settings" in logged and "KeyError" in logged
    window.close()


def test_the_command_line_says_unexpected_and_logs_the_traceback(monkeypatch, tmp_path: Path, capsys) -> None:
    monkeypatch.setattr(ServerService, "status", lambda self, runtime="auto": 1 / 0)
    assert main(["--data-dir", str(tmp_path / "data"), "server", "status"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("pypi-desk: An unexpected error (ZeroDivisionError: division by zero)")
    assert str(default_log_file()) in err and "Traceback" not in err
    logged = default_log_file().read_text()
    assert "Traceback (most recent call last)" in logged and "ZeroDivisionError" in logged


def test_verbose_logs_to_stderr_too(monkeypatch, tmp_path: Path, capsys) -> None:
    monkeypatch.setattr(ServerService, "status", lambda self, runtime="auto": 1 / 0)
    assert main(["--verbose", "--data-dir", str(tmp_path / "data"), "server", "status"]) == 1
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_a_user_mistake_is_one_line_and_no_traceback(tmp_path: Path, capsys) -> None:
    assert main(["--data-dir", str(tmp_path / "data"), "user", "remove", "nobody"]) == 1
    err = capsys.readouterr().err
    assert err == "pypi-desk: There is no user nobody; nothing was removed.\n"
    assert not default_log_file().exists() or "Traceback" not in default_log_file().read_text()
