"""The Doctor's check of the cache of upstream's projects: whether upstream is reached (and why not), and which
names the team hosts that the cache also holds (the shape dependency confusion takes)."""

from __future__ import annotations

import time

from gui.services.core import DeskServices
from gui.services.doctor.findings import Finding, Outcome
from gui.services.index.settings import ServerSettings
from gui.services.packages.listing import counted, human_size


def upstream_cache(services: DeskServices, settings: ServerSettings) -> Finding:
    name = "Public packages (upstream)"
    if settings.fallback == "off":
        return Finding(name, Outcome.OK, "Names this index does not host answer 404: only the team's packages.")
    if settings.fallback == "redirect":
        return Finding(
            name, Outcome.OK,
            f"pip is sent to {settings.upstream} for names this index does not host; nothing is kept, so machines "
            "without internet install no public package.",
            "To keep what the team uses and work offline: pypi-desk settings set fallback=cache",
        )  # fmt: skip
    facts = services.packages.facts()
    if facts.problem:
        return Finding(name, Outcome.SKIPPED, "The index database cannot be read (see Index database).")
    overview = services.cache.overview(facts, settings)
    kept = (f"The cache keeps {counted(len(overview.projects), 'project')} from {settings.upstream} "
            f"({counted(overview.file_count, 'file')}, {human_size(overview.size)}).")  # fmt: skip
    if overview.both:
        shown = ", ".join(overview.both[:10]) + (" and more" if len(overview.both) > 10 else "")
        return Finding(
            name, Outcome.WARNING,
            f"{kept} These names are the team's and also cached from upstream: {shown}. Only the team's files are "
            "served for them, but a client with upstream as a second index could still pick upstream's.",
            f"Clear the cached copies (pypi-desk cache clear {overview.both[0]}), and have clients use this index "
            "alone (uv's first-index rule, no --extra-index-url to PyPI).",
        )  # fmt: skip
    if overview.upstream_problem:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(facts.upstream_checked or time.time()))
        return Finding(
            name, Outcome.WARNING,
            f"{kept} Upstream could not be reached at {when}: {overview.upstream_problem}. Kept projects are served; "
            "others cannot be until it is.",
            "Check the network, the proxy (HTTPS_PROXY, NO_PROXY) and the CA bundle (SSL_CERT_FILE) this app was "
            "started with, then restart the server.",
        )  # fmt: skip
    return Finding(name, Outcome.OK, kept)
