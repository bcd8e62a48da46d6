"""Overall progress of ``docker pull`` from its per-layer JSON events."""

from __future__ import annotations

from gui.services.server.runtime import PullProgress

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
