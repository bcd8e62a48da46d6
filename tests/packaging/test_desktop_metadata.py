"""The desktop file, the AppStream metainfo and the icon: valid, and all under one application id."""

from __future__ import annotations

import configparser
import subprocess
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from gui import APP_ID
from tests.helpers import required_tool

ROOT = Path(__file__).resolve().parents[2]
DESKTOP_FILE = ROOT / "packaging" / f"{APP_ID}.desktop"
METAINFO_FILE = ROOT / "packaging" / f"{APP_ID}.metainfo.xml"
ICON_FILE = ROOT / "resources" / f"{APP_ID}.svg"


def test_appstream_metainfo_validates() -> None:
    appstreamcli = required_tool("appstreamcli", "appstream")
    result = subprocess.run(
        [appstreamcli, "validate", "--no-net", "--explain", str(METAINFO_FILE)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_desktop_file_validates() -> None:
    validator = required_tool("desktop-file-validate", "desktop-file-utils")
    result = subprocess.run([validator, str(DESKTOP_FILE)], capture_output=True, text=True)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_one_application_id_names_the_desktop_file_metainfo_icon_and_window(qapp) -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # keys are case-sensitive
    entry.read(DESKTOP_FILE, encoding="utf-8")
    component = ElementTree.parse(METAINFO_FILE).getroot()

    assert entry["Desktop Entry"]["Icon"] == APP_ID
    assert entry["Desktop Entry"]["Exec"].split()[0] == "pypi-desk-gui"  # the window, without a console
    assert component.findtext("id") == APP_ID
    assert component.findtext("launchable[@type='desktop-id']") == DESKTOP_FILE.name
    assert component.findtext("icon") == APP_ID
    assert [b.text for b in component.findall("provides/binary")] == ["pypi-desk", "pypi-desk-gui"]
    assert ICON_FILE.read_text(encoding="utf-8").lstrip().startswith(("<svg", "<?xml"))

    from gui.gui_app import application

    app = application()
    try:
        assert app.desktopFileName() == APP_ID
        assert not app.windowIcon().isNull()
    finally:
        app.setStyleSheet("")  # the other tests run unstyled, whatever the order


def test_the_newest_release_in_the_metainfo_is_this_version() -> None:
    from gui import __version__

    component = ElementTree.parse(METAINFO_FILE).getroot()
    assert component.find("releases/release").get("version") == __version__
