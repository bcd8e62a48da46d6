"""Reading a password on the command line: hidden and typed twice, or one line from stdin."""

from __future__ import annotations

import getpass
import sys

from gui.services.errors import DeskError


def read_password(from_stdin: bool, confirm: bool = True) -> str:
    if from_stdin:
        lines = sys.stdin.read().splitlines()
        if len(lines) > 1 and any(lines[1:]):
            raise DeskError(
                "--password-stdin reads one line, and more came: give only the password, such as "
                "printf '%s' \"$PASSWORD\" | pypi-desk user add NAME --password-stdin. Nothing was changed."
            )
        password = lines[0] if lines else ""
        try:
            password.encode("utf-8")
        except UnicodeEncodeError:
            raise DeskError(
                "The password on standard input is not UTF-8 text (a file in another encoding?): give it as UTF-8. "
                "Nothing was changed."
            ) from None
        return password
    first = getpass.getpass("Password: ")
    if confirm and getpass.getpass("Password again: ") != first:
        raise DeskError("The two passwords differ; nothing was changed. Run the command again.")
    return first
