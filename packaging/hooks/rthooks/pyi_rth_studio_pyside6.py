# Run-time hook for PySide6 in Studio's desktop build, in place of PyInstaller's own (packaging/hooks/rthooks.dat).
#
# PyInstaller's hook imports PySide6.QtCore at every start, to register a qt.conf that PySide6's PyPI wheels
# register themselves when QtCore is first imported. That import loads Qt and ICU (about 0.1 s) even for
# `studio --version`, which never touches Qt. This hook only says where the bundled Qt plugins are.


def _studio_pyside6_rthook():
    import os
    import sys

    base = os.path.join(sys._MEIPASS, "PySide6") if sys.platform.startswith("win") else \
        os.path.join(sys._MEIPASS, "PySide6", "Qt")
    os.environ["QT_PLUGIN_PATH"] = os.path.join(base, "plugins")
    if sys.platform.startswith("win"):
        os.environ["PATH"] = sys._MEIPASS + os.pathsep + os.environ.get("PATH", "")


_studio_pyside6_rthook()
del _studio_pyside6_rthook
