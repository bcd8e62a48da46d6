"""The Doctor names package files that are not whole: what a full disk or a killed copy leaves."""

from __future__ import annotations

from pathlib import Path

from gui.services.core import DeskServices
from gui.services.doctor import diagnose
from gui.services.doctor.findings import Outcome
from tests.helpers import make_sdist, make_wheel


def finding(services: DeskServices):
    return next(found for found in diagnose(services) if found.check == "Package files whole")


def test_cut_off_wheels_and_sdists_are_named(tmp_path: Path) -> None:
    services = DeskServices.open(tmp_path / "server")
    services.data_dir.ensure()
    wheel = make_wheel(services.data_dir.packages_dir, "toy", "1.0", payload=b"x" * 100_000)
    sdist = make_sdist(services.data_dir.packages_dir, "acme", "2.0")
    assert finding(services).outcome is Outcome.OK
    wheel.write_bytes(wheel.read_bytes()[:-300])  # the central directory is at the end: gone
    sdist.write_bytes(sdist.read_bytes()[: len(sdist.read_bytes()) // 2])
    found = finding(services)
    assert found.outcome is Outcome.PROBLEM and "2 file(s) are not whole" in found.detail
    assert wheel.name in found.detail and sdist.name in found.detail and "upload them again" in found.fix
