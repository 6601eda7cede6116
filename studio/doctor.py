"""``studio doctor``: what this installation runs on, and why."""

from __future__ import annotations

import importlib.metadata
import platform
import sys
from typing import TYPE_CHECKING, Any

from studio import __version__
from studio.plugininstall import plugins_dir
from studio.settings import cache_dir, config_dir

if TYPE_CHECKING:
    from studio.application import StudioApp

LIBRARIES = (
    "PySide6-Essentials", "pluggy", "numpy", "pillow", "opencv-python-headless", "torch",
    "diffusers", "transformers", "safetensors", "c2pa-python", "av",
)


def library_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in LIBRARIES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def doctor_report(app: StudioApp) -> dict[str, Any]:
    choice = app.runtime.choice()
    report: dict[str, Any] = {
        "studio": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "torch": app.runtime.torch_build(),
        "device": choice.to_dict() | {"preference": app.runtime.preference},
        "libraries": library_versions(),
        "paths": {
            "config": str(config_dir()),
            "settings": str(app.settings.path),
            "cache": str(cache_dir()),
            "plugins": str(plugins_dir()),
        },
        "plugins": {name: ("ok" if info.loaded else (info.error or "disabled"))
                    for name, info in app.host.plugins.items()},
    }
    for plugin, facts in app.host.call("studio_doctor"):
        if isinstance(facts, dict):
            report.setdefault("plugin_facts", {})[plugin] = facts
    return report
