"""Names no PyPI Desk server may take, because its certificate authority would then vouch for them to the
clients that trust it: public suffixes (``org``, ``co.uk``, ``github.io``, from the Public Suffix List that
``publicsuffixlist`` ships; a name it does not know, ``myhost``, is not one), and the public index pip
reaches through the same trust (``pypi.org``, ``files.pythonhosted.org``, the fallback index's host)."""

from __future__ import annotations

import functools


@functools.cache
def _list():
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList(accept_unknown=False)


def is_public_suffix(name: str) -> bool:
    cleaned = name.strip().lower().rstrip(".")
    return bool(cleaned) and _list().is_public(cleaned)


#: The hosts pip and uv reach PyPI at, with the CA bundle that holds the server's CA.
PUBLIC_INDEX_HOSTS = ("pypi.org", "pythonhosted.org", "pypi.python.org")


def overlaps_public_index(name: str, more_hosts: tuple[str, ...] = ()) -> bool:
    """Whether ``name`` is a public index's host, below one, or above one (``org`` is above ``pypi.org``)."""
    cleaned = name.strip().lower().rstrip(".")
    for host in (*PUBLIC_INDEX_HOSTS, *(h.lower() for h in more_hosts if h)):
        if cleaned == host or cleaned.endswith("." + host) or host.endswith("." + cleaned):
            return True
    return False
