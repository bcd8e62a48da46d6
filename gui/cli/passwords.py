"""Reading a password on the command line: hidden and typed twice, or one line from stdin."""

from __future__ import annotations

import getpass
import sys

from gui.services.errors import DeskError


def read_password(from_stdin: bool, confirm: bool = True) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line[:-1] if line.endswith("\n") else line
    first = getpass.getpass("Password: ")
    if confirm and getpass.getpass("Password again: ") != first:
        raise DeskError("The two passwords differ; nothing was changed. Run the command again.")
    return first
