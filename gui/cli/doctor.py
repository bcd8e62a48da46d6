"""`pypi-desk doctor`: the Doctor tab's checks, printed; exit 1 when one found a problem."""

from __future__ import annotations

import argparse

from gui.services.datadir import DataDir
from gui.services.desk import DeskServices
from gui.services.doctor import Outcome, diagnose
from gui.services.pypirc import default_pypirc
from gui.services.server_service import ServerService
from gui.services.users import UserStore

MARKS = {Outcome.OK: "ok", Outcome.WARNING: "warning", Outcome.PROBLEM: "PROBLEM", Outcome.SKIPPED: "skipped"}


def add_parser(commands: argparse._SubParsersAction) -> None:
    doctor = commands.add_parser("doctor", help="check the engine, image, port, files and clients; say how to fix")
    doctor.set_defaults(handler=_doctor)


def _doctor(data_dir: DataDir, args: argparse.Namespace) -> int:
    services = DeskServices(ServerService.for_data_dir(data_dir), UserStore(data_dir.password_file), default_pypirc())
    findings = diagnose(services)
    width = max(len(finding.check) for finding in findings)
    for finding in findings:
        print(f"{MARKS[finding.outcome]:>8}  {finding.check:<{width}}  {finding.detail}")
        if finding.fix and finding.outcome is not Outcome.OK:
            print(f"{'':>8}  {'':<{width}}  fix: {finding.fix}")
    return 1 if any(finding.outcome is Outcome.PROBLEM for finding in findings) else 0
