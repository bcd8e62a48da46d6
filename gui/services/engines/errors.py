"""A failure to reach a Docker engine, in words that say how to fix it (this computer's, or another's)."""

from __future__ import annotations

import os

from gui.services.engines.choice import Engine
from gui.services.errors import EngineUnavailableError


def engine_error(exc: BaseException, engine: Engine | None = None) -> EngineUnavailableError:
    """Turn a failure to reach the engine into words that say how to fix it."""
    if isinstance(exc, EngineUnavailableError):
        return exc
    if engine is not None and not engine.is_default:
        if engine.is_ssh:
            from gui.services.engines.ssh import ssh_problem

            problem = ssh_problem(engine.url())
            if problem is not None:
                return problem
        return EngineUnavailableError(
            f"No Docker engine answers at {engine.url()} ({exc}).",
            "Check that Docker runs on that machine and that this computer may reach it, then retry.",
        )
    where = os.environ.get("DOCKER_HOST") or "the default socket (/var/run/docker.sock)"
    text = str(exc)
    if "Permission denied" in text or isinstance(exc.__context__, PermissionError):
        return EngineUnavailableError(
            f"This user may not use the Docker engine at {where} (permission denied).",
            "Add yourself to the docker group (sudo usermod -aG docker $USER), log out and back in, "
            "then retry; or run the server without Docker.",
        )
    return EngineUnavailableError(
        f"No Docker engine answers at {where}.",
        "Start Docker (Docker Desktop, or "
        "'sudo systemctl start docker'), then retry; or run the server without Docker.",
    )
