"""Doctor: the checks behind "why does my index not work?", each finding with a fix where one exists.

Shared by the Doctor tab and ``pypi-desk doctor``. Every check looks at the real
thing (the engine, the image, the port, the files, the container's own view of
the password file and the packages, ``~/.pypirc`` against the users, ``/simple/``)
and never changes anything. A finding's ``fix`` is neutral text; its ``action``
names what to do in a word the caller turns into where to go (a tab and button in
the window, a command line).
"""

from __future__ import annotations

from gui.services.doctor.findings import ACTIONS, Finding, Outcome
from gui.services.doctor.run import diagnose

__all__ = ["ACTIONS", "Finding", "Outcome", "diagnose"]
