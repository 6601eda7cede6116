"""User settings: a JSON file in the user's config directory.

The location is ``platformdirs.user_config_dir("studio")`` unless the
``STUDIO_CONFIG_DIR`` environment variable names another directory (tests and
portable installs use it). Writes are atomic.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from studio.atomic import atomic_write_bytes

MAX_RECENT = 10


def config_dir() -> Path:
    override = os.environ.get("STUDIO_CONFIG_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_config_dir("studio", appauthor=False))


def cache_dir() -> Path:
    override = os.environ.get("STUDIO_CACHE_DIR")
    if override:
        return Path(override)
    import platformdirs

    return Path(platformdirs.user_cache_dir("studio", appauthor=False))


def data_dir() -> Path:
    """Where Studio keeps data the user would not want to lose (the local manifest store).

    ``STUDIO_DATA_DIR`` names it when set; otherwise, with ``STUDIO_CONFIG_DIR`` set (tests, portable
    installs), a ``data`` folder inside that; otherwise ``platformdirs.user_data_dir("studio")``.
    """
    override = os.environ.get("STUDIO_DATA_DIR")
    if override:
        return Path(override)
    if os.environ.get("STUDIO_CONFIG_DIR"):
        return config_dir() / "data"
    import platformdirs

    return Path(platformdirs.user_data_dir("studio", appauthor=False))


@dataclass
class Settings:
    """Everything the user chose that outlives a session."""

    device: str = "auto"
    disabled_plugins: list[str] = field(default_factory=list)
    recent_files: list[str] = field(default_factory=list)
    export: dict[str, Any] = field(default_factory=dict)
    plugins: dict[str, dict[str, Any]] = field(default_factory=dict)
    window: dict[str, Any] = field(default_factory=dict)  # the desktop window's size, place and panel layout
    path: Path | None = field(default=None, repr=False, compare=False)

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        """Read settings; a missing or unreadable file gives the defaults."""
        path = path or config_dir() / "settings.json"
        settings = cls(path=path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return settings
        if not isinstance(data, dict):
            return settings
        for name in ("device", "disabled_plugins", "recent_files", "export", "plugins", "window"):
            default = getattr(settings, name)
            value = data.get(name, default)
            if isinstance(value, type(default)):
                setattr(settings, name, value)
        return settings

    def save(self) -> None:
        path = self.path or config_dir() / "settings.json"
        data = asdict(self)
        data.pop("path", None)
        atomic_write_bytes(path, json.dumps(data, indent=2).encode("utf-8"))

    def add_recent(self, file: str | Path) -> None:
        file = str(Path(file).resolve())
        self.recent_files = [file] + [f for f in self.recent_files if f != file]
        del self.recent_files[MAX_RECENT:]

    def plugin_settings(self, plugin: str) -> dict[str, Any]:
        return self.plugins.setdefault(plugin, {})
