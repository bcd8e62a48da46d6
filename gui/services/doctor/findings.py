"""What a check finds: an outcome, what was found, a fix in neutral words, and where the fix is done."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from gui.services.names import SERVER_UID

CONTAINER_UID = SERVER_UID  # the official image's user; its entrypoint hands packages/ to it
HTTP_TIMEOUT = 5.0

#: What a finding may ask the user to do; the window and the command line say where.
ACTIONS = (
    "choose_port",
    "choose_data_dir",
    "repair_users",
    "add_user",
    "set_up_client",
    "move_to_keyring",
    "turn_on_https",
    "renew_certificate",
    "start_server",
    "restart_server",
)


class Outcome(Enum):
    OK = "ok"
    WARNING = "warning"
    PROBLEM = "problem"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Finding:
    """One check's result: ``detail`` says what was found, ``fix`` what to do about it."""

    check: str
    outcome: Outcome
    detail: str
    fix: str = ""
    action: str = ""  # one of ACTIONS: where the caller sends the user to fix it
