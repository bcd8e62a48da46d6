"""Client setup for this machine: twine's ``.pypirc``, pip's and uv's files, and the system keyring.

The credentials are checked against the server's password file before anything is
planned, so the app never writes a setup that twine, pip or uv would then fail
with. With a working keyring the password is stored there under every key the
three clients ask for (:mod:`gui.services.clients.keyring_entries`) and no file
holds it; the password goes into ``.pypirc`` (0600) only when the user chooses so.
Reading goes through :mod:`gui.services.clients.pypirc_reader`, the one reader the
uploads, the Doctor and the first-run guide share.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from gui.services.clients import pypirc_reader
from gui.services.clients.keyring_command import command_note
from gui.services.clients.keyring_entries import EntryRecord, KeyringEntry, services_for
from gui.services.clients.pip_conf import pip_config_path, plan_pip_conf
from gui.services.clients.pypirc import plan_change, plan_without_password
from gui.services.clients.pypirc_reader import Credentials
from gui.services.clients.setup import ClientSetup, SetupResult, Storage
from gui.services.clients.snippets import Snippet, client_snippets, simple_url, token_snippets
from gui.services.clients.system_keyring import KeyringState, SystemKeyring
from gui.services.clients.uv_toml import plan_uv_toml, uv_config_path
from gui.services.errors import DeskError, KeyringError, UserError
from gui.services.index.settings import ServerSettings
from gui.services.server.inside.tokens import TOKEN_USER
from gui.services.users.store import UserStore

if TYPE_CHECKING:
    from gui.services.tls.service import TlsService


class ClientService:
    """This machine's clients (twine, pip, uv) for one server, and the keyring entries they read."""

    def __init__(
        self,
        users: UserStore,
        pypirc: Path,
        server_key: str,
        keyring: SystemKeyring | None = None,
        record: EntryRecord | None = None,
        tls: TlsService | None = None,
    ) -> None:
        self.users = users
        self.pypirc = pypirc
        self.server_key = server_key  # the data folder: whose keyring entries these are
        self.keyring = keyring or SystemKeyring()
        self.record = record or EntryRecord()
        self.tls = tls  # with HTTPS: the CA twine, pip and uv must trust

    # -- planning and writing -------------------------------------------------------

    def keyring_state(self) -> KeyringState:
        return self.keyring.state()

    def plan(
        self,
        settings: ServerSettings,
        username: str,
        password: str,
        name: str = "local",
        *,
        storage: Storage,
        pip: bool = False,
        uv: bool = False,
        pypirc: Path | None = None,
    ) -> ClientSetup:
        """What the setup would do; raises when the user or password does not work on this server,
        or when the keyring is chosen and cannot be used."""
        self._check_credentials(settings, username, password)
        in_keyring = storage is Storage.KEYRING
        keyring_name, services = "", ()
        if in_keyring:
            state = self.keyring.state()
            if not state.usable:
                raise KeyringError(f"{state.problem} Or keep the password in ~/.pypirc (0600) instead.")
            keyring_name = state.backend
            services = tuple(s for s in services_for(settings.url) if self.keyring.get(s, username) != password)
        ca, bundle = self.trust_files(settings)
        stored = None if in_keyring else password
        changes = [plan_change(pypirc or self.pypirc, name, settings.url, username, stored, _text(ca))]
        if pip:
            changes.append(plan_pip_conf(pip_config_path(), simple_url(settings.url), _text(bundle)))
        notes: tuple[str, ...] = ()
        if uv:
            changes.append(plan_uv_toml(uv_config_path(), name, simple_url(settings.url), username))
            if bundle is not None:
                notes = (
                    f"uv reads a CA only from the environment (no uv.toml setting holds a file): add "
                    f"export SSL_CERT_FILE={bundle} to your shell's profile.",
                )
        if (pip or uv) and settings.auth != "none":  # both files name keyring-provider = subprocess
            notes += (command_note(pip, uv, downloads_need_password="download" in settings.auth),)
        return ClientSetup(
            settings.url,
            name,
            username,
            storage,
            tuple(changes),
            keyring_services=services,
            keyring_name=keyring_name,
            notes=notes,
            password=password,
        )

    def trust_files(self, settings: ServerSettings) -> tuple[Path | None, Path | None]:
        """With HTTPS: the CA twine trusts, and the bundle (public CAs plus it) for pip and uv."""
        if not settings.https or self.tls is None:
            return None, None
        ca = self.tls.trusted_ca(settings)
        return ca, self.tls.client_bundle(settings) if ca is not None else None

    def plan_move_to_keyring(self, settings: ServerSettings) -> ClientSetup:
        """The password ``.pypirc`` holds for this server, moved into the keyring (the rest of the file
        untouched). Raises when there is none, or it is not the user's password any more."""
        holding = self._plaintext(settings.url)
        if not holding:
            raise UserError(f"{self.pypirc} holds no password for {settings.url}; nothing to move.")
        first = holding[0]
        self._check_credentials(settings, first.username, first.password)
        state = self.keyring.state()
        if not state.usable:
            raise KeyringError(state.problem)
        change = plan_without_password(self.pypirc, [r.name for r in holding])
        services = tuple(dict.fromkeys(s for r in holding for s in services_for(r.url)))
        return ClientSetup(
            settings.url,
            first.name,
            first.username,
            Storage.KEYRING,
            (change,),
            keyring_services=services,
            keyring_name=state.backend,
            password=first.password,
        )

    def apply(self, setup: ClientSetup) -> SetupResult:
        """Store the keyring entries first (so no file names an entry that is not there), then write the files,
        then remove the entries the app wrote before for another user or address of this server."""
        for service in setup.keyring_services:
            self.keyring.set(service, setup.username, setup.password)
        backups, written = [], []
        for change in setup.changes:
            if change.changed:
                backup = change.apply()
                written.append(change.path)
                if backup is not None:
                    backups.append(backup)
        wanted = set(services_for(setup.url)) | set(setup.keyring_services)
        keep = (
            [KeyringEntry(self.server_key, service, setup.username) for service in sorted(wanted)]
            if setup.storage is Storage.KEYRING
            else []
        )
        tokens = [entry for entry in self.record.entries(self.server_key) if entry.username == TOKEN_USER]
        removed = self._forget(keep + tokens)  # API tokens in the keyring are not a user's password: they stay
        return SetupResult(tuple(written), tuple(backups), len(setup.keyring_services), removed)

    def token_snippets(self, settings: ServerSettings, token: str) -> list[Snippet]:
        """What to paste into CI for an API token, for this server's URL and (with HTTPS) the CA to trust."""
        ca, _bundle = self.trust_files(settings)
        return token_snippets(settings.url, token, str(ca) if ca is not None else None)

    def check_keyring(self) -> None:
        """Raise, saying what to do, when no usable system keyring answers (before a token is made for it)."""
        state = self.keyring.state()
        if not state.usable:
            raise DeskError(f"{state.problem} The token was not made; make it without --keyring, or fix the keyring.")

    def store_token(self, url: str, token: str) -> tuple[int, list[str]]:
        """Put an API token into the keyring for this server (user ``__token__``: what pip, uv and twine ask
        for), recorded like the passwords it writes. Returns how many entries were written, and the tokens it
        replaced there (revoke those if nothing else holds them)."""
        services = services_for(url)
        replaced = {self.keyring.get(service, TOKEN_USER) for service in services} - {None, token}
        for service in services:
            self.keyring.set(service, TOKEN_USER, token)
        entries = self.record.entries(self.server_key)
        added = [KeyringEntry(self.server_key, service, TOKEN_USER) for service in services]
        self.record.update(self.server_key, sorted(set(entries) | set(added)))
        return len(services), sorted(str(old) for old in replaced)

    def forget_dead_tokens(self, is_live: Callable[[str], bool]) -> int:
        """Remove the tokens the app put into the keyring for this server that are no longer valid (revoked, or
        their user removed); returns how many entries went."""
        keep = []
        for entry in self.record.entries(self.server_key):
            if entry.username == TOKEN_USER:
                try:
                    held = self.keyring.get(entry.service, TOKEN_USER)
                except KeyringError:
                    held = None
                if held is not None and not is_live(held):
                    continue  # dead: leaves the keyring
            keep.append(entry)
        return self._forget(keep)

    def forget_user(self, username: str, is_live: Callable[[str], bool] | None = None) -> int:
        """Remove the keyring entries the app wrote for ``username`` on this server (and, given ``is_live``, the
        tokens there that died with them); returns how many."""
        keep = [entry for entry in self.record.entries(self.server_key) if entry.username != username]
        removed = self._forget(keep)
        return removed + (self.forget_dead_tokens(is_live) if is_live is not None else 0)

    def _forget(self, keep: list[KeyringEntry]) -> int:
        """Make ``keep`` this server's recorded entries: every other entry on record leaves the keyring."""
        keep = list(keep)
        removed = 0
        shared = self.record.held_elsewhere(self.server_key)
        for entry in self.record.entries(self.server_key):
            if entry not in keep:
                if (entry.service, entry.username) in shared:
                    continue  # another data folder at this address relies on it: only this folder's record goes
                try:
                    removed += self.keyring.delete(entry.service, entry.username)
                except KeyringError:
                    keep.append(entry)  # still there: keep it on record, to remove later
        self.record.update(self.server_key, keep)
        return removed

    def _check_credentials(self, settings: ServerSettings, username: str, password: str) -> None:
        if username == TOKEN_USER:
            raise UserError("__token__ logs in with an API token, not a user's password: put a token into the keyring "
                            "with pypi-desk token create USER --name NAME --keyring.")  # fmt: skip
        if settings.auth == "none":
            return
        if username not in {user.name for user in self.users.users()}:
            raise UserError(f"There is no user {username} on this server: add the user first, then set up the client.")
        if not self.users.verify(username, password):
            raise UserError(f"That is not {username}'s password on this server; type it again.")

    # -- reading ----------------------------------------------------------------------

    def sections_for(self, url: str) -> list[str]:
        """The sections twine would use to reach ``url``."""
        return pypirc_reader.sections_for(self.pypirc, url)

    def is_set_up(self, url: str) -> bool:
        """Whether ``twine upload -r NAME`` reaches ``url`` with this machine's ``.pypirc``."""
        return bool(self.sections_for(url))

    def credentials_for(self, url: str) -> Credentials | None:
        """What twine would log in with: the section's password, or else the keyring's entry for its
        ``repository`` and ``username`` (twine's own lookup)."""
        for repository in pypirc_reader.repositories(self.pypirc):
            if not pypirc_reader.same_server(repository.url, url) or not repository.username:
                continue
            if repository.password:
                return Credentials(repository.username, repository.password)
            try:
                password = self.keyring.get(repository.url, repository.username)
            except KeyringError:
                password = None
            if password:
                return Credentials(repository.username, password)
        return None

    def plaintext_sections(self, url: str) -> list[str]:
        """Sections for ``url`` that hold a password in the file (it could move into the keyring)."""
        return [repository.name for repository in self._plaintext(url)]

    def _plaintext(self, url: str) -> list[pypirc_reader.Repository]:
        return [
            r
            for r in pypirc_reader.repositories(self.pypirc)
            if pypirc_reader.same_server(r.url, url) and r.username and r.password and r.own_password
        ]

    @staticmethod
    def snippets(url: str, name: str = "local", username: str = "USER") -> list[Snippet]:
        return client_snippets(url, name, username)


def _text(path: Path | None) -> str | None:
    return str(path) if path is not None else None
