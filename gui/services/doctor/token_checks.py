"""The Doctor's look at the API tokens: ones that never expire, have expired, or went unused for 90 days."""

from __future__ import annotations

import time

from gui.services.core import DeskServices
from gui.services.doctor.findings import Finding, Outcome
from gui.services.errors import DeskError
from gui.services.users.tokens import DAY, STALE_DAYS


def tokens(services: DeskServices) -> Finding:
    name = "API tokens"
    try:
        found = services.users.token_store().tokens()
    except DeskError as exc:
        return Finding(name, Outcome.PROBLEM, str(exc), "Fix or delete the tokens file, then make new tokens.")
    if not found:
        return Finding(name, Outcome.OK, "No API tokens.")
    used = services.packages.facts().token_use
    now = time.time()
    users = {user.name for user in services.users.users()}
    orphaned = [t for t in found if t.user not in users]
    never = [t for t in found if t.expires is None]
    expired = [t for t in found if t.expired(now)]
    idle = [t for t in found if not t.expired(now) and now - used.get(t.id, t.created) > STALE_DAYS * DAY]
    notes = []
    if orphaned:
        notes.append(
            f"belong to a user who no longer exists (refused; revoke them): {', '.join(_named(t) for t in orphaned)}"
        )
    if never:
        notes.append(f"never expire: {', '.join(_named(t) for t in never)}")
    if idle:
        notes.append(f"unused for {STALE_DAYS} days or more: {', '.join(_named(t) for t in idle)}")
    if expired:
        notes.append(f"expired (refused already): {', '.join(_named(t) for t in expired)}")
    if not notes:
        return Finding(name, Outcome.OK, f"{len(found)} token(s), each with an expiry and in use.")
    return Finding(
        name, Outcome.WARNING, f"{len(found)} token(s); these " + "; these ".join(notes) + ".",
        "Revoke what no job needs any more (Users tab, or pypi-desk token revoke ID); give long-lived jobs a token "
        "that expires, and renew it.",
    )  # fmt: skip


def _named(token) -> str:
    return f"{token.name!r} of {token.user} ({token.id})"
