"""Test helpers: a real sdist to upload, a password file with a known user, required tools."""

from __future__ import annotations

import io
import shutil
import tarfile
import time
from pathlib import Path

import pytest
from passlib.apache import HtpasswdFile

from tests.conftest import IN_CI


def required_tool(command: str, debian_package: str) -> str:
    """The path of ``command``; skips without it, but fails in CI (which installs it, see .ci/run)."""
    path = shutil.which(command)
    if path is None:
        message = f"{command} is missing (Debian's {debian_package})"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


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


def make_wheel(
    folder: Path, name: str = "toy", version: str = "1.0.0", payload: bytes = b"", metadata: str = ""
) -> Path:
    """A minimal valid pure-Python wheel, so pip and uv install it without building anything (``payload``:
    a data file inside, to make it as large as a test needs; ``metadata``: more METADATA lines, such as
    ``Requires-Python: >=3.99`` or ``Requires-Dist: other``)."""
    import base64
    import hashlib
    import zipfile

    folder.mkdir(parents=True, exist_ok=True)
    stem = name.replace("-", "_")  # a wheel's filename never has a "-" inside its name
    path = folder / f"{stem}-{version}-py3-none-any.whl"
    info = f"{stem}-{version}.dist-info"
    files = {
        f"{stem}/__init__.py": f'__version__ = "{version}"\n',
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: A toy package\n"
        + "".join(f"{line.strip()}\n" for line in metadata.strip().splitlines()),
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: pypi-desk-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    contents: dict[str, bytes] = {member: text.encode() for member, text in files.items()}
    if payload:
        contents[f"{stem}/payload.bin"] = payload
    record = []
    for member, data in contents.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{member},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    contents[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    with zipfile.ZipFile(path, "w") as archive:
        for member, data in contents.items():
            archive.writestr(member, data)
    return path


def unique_volume(prefix: str) -> str:
    """A volume name no earlier run has left behind."""
    import uuid

    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def remove_volume(client, name: str, timeout: float = 30.0) -> None:
    """Remove a test's volume (and its server), once the helpers still using it are gone."""
    import contextlib
    import time

    import docker.errors

    with contextlib.suppress(docker.errors.NotFound):
        client.containers.get(f"pypi-desk-vol-{name}").remove(force=True)
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.volumes.get(name).remove(force=True)
            return
        except docker.errors.NotFound:
            return
        except docker.errors.APIError:  # in use by a helper that is finishing
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def hosted(folder: Path) -> list[Path]:
    """What a packages folder holds besides the index database's own folder (``.pypi-desk``); other dot
    names (a partial upload) are listed, so a test sees them."""
    return sorted(path for path in folder.iterdir() if path.name != ".pypi-desk")


DAY = 86400
OLD = time.time() - 400 * DAY  # an upload time over a year ago


def wheel_path(name: str, version: str) -> str:
    return f"{name}-{version}-py3-none-any.whl"


def seed_usage_index(data_dir) -> None:
    """alpha 1.0, 2.0 (old) and 3.0; beta 1.0; gamma 1.0 (old) and 2.0; delta 1.0 (old, its only version).
    Downloads: alpha 3.0 ten times by alice with pip today, beta three times by bob with uv, alpha 1.0 once
    200 days ago."""
    from gui.services.core import DeskServices
    from gui.services.index.settings import ServerSettings
    from gui.services.server.inside import facts, usage

    data_dir.ensure()
    DeskServices.open(data_dir).server.save_settings(ServerSettings(runtime="process"))
    packages = data_dir.packages_dir
    releases = [("alpha", "1.0"), ("alpha", "2.0"), ("alpha", "3.0"), ("beta", "1.0"), ("gamma", "1.0"),
                ("gamma", "2.0"), ("delta", "1.0")]  # fmt: skip
    for name, version in releases:
        make_wheel(packages, name, version, b"x" * 5000)
    store = facts.FactsStore(str(packages))
    old = {("alpha", "1.0"), ("alpha", "2.0"), ("gamma", "1.0"), ("delta", "1.0")}
    store.record([(wheel_path(n, v), n, v, OLD if (n, v) in old else time.time(), "upload") for n, v in releases])
    now = time.time()
    events = [(now, wheel_path("alpha", "3.0"), "alpha", "3.0", "alice", "pip")] * 10
    events += [(now, wheel_path("beta", "1.0"), "beta", "1.0", "bob", "uv")] * 3
    events += [(now - 200 * DAY, wheel_path("alpha", "1.0"), "alpha", "1.0", "alice", "pip")]
    usage.mark_recording(store, now - 500 * DAY)
    assert usage.record_downloads(store, events)
    store.close()
