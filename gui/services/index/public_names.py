"""Which host names are public suffixes (``org``, ``co.uk``, ``github.io``): no server is named that, and a
certificate authority permitted one could vouch for every site below it. From the Public Suffix List
(``publicsuffixlist``, which ships it); a name the list does not know (``myhost``) is not one."""

from __future__ import annotations

import functools


@functools.cache
def _list():
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList(accept_unknown=False)


def is_public_suffix(name: str) -> bool:
    cleaned = name.strip().lower().rstrip(".")
    return bool(cleaned) and _list().is_public(cleaned)
