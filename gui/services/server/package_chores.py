"""What a Docker runtime does to the packages folder besides serving it: deleting files only the container's
user may delete, and running the index database's script (``inside/facts.py``) as that user.

A mixin of :class:`~gui.services.server.container.DockerRuntime` (its engine, its container, its
volume); each chore runs in the running server when there is one (``exec``), else in a one-shot
container on the folder, or a helper on the volume.
"""

from __future__ import annotations

import docker.errors
from docker.types import Mount

from gui.services.errors import DeskError
from gui.services.names import SERVER_UID
from gui.services.server.command import facts_script
from gui.services.volume import layout


class PackageChores:
    """Needs ``_engine()``, ``_find(client)``, ``volume`` and ``_data_dir`` (a DockerRuntime's)."""

    def remove_package_files(self, image: str, relative_paths: list[str]) -> None:
        """Delete files under packages/ with a one-shot container (a folder's) or a helper (a volume's)."""
        if self.volume is not None:
            self.volume.remove_files([f"{layout.PACKAGES}/{path}" for path in relative_paths])
            return
        paths = [f"/data/packages/{path}" for path in relative_paths]
        with self._engine() as client:
            client.containers.run(
                image,
                entrypoint=["rm", "-f", "--", *paths],
                user="root",
                remove=True,
                mounts=[Mount("/data/packages", str(self._data_dir.packages_dir), type="bind")],
                labels=self._data_dir.labels("cleanup"),
            )

    def facts_command(self, image: str, args: list[str]) -> str:
        """``inside/facts.py ARGS`` on the index database, as the server's user: in the running server, else in a
        one-shot container (a folder's) or a helper (a volume's); returns what it printed."""
        packages = layout.in_container(layout.PACKAGES) if self.volume is not None else "/data/packages"
        script = facts_script(packages, args)
        with self._engine() as client:
            running = self._find(client)
            if running is not None and running.status == "running":
                result = running.exec_run(["sh", "-c", script], user=str(SERVER_UID), demux=True)
                out, err = result.output
                if result.exit_code == 0:
                    return (out or b"").decode("utf-8", "replace")
                said = (err or out or b"").decode("utf-8", "replace").strip().splitlines()[-1:]
                raise DeskError(f"The index database could not be changed: {' '.join(said) or result.exit_code}")
            if self.volume is None:
                try:
                    output = client.containers.run(
                        image, entrypoint=["sh", "-c", f"set -e\n{script}"], user="root", remove=True,
                        network_disabled=True, labels=self._data_dir.labels("cleanup"), stderr=True,
                        mounts=[Mount("/data/packages", str(self._data_dir.packages_dir), type="bind")],
                    )  # fmt: skip
                except docker.errors.ContainerError as exc:
                    said = (exc.stderr or b"").decode("utf-8", "replace").strip().splitlines()[-1:]
                    raise DeskError(f"The index database could not be changed: {' '.join(said) or exc}") from exc
                return output.decode("utf-8", "replace")
        return self.volume.run(script, what="change the index database")
