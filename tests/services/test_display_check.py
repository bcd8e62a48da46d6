"""Before any QApplication: a missing xcb library or display is said in words, not a Qt abort."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from gui.services.display_check import display_problem, install_hint, missing_libraries, xcb_plugin

LDD = """\
\tlinux-vdso.so.1 (0x00007ffd)
\tlibQt6XcbQpa.so.6 => /opt/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-cursor.so.0 => not found
\tlibxcb-icccm.so.4 => not found
"""


def test_ldd_output_names_each_missing_library_once() -> None:
    assert missing_libraries(LDD) == ["libxcb-icccm.so.4", "libxcb-cursor.so.0"]


def test_the_hint_names_debian_and_fedora_packages() -> None:
    hint = install_hint(["libxcb-icccm.so.4", "libxcb-cursor.so.0", "libweird.so.9"])
    assert "sudo apt install libxcb-cursor0 libxcb-icccm4" in hint
    assert "sudo dnf install xcb-util-cursor xcb-util-wm" in hint
    assert "libweird.so.9" in hint


def test_offscreen_and_wayland_are_not_checked() -> None:
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}) is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}) is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the xcb plugin is Linux's")
def test_the_window_command_says_what_is_missing_instead_of_aborting(tmp_path) -> None:
    """As a new user would meet it: the real plugin, no X server on :99."""
    assert xcb_plugin() is not None
    env = dict(os.environ, QT_QPA_PLATFORM="xcb", DISPLAY=":99")
    env.pop("WAYLAND_DISPLAY", None)
    result = subprocess.run(
        [sys.executable, "-c", "import sys, gui.cli; sys.exit(gui.cli.gui_main())", "--data-dir", str(tmp_path)],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr  # not -6 (SIGABRT), Qt's way out
    assert result.stderr.startswith("PyPI Desk cannot open its window: ")
    assert "pypi-desk doctor" in result.stderr
    problem = display_problem(env)
    assert problem is not None and str(problem) in result.stderr
    if "lacks" in problem.reason:
        assert "sudo apt install" in problem.fix and "sudo dnf install" in problem.fix
    else:
        assert "no X server answers on display :99" in problem.reason
