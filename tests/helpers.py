"""Paths and helpers shared by the tests."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
MEDIA = SHARED / "media-samples"
C2PA_SAMPLES = SHARED / "c2pa-samples"
THIRDPARTY = Path(__file__).parent / "fixture_plugins" / "thirdparty"


def cli_env(extra_path: Path | None = None) -> dict[str, str]:
    """The environment for a ``studio`` subprocess, optionally with an extra import path."""
    env = dict(os.environ)
    if extra_path is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(extra_path), env.get("PYTHONPATH", "")])
    return env
