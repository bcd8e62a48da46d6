"""What keeping the data in a Docker volume costs, against a folder of this computer, in one run.

The same index (N tiny wheels) and the same operations, once with a data folder (the baseline)
and once with a volume on the same local engine, so the difference is the API round trips:
  add user    one bcrypt user added (the store's locked read-modify-write), median of 5
  list        the Packages listing of N files (a folder scan, or one helper container)
  page        a project page served by the running server (p50 of 300; the server is the same)
  backup      the whole index into one archive, and its restore into a new folder or volume
Prints each figure and the volume's ratio to the folder's.

    .venv/bin/python bench/volume_ops.py [--files 2000] [--engine URL]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.serve import make_index, p
from gui.services.backup.volume_copy import backup_any, restore_any
from gui.services.core import DeskServices
from gui.services.engines.choice import Engine
from gui.services.index.datadir import open_data_dir
from gui.services.index.settings import ServerSettings
from gui.services.volume.layout import PACKAGES
from gui.services.volume.prepare import prepare_volume
from tests.conftest import free_port


def seconds(call) -> float:
    began = time.perf_counter()
    call()
    return time.perf_counter() - began


def measure(services: DeskServices, projects: list[str], scratch: Path, label: str) -> dict[str, float]:
    status = services.server.save_and_start(ServerSettings(port=free_port(), runtime="docker"))
    figures = {}
    adds = [seconds(lambda n=n: services.users.add(f"{label}{n}", "Pa55-word-long")) for n in range(5)]
    figures["add user (s)"] = statistics.median(adds)
    figures["list (s)"] = min(seconds(services.packages.listing) for _ in range(3))
    session = requests.Session()
    pages = []
    for name in (projects * 10)[:300]:
        began = time.perf_counter()
        assert session.get(f"{status.url}/simple/{name}/", timeout=30).status_code == 200
        pages.append(time.perf_counter() - began)
    figures["page p50 (ms)"] = p(pages, 0.5)
    archive = scratch / f"{label}.tar.gz"
    figures["backup (s)"] = seconds(lambda: backup_any(services, archive))
    if services.data_dir.is_volume:
        target = DeskServices.open(engine=services.data_dir.engine, volume=f"{services.data_dir.volume}-restored")
    else:
        target = DeskServices.open(open_data_dir(scratch / f"{label}-restored"))
    figures["restore (s)"] = seconds(lambda: restore_any(archive, target))
    services.server.stop()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2_000)
    parser.add_argument("--engine", default="", help="the engine of the volume (default: this computer's)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pypi-desk-bench-") as scratch_name:
        scratch = Path(scratch_name)
        folder = DeskServices.open(open_data_dir(scratch / "folder"))
        folder.data_dir.ensure()
        projects = make_index(folder.data_dir.packages_dir, args.files)
        volume = DeskServices.open(engine=args.engine, volume="pypi-desk-bench")
        client = Engine(args.engine).client()
        try:
            volume.server.save_settings(ServerSettings())
            prepare_volume(volume.server.docker.volume, ServerSettings(), volume.data_dir.tls_dir)
            tar = scratch / "packages.tar"
            with tarfile.open(tar, "w") as archive:
                archive.add(folder.data_dir.packages_dir, arcname=".load")
            volume.server.docker.volume.run(
                f"cd /data/desk && rm -rf {PACKAGES} && mv .load {PACKAGES} && chown -R 9898:9898 {PACKAGES}",
                archive=tar,
            )
            baseline = measure(folder, projects, scratch, "folder")
            measured = measure(volume, projects, scratch, "volume")
        finally:
            for name in ("pypi-desk-bench", "pypi-desk-bench-restored"):
                with contextlib.suppress(Exception):
                    client.containers.get(f"pypi-desk-vol-{name}").remove(force=True)
                with contextlib.suppress(Exception):
                    client.volumes.get(name).remove(force=True)
            with contextlib.suppress(Exception):
                folder.server.stop()
    print(f"{args.files:,} files; engine: {args.engine or 'this computer'}")
    print(f"{'':16}{'folder':>10}{'volume':>10}{'ratio':>8}")
    for key, base in baseline.items():
        print(f"{key:16}{base:10.3f}{measured[key]:10.3f}{measured[key] / base:7.2f}x")


if __name__ == "__main__":
    main()
