"""Building a dropped project folder into an sdist and a wheel (`python -m build`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from gui.services.errors import BuildError

BUILD_TIMEOUT = 600


def is_project(folder: Path) -> bool:
    return folder.is_dir() and ((folder / "pyproject.toml").is_file() or (folder / "setup.py").is_file())


def build_project(folder: Path, out_dir: Path) -> list[Path]:
    """Build ``folder``'s sdist and wheel into ``out_dir``; returns the files, sdist first."""
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(out_dir), str(folder)],
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT,
        )
    except subprocess.TimeoutExpired as exc:
        raise BuildError(f"Building {folder.name} took more than {BUILD_TIMEOUT} s; it was stopped.") from exc
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise BuildError(f"Building {folder.name} failed (python -m build). Its last lines:\n{tail}")
    built = sorted(out_dir.iterdir(), key=lambda p: (not p.name.endswith((".tar.gz", ".zip")), p.name))
    return [path for path in built if path.name.endswith((".tar.gz", ".zip", ".whl"))]
