"""`pypi-desk doctor`: the Doctor tab's checks, printed; exit 1 when one found a problem."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gui.services.core import DeskServices

MARKS = {"ok": "ok", "warning": "warning", "problem": "PROBLEM", "skipped": "skipped"}
#: Where each kind of fix is done from the command line.
WHERE = {
    "choose_port": "pypi-desk server start --port N",
    "choose_data_dir": "pypi-desk --data-dir DIR ...",
    "repair_users": "pypi-desk user repair",
    "add_user": "pypi-desk user add NAME",
    "set_up_client": "pypi-desk client setup --username NAME",
    "move_to_keyring": "pypi-desk client to-keyring",
    "turn_on_https": "pypi-desk settings set https=on",
    "renew_certificate": "pypi-desk server renew",
    "start_server": "pypi-desk server start",
    "restart_server": "pypi-desk server stop; pypi-desk server start",
}


def add_parser(commands: argparse._SubParsersAction) -> None:
    doctor = commands.add_parser("doctor", help="check the engine, image, port, files and clients; say how to fix")
    doctor.set_defaults(handler=_doctor)


def _doctor(services: DeskServices, args: argparse.Namespace) -> int:
    from gui.services.doctor import Outcome, diagnose

    findings = diagnose(services)
    width = max(len(finding.check) for finding in findings)
    for finding in findings:
        print(f"{MARKS[finding.outcome.value]:>8}  {finding.check:<{width}}  {finding.detail}")
        if finding.fix and finding.outcome is not Outcome.OK:
            where = f" ({WHERE[finding.action]})" if finding.action else ""
            print(f"{'':>8}  {'':<{width}}  fix: {finding.fix}{where}")
    return 1 if any(finding.outcome is Outcome.PROBLEM for finding in findings) else 0
