"""Every typed error of the core, each with a message a user can act on.

``str(error)`` is a complete sentence that says what went wrong and what to do, in words
that fit the window and the command line alike: it names no tab and no command line
option; the caller adds where to go. Anything that is not a :class:`DeskError` is a bug,
logged with its traceback (see :mod:`gui.services.app_log`).
"""

from __future__ import annotations


class DeskError(Exception):
    """Base class: ``str(error)`` is a complete sentence that says what to do."""


# -- the server ----------------------------------------------------------------------


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


class PortError(DeskError):
    """The server cannot listen on ``host:port``; the subclass says why."""

    def __init__(self, host: str, port: int, message: str) -> None:
        super().__init__(message)
        self.host = host
        self.port = port


class PortInUseError(PortError):
    """Another program already listens on the port the server should use."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(
            host,
            port,
            f"Port {port} on {host} is already in use by another program. "
            "Stop that program or choose another port in the settings.",
        )


class PortHeldByDeskError(PortInUseError):
    """The port is published by another PyPI Desk server (another data folder or volume): ``holder``."""

    def __init__(self, host: str, port: int, holder: str) -> None:
        PortError.__init__(
            self,
            host,
            port,
            f"Port {port} on {host} is used by another PyPI Desk server, the one of {holder}. "
            "Stop that server (open its folder or volume in PyPI Desk), or choose another port in the settings.",
        )
        self.holder = holder


class PortNotAllowedError(PortError):
    """This user may not listen on the port (below 1024 without privileges)."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(
            host,
            port,
            f"Port {port} on {host} needs administrator rights on this system (ports below 1024 are privileged). "
            "Choose a port from 1024 up, such as 8080; or run the server in Docker, which may publish it.",
        )


class ServerStartError(DeskError):
    """The server was started but exited or never answered.

    ``log_tail`` holds its last log lines, which usually say why.
    """

    def __init__(self, message: str, log_tail: str = "") -> None:
        super().__init__(message + (f"\n\nLast log lines:\n{log_tail}" if log_tail else ""))
        self.log_tail = log_tail


class ServerNotRunningError(DeskError):
    """An action needs the running server, and nothing answers at its address."""

    def __init__(self, what: str = "", url: str | None = None) -> None:
        where = f": nothing answers at {url}" if url else ""
        prefix = f"{what}: " if what else ""
        super().__init__(f"{prefix}the server is not running{where}. Start it, then try again.")


# -- users ---------------------------------------------------------------------------


class UserError(DeskError):
    """A user name or password is refused, or the user does not exist / exists already."""


class PasswordFileError(DeskError):
    """The password file has lines the server cannot use, or cannot be read or written."""


class BackupError(DeskError):
    """A backup cannot be written, or an archive cannot be restored (not one, cut short, altered)."""


class TlsError(DeskError):
    """A certificate or key cannot be made, read or used for HTTPS; the message says what to choose."""


# -- clients -------------------------------------------------------------------------


class ConfigFileError(DeskError):
    """A client's configuration file (``.pypirc``, ``pip.conf``, ``uv.toml``) cannot be read or written."""


class PypircError(ConfigFileError):
    """``~/.pypirc`` cannot be read as twine reads it, or the section cannot be written."""


class KeyringError(DeskError):
    """The system keyring cannot be used: none is installed, it is locked, or it refused the entry."""


# -- packages ------------------------------------------------------------------------


class DistributionError(DeskError):
    """The file is not an uploadable distribution; the message says why."""


class BuildError(DeskError):
    """A project folder could not be built into an sdist and a wheel."""


class UploadRefusedError(DeskError):
    """The server answered no; ``status`` is its HTTP code."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class WrongCredentialsError(UploadRefusedError):
    """The server refused the user name or password (401/403)."""


class AlreadyExistsError(UploadRefusedError):
    """The version is on the server already and overwriting is off."""


class ServerDiskFullError(UploadRefusedError):
    """The server's disk is full (507): the file was not stored, and sending it again will not help."""


class PackageNotFoundError(DeskError):
    """The index hosts no such project or version."""


# -- anything else -------------------------------------------------------------------


class UnexpectedError(DeskError):
    """A bug, not a user's mistake: the traceback is in the app's log file."""

    def __init__(self, error: BaseException, log_file: str | None) -> None:
        where = f"; details are in {log_file}" if log_file else "; details are in the terminal's output"
        super().__init__(f"An unexpected error ({type(error).__name__}: {error}){where}. Please report it.")
        self.error = error
