"""The Qt (PySide6) desktop shell: views over the document model and the plugins."""

from studio.gui.nonerefs import guard as _guard_none

_guard_none()  # see studio.gui.nonerefs: some bindings free None a little at every call
