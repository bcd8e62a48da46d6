"""Can a window open here? Checked before Qt is started, because Qt's own failure is an abort.

On Linux, Qt's X11 platform plugin (``libqxcb.so``) needs a dozen small xcb libraries that
a plain desktop install may lack; without them Qt prints "could not load the Qt platform
plugin xcb" and aborts the process. Here ``ldd`` names what the plugin lacks (and
``libxcb-cursor``, which Qt loads at run time), and the message names the packages that
install them on Debian/Ubuntu and on Fedora. Nothing here imports Qt.
"""

from __future__ import annotations

import ctypes.util
import importlib.util
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

#: soname -> (Debian/Ubuntu package, Fedora package)
PACKAGES: dict[str, tuple[str, str]] = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb-xinerama.so.0": ("libxcb-xinerama0", "libxcb"),
    "libxcb-xinput.so.0": ("libxcb-xinput0", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libSM.so.6": ("libsm6", "libSM"),
    "libICE.so.6": ("libice6", "libICE"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
}
_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found", re.MULTILINE)
_LOCAL_DISPLAY = re.compile(r"^(?:unix)?:(\d+)(?:\.\d+)?$")


@dataclass(frozen=True)
class DisplayProblem:
    """Why no window can open, and what to do; ``str()`` is the whole message."""

    reason: str
    fix: str

    def __str__(self) -> str:
        return (
            f"PyPI Desk cannot open its window: {self.reason}\n{self.fix}\n"
            "Everything else works without a display: 'pypi-desk doctor', 'pypi-desk server start', "
            "'pypi-desk --help'."
        )


def xcb_plugin() -> Path | None:
    """PySide6's X11 platform plugin, found without importing Qt."""
    spec = importlib.util.find_spec("PySide6")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        plugin = Path(folder) / "Qt" / "plugins" / "platforms" / "libqxcb.so"
        if plugin.exists():
            return plugin
    return None


def missing_libraries(ldd_output: str) -> list[str]:
    """The sonames ``ldd`` could not find, each once, in its order."""
    return list(dict.fromkeys(_NOT_FOUND.findall(ldd_output)))


def install_hint(sonames: list[str]) -> str:
    debian = sorted({PACKAGES[name][0] for name in sonames if name in PACKAGES})
    fedora = sorted({PACKAGES[name][1] for name in sonames if name in PACKAGES})
    unknown = [name for name in sonames if name not in PACKAGES]
    lines = []
    if debian:
        lines.append(f"Debian/Ubuntu: sudo apt install {' '.join(debian)}")
        lines.append(f"Fedora: sudo dnf install {' '.join(fedora)}")
    if unknown:
        lines.append(f"Also install whatever provides {', '.join(unknown)}.")
    return "\n".join(lines)


def _uses_xcb(environ: dict[str, str]) -> bool:
    platform = environ.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0]
    if platform:
        return platform == "xcb"
    return not environ.get("WAYLAND_DISPLAY")  # on Wayland, Qt uses its Wayland plugin first


def display_problem(environ: dict[str, str] | None = None) -> DisplayProblem | None:
    """None when the window can open as far as can be told; otherwise why not and what to do."""
    environ = dict(os.environ if environ is None else environ)
    if not sys.platform.startswith("linux") or not _uses_xcb(environ):
        return None
    plugin = xcb_plugin()
    if plugin is None:
        return None  # another Qt layout: let Qt speak for itself
    try:
        ldd = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        ldd = ""
    missing = missing_libraries(ldd)
    if ctypes.util.find_library("xcb-cursor") is None:
        missing.append("libxcb-cursor.so.0")  # Qt 6.5+ loads it at start and refuses to go on without
    if missing:
        return DisplayProblem(
            f"Qt's X11 platform plugin needs libraries this system lacks ({', '.join(missing)}).",
            install_hint(missing),
        )
    display = environ.get("DISPLAY", "")
    if not display:
        return DisplayProblem(
            "no display is set (DISPLAY is empty).", "Run it on a desktop, or over 'ssh -X' with a running X server."
        )
    local = _LOCAL_DISPLAY.match(display)
    if local and not Path(f"/tmp/.X11-unix/X{local.group(1)}").exists():
        return DisplayProblem(
            f"no X server answers on display {display}.", "Start your desktop session, or set DISPLAY to one that runs."
        )
    return None
