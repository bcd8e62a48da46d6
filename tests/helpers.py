"""Test helpers: a real sdist to upload, and a password file with a known user."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from passlib.apache import HtpasswdFile


def make_sdist(folder: Path, name: str = "toy", version: str = "1.0.0") -> Path:
    """A minimal but valid sdist (PKG-INFO and pyproject.toml), as `python -m build` makes."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-{version}.tar.gz"
    files = {
        "PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: A toy package\n",
        "pyproject.toml": f'[project]\nname = "{name}"\nversion = "{version}"\n',
    }
    with tarfile.open(path, "w:gz") as archive:
        for member, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{name}-{version}/{member}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def add_user(password_file: Path, user: str = "urunimi", password: str = "pypi") -> None:
    """Add a user as the how-to did (Apache MD5), readable by the container's user."""
    empty = not password_file.exists() or password_file.stat().st_size == 0
    htpasswd = HtpasswdFile(str(password_file), default_scheme="apr_md5_crypt", new=empty)
    htpasswd.set_password(user, password)
    htpasswd.save()
    password_file.chmod(0o644)


def wait_for_log_line(runtime, predicate, timeout: float = 15.0) -> str:
    """Follow ``runtime``'s log until a line satisfies ``predicate``; fail after ``timeout``."""
    import threading

    stream = runtime.logs(follow=True)
    timer = threading.Timer(timeout, stream.close)
    timer.start()
    try:
        for line in stream:
            if predicate(line):
                return line
    finally:
        timer.cancel()
        stream.close()
    raise AssertionError(f"no matching log line within {timeout} s")
