"""Start-up of the desktop build against the source tree, measured in the same run.

    python bench/frozen_startup.py [APP] [--runs 7]

APP is the built app's ``studio`` executable or the folder holding it (default: the newest
``dist/studio-*/studio``, as ``python3 packaging/build.py`` leaves it on Linux). For ``studio --version`` and
``studio plugins --json`` (both build the application and load every plugin) it times the wall clock of a fresh
process: the built app, and ``python -m studio.cli`` from the source tree with this Python (its bytecode
compiled by a warm-up run, as an installed program has it). Both run with the same empty home folder and
offscreen Qt; runs alternate and medians of wall time and of CPU time (user + system) are compared: on a
loaded machine the wall ratio wanders, the CPU ratio much less. The target is a ratio of 1.2 or less.
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


def children_cpu() -> float:
    """CPU seconds (user + system) used by finished child processes so far (0 where unknown: Windows)."""
    try:
        import resource
    except ImportError:
        return 0.0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def once(cmd: list[str], env: dict[str, str], cwd: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run."""
    cpu, start = children_cpu(), time.perf_counter()
    subprocess.run(cmd, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, children_cpu() - cpu


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
    ratios, cpu_ratios = [], []
    for command in COMMANDS:
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in programs}
        for prefix in programs.values():
            once([*prefix, *command], env, home)  # warm-up: the disk cache, and the source tree's bytecode
        for _ in range(args.runs):
            for name, prefix in programs.items():
                times[name].append(once([*prefix, *command], env, home))
        wall = {name: statistics.median(t for t, _ in runs) for name, runs in times.items()}
        cpu = {name: statistics.median(c for _, c in runs) for name, runs in times.items()}
        ratios.append(wall["built app"] / wall["source tree"])
        line = (f"studio {' '.join(command):<15} built app {wall['built app'] * 1000:5.0f} ms "
                f"source tree {wall['source tree'] * 1000:5.0f} ms   wall ratio {ratios[-1]:.2f}")
        if cpu["source tree"] > 0:
            cpu_ratios.append(cpu["built app"] / cpu["source tree"])
            line += (f"   (CPU {cpu['built app'] * 1000:.0f} / {cpu['source tree'] * 1000:.0f} ms, "
                     f"ratio {cpu_ratios[-1]:.2f})")
        print(line)
    print(f"worst wall ratio built / source: {max(ratios):.2f} (target <= 1.2)"
          + (f"; worst CPU ratio {max(cpu_ratios):.2f} (what a quiet machine shows)" if cpu_ratios else ""))


if __name__ == "__main__":
    main()
