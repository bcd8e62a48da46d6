"""Typed errors raised by the services, each with a message a user can act on."""

from __future__ import annotations


class DeskError(Exception):
    """Base class: ``str(error)`` is a complete sentence that says what to do."""


class SettingsError(DeskError):
    """A setting has a value the server cannot use."""


class DataDirError(DeskError):
    """The data folder cannot be created, read or written."""


class EngineUnavailableError(DeskError):
    """No Docker engine answers, or this user may not talk to it: ``reason``, then ``fix``."""

    def __init__(self, reason: str, fix: str) -> None:
        super().__init__(f"{reason} {fix}")
        self.reason = reason
        self.fix = fix


class ImagePullError(DeskError):
    """The server image is not on this machine and could not be pulled."""


class PortInUseError(DeskError):
    """Another program already listens on the port the server should use."""


class ServerStartError(DeskError):
    """The server was started but exited or never answered.

    ``log_tail`` holds its last log lines, which usually say why.
    """

    def __init__(self, message: str, log_tail: str = "") -> None:
        super().__init__(message + (f"\n\nLast log lines:\n{log_tail}" if log_tail else ""))
        self.log_tail = log_tail


class ServerNotRunningError(DeskError):
    """An operation needs the server running, and it is not."""
