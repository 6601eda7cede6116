"""Start-up of the desktop build against the source tree, measured in the same run.

    python bench/frozen_startup.py [APP] [--runs 7]

APP is the built app's ``studio`` executable or the folder holding it (default: the newest
``dist/studio-*/studio``, as ``python3 packaging/build.py`` leaves it on Linux). For ``studio --version`` and
``studio plugins --json`` (both build the application and load every plugin) it times the wall clock of a fresh
process: the built app, and ``python -m studio.cli`` from the source tree with this Python (its bytecode
compiled by a warm-up run, as an installed program has it). Both run with the same empty home folder and
offscreen Qt; runs alternate and medians are compared. The target is a ratio of 1.2 or less.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = (("--version",), ("plugins", "--json"))


def find_app(given: str | None) -> Path:
    if given:
        path = Path(given)
        return path / ("studio.exe" if os.name == "nt" else "studio") if path.is_dir() else path
    found = sorted((ROOT / "dist").glob("studio-*/studio"), key=lambda p: p.stat().st_mtime)
    if not found:
        raise SystemExit("no built app in dist/: run python3 packaging/build.py, or name the app")
    return found[-1]


def once(cmd: list[str], env: dict[str, str], cwd: str) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("app", nargs="?")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    app = find_app(args.app)
    home = tempfile.mkdtemp(prefix="studio-frozen-startup-")
    env = {"HOME": home, "QT_QPA_PLATFORM": "offscreen", "LANG": "C.UTF-8", "PATH": os.environ.get("PATH", "")}
    if os.name == "nt":
        env.update({k: os.environ[k] for k in ("SYSTEMROOT", "LOCALAPPDATA", "APPDATA", "USERPROFILE")
                    if k in os.environ})
    programs = {"built app": [str(app)], "source tree": [sys.executable, "-m", "studio.cli"]}
    print(f"built app: {app}\nsource tree: {sys.executable} -m studio.cli ({ROOT})")
    ratios = []
    for command in COMMANDS:
        times: dict[str, list[float]] = {name: [] for name in programs}
        for prefix in programs.values():
            once([*prefix, *command], env, home)  # warm-up: the disk cache, and the source tree's bytecode
        for _ in range(args.runs):
            for name, prefix in programs.items():
                times[name].append(once([*prefix, *command], env, home))
        built, source = statistics.median(times["built app"]), statistics.median(times["source tree"])
        ratios.append(built / source)
        print(f"studio {' '.join(command):<15} built app {built * 1000:6.0f} ms "
              f"(min {min(times['built app']) * 1000:.0f})   "
              f"source tree {source * 1000:6.0f} ms (min {min(times['source tree']) * 1000:.0f})"
              f"   ratio {built / source:.2f}")
    print(f"worst ratio built / source: {max(ratios):.2f} (target <= 1.2)")


if __name__ == "__main__":
    main()
