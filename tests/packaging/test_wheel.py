"""`pip install .` gives a working `pypi-desk` and `pypi-desk-gui`: every module, the resources, both scripts."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOT_SOURCE = shutil.ignore_patterns(".*", "build", "dist", "*.egg-info", "__pycache__", "docs", "bench")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    source = out / "source"  # a clean copy: a stale build/ folder must not fill gaps in the package list
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)], check=True)
    (path,) = out.glob("pypi_desk-*.whl")
    return path


def test_the_wheel_holds_every_module_and_resource(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    sources = {path.relative_to(ROOT).as_posix() for path in (ROOT / "gui").rglob("*.py")}
    resources = {f"gui/resources/{path.name}" for path in (ROOT / "resources").iterdir() if path.is_file()}
    assert sources - names == set()
    assert resources - names == set()


def test_the_wheel_has_a_console_command_and_a_window_command(wheel: Path) -> None:
    """On Windows a GUI script has no console: the command line must be a console script to print."""
    with zipfile.ZipFile(wheel) as archive:
        (entry_points,) = [name for name in archive.namelist() if name.endswith(".dist-info/entry_points.txt")]
        text = archive.read(entry_points).decode()
    assert "[console_scripts]\npypi-desk = gui.cli:main" in text
    assert "[gui_scripts]\npypi-desk-gui = gui.cli:gui_main" in text


def test_the_installed_command_runs(wheel: Path, tmp_path: Path) -> None:
    """Installed into a fresh venv (dependencies borrowed from this one), away from the source tree."""
    target = tmp_path / "venv"
    venv.create(target, with_pip=False)
    site_packages = Path(sysconfig.get_path("purelib", vars={"base": str(target), "platbase": str(target)}))
    (site_packages / "borrowed.pth").write_text(sysconfig.get_path("purelib") + "\n")  # no .pth files run from there
    pip = [sys.executable, "-m", "pip", "--python", str(target / "bin" / "python"), "install", "-q", "--no-deps"]
    subprocess.run([*pip, str(wheel)], check=True)
    command = target / "bin" / "pypi-desk"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")

    version = subprocess.run([command, "--version"], capture_output=True, text=True, cwd=tmp_path, env=env)
    where = subprocess.run(
        [target / "bin" / "python", "-c", "import gui; print(gui.__file__)"],
        capture_output=True, text=True, cwd=tmp_path,
    )  # fmt: skip
    shot = subprocess.run(
        [target / "bin" / "pypi-desk-gui", "--data-dir", tmp_path / "data", "--screenshot", tmp_path / "shot.png"],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120,
    )  # fmt: skip

    assert version.returncode == 0 and version.stdout.startswith("pypi-desk "), version.stderr
    assert where.stdout.startswith(str(site_packages)), "the test ran the source tree, not the installed wheel"
    assert shot.returncode == 0, shot.stderr
    assert (tmp_path / "shot.png").read_bytes().startswith(b"\x89PNG")
