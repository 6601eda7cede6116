"""The Qt (PySide6) desktop shell: views over the document model and the plugins."""
