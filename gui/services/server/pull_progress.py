"""Pulling the server image when an engine lacks it: overall progress from ``docker pull``'s per-layer
JSON events, and a failed pull said in words."""

from __future__ import annotations

import docker
import docker.errors

from gui.services.errors import ImagePullError
from gui.services.server.runtime import ProgressCallback, PullProgress

_DONE = {"Download complete", "Pull complete", "Verifying Checksum"}


class PullTracker:
    """Feed it pull events; it returns the overall progress after each one."""

    def __init__(self) -> None:
        self._layers: dict[str, tuple[int, int]] = {}  # layer id -> (bytes done, bytes total)
        self._done: set[str] = set()

    def update(self, event: dict) -> PullProgress | None:
        layer = event.get("id")
        status = str(event.get("status", ""))
        if not layer or layer.startswith("sha256:") or status.startswith(("Pulling from", "Digest", "Status")):
            return PullProgress(self._fraction(), status) if status else None
        detail = event.get("progressDetail") or {}
        if status == "Already exists":  # nothing to download: not part of the progress
            return PullProgress(self._fraction(), status)
        if status == "Downloading" and detail.get("total"):
            self._layers[layer] = (int(detail.get("current", 0)), int(detail["total"]))
        elif status in _DONE:
            self._done.add(layer)
            self._layers.setdefault(layer, (0, 0))
        else:
            self._layers.setdefault(layer, (0, 0))
        return PullProgress(self._fraction(), f"Pulling image: {len(self._done)} of {len(self._layers)} layers")

    def _fraction(self) -> float | None:
        """The mean of the layers' own fractions: it only grows, even when a layer's size
        becomes known late (Docker learns sizes only as each download starts)."""
        if not self._layers:
            return None
        parts = [
            1.0 if layer in self._done else (current / total if total else 0.0)
            for layer, (current, total) in self._layers.items()
        ]
        return min(1.0, sum(parts) / len(parts))


def ensure_image(client: docker.DockerClient, image: str, progress: ProgressCallback | None) -> None:
    """Pull ``image`` unless the engine has it, reporting progress; raises ImagePullError in words."""
    try:
        client.images.get(image)
        return
    except docker.errors.ImageNotFound:
        pass
    tracker = PullTracker()
    try:
        for event in client.api.pull(image, stream=True, decode=True):
            if "error" in event:
                raise ImagePullError(_pull_failed(image, event["error"]))
            update = tracker.update(event)
            if progress is not None and update is not None:
                progress(update)
    except docker.errors.APIError as exc:
        raise ImagePullError(_pull_failed(image, str(exc.explanation or exc))) from exc
    try:
        client.images.get(image)
    except docker.errors.ImageNotFound:
        raise ImagePullError(_pull_failed(image, "the registry sent no image")) from None


def _pull_failed(image: str, reason: str) -> str:
    return (
        f"The image {image} is not on this machine and could not be pulled: {reason}. "
        "Check the network and the image name, or load the image by hand (docker load), then retry."
    )
