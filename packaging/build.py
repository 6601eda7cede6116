#!/usr/bin/env python3
"""Build the desktop app for this OS into dist/studio (one folder; Studio.app on macOS).

    .venv/bin/pip install pyinstaller && .venv/bin/python packaging/build.py

CI builds one per OS on native runners; torch is the build installed in the environment (CUDA on
Windows/Linux if installed so, MPS on macOS), which dominates the size.
"""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    sys.exit(subprocess.call([sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean",
                              "--distpath", str(HERE.parent / "dist"), "--workpath", str(HERE.parent / "build"),
                              str(HERE / "studio.spec")], cwd=HERE))
