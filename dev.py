#!/usr/bin/env python3
"""Set up and run Studio from a source checkout, on any OS, with only Python 3.10+ installed.

    python3 dev.py run      # create .venv if needed, install, and open Studio
    python3 dev.py test     # create .venv if needed, install, lint, type-check and run the tests

The first call creates ``.venv`` and installs torch (pinned, installed first so that no other
package pulls an unpinned build), then Studio with its development tools. Later calls reinstall only
when ``pyproject.toml`` changed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
TORCH = os.environ.get("STUDIO_TORCH", "torch==2.13.0")
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def sh(*args: object, **kwargs: object) -> None:
    cmd = [str(a) for a in args]
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT, **kwargs)  # type: ignore[call-overload]


def setup() -> None:
    stamp = VENV / ".studio-setup"
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + TORCH.encode()).hexdigest()
    if stamp.exists() and stamp.read_text() == want and PYTHON.exists():
        return
    if not PYTHON.exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    sh(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    sh(PYTHON, "-m", "pip", "install", "--quiet", TORCH)
    sh(PYTHON, "-m", "pip", "install", "--quiet", "-e", ".[dev]")
    # the benchmarks compare against invisible-watermark; its own requirements name opencv-python,
    # which would clash with opencv-python-headless and Qt, and everything else it needs is here
    sh(PYTHON, "-m", "pip", "install", "--quiet", "--no-deps", "invisible-watermark==0.2.0")
    stamp.write_text(want)


def has_display() -> bool:
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run(args: list[str]) -> int:
    setup()
    if args or has_display():
        return subprocess.call([str(BIN / "studio"), *args], cwd=ROOT)
    print("No display found: showing the studio headless (offscreen) and saving a screenshot instead.")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.call([str(PYTHON), "-m", "studio.demo", str(ROOT / "out" / "demo")], cwd=ROOT, env=env)


def test(args: list[str]) -> int:
    setup()
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    checks = [
        [BIN / "ruff", "check", "."],
        [BIN / "lint-imports"],
        [BIN / "mypy"],
    ]
    for check in checks:
        print("+", " ".join(str(c) for c in check), flush=True)
        if subprocess.call([str(c) for c in check], cwd=ROOT, env=env) != 0:
            return 1
    return subprocess.call([str(PYTHON), "-m", "pytest", *args], cwd=ROOT, env=env)


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in ("run", "test", "setup"):
        print(__doc__)
        return 2
    command, rest = sys.argv[1], sys.argv[2:]
    if command == "setup":
        setup()
        return 0
    return run(rest) if command == "run" else test(rest)


if __name__ == "__main__":
    sys.exit(main())
