"""Files in a server volume, read and written through short-lived helper containers (never the local disk).

A helper is the server's own image with the volume mounted at :data:`layout.MOUNT`; it is
created, fed with ``put_archive`` or read with ``get_archive``, and removed. A write lands
under a temporary name first; a helper's shell then sets its owner (root: the server's user,
uid 9898, may read the users and certificates but never change them) and mode, and renames it
into place, so the server only ever reads a whole old file or a whole new one. Only packages/
belongs to uid 9898.

Two PyPI Desks (on two machines) may manage one volume: :meth:`VolumeFiles.locked` is a lock on
the engine itself, a container name only one of them can create.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import secrets
import shlex
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import docker.errors
from docker.types import Mount

from gui.services.errors import DeskError, PasswordFileError
from gui.services.names import LABEL_VOLUME, SERVER_UID
from gui.services.server.inside import LAUNCHER_DIR
from gui.services.volume.layout import AUTH, MOUNT, PACKAGES, TLS, in_container

LOCK_TIMEOUT = 15.0
STALE_LOCK_SECONDS = 120  # a lock older than any edit takes was left by a PyPI Desk that died
HELPER_TIMEOUT = 300
#: The image declares ``VOLUME /data/packages``: a container without a mount there gets an anonymous
#: volume that outlives it. Every helper mounts an empty tmpfs there instead.
EMPTY_IMAGE_VOLUME = Mount("/data/packages", None, type="tmpfs", tmpfs_size=1024 * 1024)
SPOOL_IN_MEMORY = 8 * 1024 * 1024
LABEL_LOCK_TIME = "io.github.pypidesk.locked-at"


@functools.cache
def _list_script() -> str:
    """Lists packages/ by the index's own rule (``inside/package_files.py``, run with the image's Python):
    one JSON array a line, so a newline or a tab in a file name is a character, never a new entry."""
    return (LAUNCHER_DIR / "package_files.py").read_text(encoding="utf-8")


class VolumeFiles:
    """The files of one named volume on one engine; ``engine()`` yields a client (with errors in words)."""

    def __init__(
        self,
        volume: str,
        engine: Callable[[], contextlib.AbstractContextManager],
        image: Callable[[], str],
        running_server: Callable[[], object | None] | None = None,
    ) -> None:
        """``running_server`` gives the volume's server container while it runs: reads that can be done
        there (the package listing) are an exec in it, a quarter of a helper's time."""
        self.volume = volume
        self._engine = engine
        self._image = image
        self._running_server = running_server
        self._exec_works = True

    # -- the volume ------------------------------------------------------------------------

    def exists(self) -> bool:
        with self._engine() as client:
            try:
                client.volumes.get(self.volume)
            except docker.errors.NotFound:
                return False
        return True

    def create(self) -> None:
        with self._engine() as client:
            client.volumes.create(self.volume, labels={LABEL_VOLUME: self.volume})

    def remove(self) -> None:
        with self._engine() as client:
            try:
                client.volumes.get(self.volume).remove()
            except docker.errors.NotFound:
                return
            except docker.errors.APIError as exc:
                raise DeskError(
                    f"The volume {self.volume} is still in use ({exc.explanation}); stop its server first."
                ) from exc

    # -- helpers ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def _helper(self, script: str = "true") -> Iterator:
        with self._engine() as client:
            container = client.containers.create(
                self._image(),
                entrypoint=["sh", "-c", script],
                user="root",
                network_disabled=True,
                mounts=[Mount(MOUNT, self.volume, type="volume"), EMPTY_IMAGE_VOLUME],
                labels={LABEL_VOLUME: self.volume},
            )
            try:
                yield container
            finally:
                with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
                    container.remove(force=True, v=True)

    def run(
        self,
        script: str,
        files: dict[str, tuple[bytes, int]] | None = None,
        what: str = "",
        archive: Path | None = None,
    ) -> str:
        """Run ``sh -c script`` as root beside the volume, after placing ``files`` (path under the
        mount: (data, mode)) or unpacking ``archive`` (a tar file, streamed) at the mount; returns its
        output, raises with it when the script fails."""
        with self._helper(f"set -e\n{script}") as container:
            if files:
                container.put_archive(MOUNT, _tar(files))
            if archive is not None:
                with open(archive, "rb") as handle:
                    container.put_archive(MOUNT, handle)
            container.start()
            result = container.wait(timeout=HELPER_TIMEOUT)
            output = container.logs(stdout=True, stderr=True).decode("utf-8", "replace")
        if result.get("StatusCode") != 0:
            raise DeskError(f"Could not {what or 'change the files'} in the volume {self.volume}: {output.strip()}")
        return output

    # -- reading ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def _fetched(self, relative: str) -> Iterator[tarfile.TarFile | None]:
        """``get_archive`` of one path of the volume, as an open tar; None when it (or the volume) is missing.
        The tar is held in memory while small and in a temporary file beyond that (packages/ may be gigabytes)."""
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
            if not self._download(relative, spool):
                yield None
                return
            spool.seek(0)
            with tarfile.open(fileobj=spool) as archive:
                yield archive

    def export_folder(self, relative: str, out) -> bool:
        """A tar of one path of the volume (its last name at the top), written to ``out``; False when missing."""
        return self._download(relative, out)

    def _download(self, relative: str, out) -> bool:
        if not self.exists():  # a helper would create the volume just by mounting it
            return False
        with self._helper() as container:
            try:
                stream, _stat = container.get_archive(in_container(relative))
            except docker.errors.NotFound:
                return False
            for chunk in stream:
                out.write(chunk)
        return True

    def read_folder(self, relative: str) -> dict[str, bytes]:
        """The files directly in a folder of the volume, by name; {} when it (or the volume) is missing."""
        found: dict[str, bytes] = {}
        with self._fetched(relative) as archive:
            for member in archive.getmembers() if archive is not None else []:
                parts = member.name.split("/")
                if member.isfile() and len(parts) == 2:
                    handle = archive.extractfile(member)
                    found[parts[1]] = handle.read() if handle else b""
        return found

    def read(self, relative: str) -> bytes | None:
        """One file of the volume (only that file is sent), or None when it is missing."""
        with self._fetched(relative) as archive:
            member = archive.next() if archive is not None else None
            handle = archive.extractfile(member) if member is not None and member.isfile() else None
            return handle.read() if handle else None

    def package_entries(self) -> list[tuple[str, int, float]]:
        """Every file under packages/: (relative path, size, modification time)."""
        output = self._list_in_server()
        if output is None and not self.exists():
            return []
        if output is None:
            folder = in_container(PACKAGES)
            script = f"[ -d {folder} ] || exit 0\nexec python3 -c {shlex.quote(_list_script())} {folder}"
            output = self.run(script, what="list the packages")
        entries = []
        for line in output.splitlines():
            with contextlib.suppress(ValueError, TypeError):
                path, size, mtime = json.loads(line)
                if isinstance(path, str):
                    entries.append((path, int(size), float(mtime)))
        return entries

    def _list_in_server(self) -> str | None:
        """The listing, made by the running server's container as its own user; None when none runs."""
        server = self._running_server() if self._running_server is not None and self._exec_works else None
        if server is None:
            return None
        try:
            with self._engine():
                command = ["python3", "-c", _list_script(), in_container(PACKAGES)]
                result = server.exec_run(command, user=str(SERVER_UID))
        except OSError:  # an engine whose exec sockets break (seen with the SDK's own ssh transport): a helper
            self._exec_works = False
            return None
        return result.output.decode("utf-8", "replace") if result.exit_code == 0 else None

    def export_to(self, target: Path, folders: tuple[str, ...] = (AUTH, PACKAGES, TLS)) -> None:
        """Copy ``folders`` of the volume into ``target`` (a local staging folder); ``filter="data"`` keeps
        out links and devices a compromised server could have planted."""
        for folder in folders:
            with self._fetched(folder) as archive:
                if archive is not None:
                    archive.extractall(target, filter="data")

    # -- writing ---------------------------------------------------------------------------

    def write(self, files: dict[str, bytes], *, private: bool = False) -> None:
        """Replace each file (path under the volume) atomically: root's, so the server's user may read
        but never change it (``private``: 0600, as for a private key the launcher copies at start)."""
        if not self.exists():
            self.create()  # labelled as PyPI Desk's, rather than made on the fly by a helper's mount
        token = secrets.token_hex(6)
        staged = {f".incoming-{token}/{index}": (data, 0o600) for index, data in enumerate(files.values())}
        owner, mode = "0:0", "600" if private else "644"
        lines = []
        for index, path in enumerate(files):
            temp, final = in_container(f".incoming-{token}/{index}"), in_container(path)
            folder = final.rsplit("/", 1)[0]
            lines.append(f"mkdir -p {shlex.quote(folder)}; chown {owner} {temp}; chmod {mode} {temp}")
            lines.append(f"mv -f {temp} {shlex.quote(final)}")
        lines.append(f"rm -rf {in_container('.incoming-' + token)}")
        self.run("\n".join(lines), staged, what="write " + ", ".join(files))

    def remove_files(self, relative_paths: list[str]) -> None:
        quoted = " ".join(shlex.quote(in_container(path)) for path in relative_paths)
        self.run(f"rm -f -- {quoted}", what="delete files")

    # -- the lock between PyPI Desks -------------------------------------------------------

    @contextlib.contextmanager
    def locked(self, what: str = "users", kind: str = "", stale_after: float = STALE_LOCK_SECONDS) -> Iterator[None]:
        """Held while changing the volume's users (or, with ``kind``, another lock of its own, taken over only
        after ``stale_after`` seconds): a container named after the volume, created or waited for."""
        name = f"pypi-desk-lock-{self.volume}" + (f"-{kind}" if kind else "")
        deadline = time.monotonic() + LOCK_TIMEOUT
        with self._engine() as client:
            while True:
                try:
                    holder = client.containers.create(
                        self._image(),
                        name=name,
                        entrypoint=["true"],
                        network_disabled=True,
                        mounts=[EMPTY_IMAGE_VOLUME],
                        labels={LABEL_VOLUME: self.volume, LABEL_LOCK_TIME: str(int(time.time()))},
                    )
                    break
                except docker.errors.APIError as exc:
                    if exc.status_code != 409:
                        raise
                    if self._stale(client, name, stale_after) or time.monotonic() < deadline:
                        time.sleep(0.2)
                        continue
                    raise PasswordFileError(
                        f"Another PyPI Desk is changing the {what} of the volume {self.volume} right now; "
                        "try again in a moment."
                    ) from exc
            try:
                yield
            finally:
                with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
                    holder.remove(force=True, v=True)

    @staticmethod
    def _stale(client, name: str, stale_after: float = STALE_LOCK_SECONDS) -> bool:
        """Remove a lock its owner left behind (it died); True when it did."""
        try:
            holder = client.containers.get(name)
        except docker.errors.NotFound:
            return True
        taken = int(holder.labels.get(LABEL_LOCK_TIME, "0") or 0)
        if time.time() - taken < stale_after:
            return False
        with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
            holder.remove(force=True, v=True)
        return True


def _tar(files: dict[str, tuple[bytes, int]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, (data, mode) in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, int(time.time())
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()
