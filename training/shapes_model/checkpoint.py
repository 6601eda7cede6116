"""Atomic checkpoint files for resumable training (kept outside the repository)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

DEFAULT_DIR = Path(os.environ.get("STUDIO_TRAIN_DIR", Path.home() / ".cache" / "studio-training"))
LATEST = "latest.pt"


def save_atomic(state: dict[str, Any], path: Path) -> None:
    """Write ``state`` with ``torch.save`` to a temporary file, then ``os.replace`` it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    torch.save(state, tmp)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def load(path: Path) -> dict[str, Any] | None:
    """Load a checkpoint, or ``None`` when there is none."""
    if not path.exists():
        return None
    return torch.load(path, map_location="cpu", weights_only=True)  # tensors and plain data only, never code
