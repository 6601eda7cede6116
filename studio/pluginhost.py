"""Loading plugins and calling them so that one plugin's fault stays its own.

pluggy contains nothing by itself: the first implementation that raises stops
the rest, and one broken entry point stops loading. :class:`PluginHost` loads
each entry point under its own guard and calls each hook implementation one by
one, recording a failure against the plugin that raised it.
"""

from __future__ import annotations

import importlib.metadata
import logging
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pluggy

from studio import ENTRY_POINT_GROUP, hookspecs
from studio.errors import StudioError
from studio.settings import Settings

log = logging.getLogger(__name__)
BUILTIN_PREFIX = "studio_plugins."


@dataclass
class PluginInfo:
    """What the host knows of one plugin, for ``studio plugins`` and the Plugins window."""

    name: str
    module: str
    version: str = ""
    distribution: str = ""
    builtin: bool = False
    enabled: bool = True
    loaded: bool = False
    error: str | None = None
    faults: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "module": self.module,
            "version": self.version,
            "distribution": self.distribution,
            "builtin": self.builtin,
            "enabled": self.enabled,
            "loaded": self.loaded,
            "error": self.error,
            "faults": list(self.faults),
        }


def make_plugin_manager() -> pluggy.PluginManager:
    """A fresh plugin manager with Studio's hook specifications (one per app instance)."""
    pm = pluggy.PluginManager("studio")
    pm.add_hookspecs(hookspecs)
    return pm


class PluginHost:
    """The plugins of one application instance."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.pm = make_plugin_manager()
        self.plugins: dict[str, PluginInfo] = {}
        self.fault_listeners: list[Any] = []
        self._startup_app: Any = None

    # -- loading ---------------------------------------------------------
    def load_entry_points(self, entry_points: Iterable[importlib.metadata.EntryPoint] | None = None) -> None:
        """Load every plugin of the ``studio`` entry-point group, each under its own guard."""
        if entry_points is None:
            entry_points = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
        for ep in sorted(entry_points, key=lambda e: e.name):
            dist = getattr(ep, "dist", None)
            info = PluginInfo(
                name=ep.name,
                module=ep.value,
                version=dist.version if dist is not None else "",
                distribution=dist.metadata["Name"] if dist is not None else "",
                builtin=ep.value.startswith(BUILTIN_PREFIX),
                enabled=ep.name not in self.settings.disabled_plugins,
            )
            if info.name in self.plugins:
                info.error = f"another plugin is already called '{info.name}' ({self.plugins[info.name].module})"
                log.warning("plugin %s: %s", ep.name, info.error)
                self.plugins[f"{info.name} ({info.module})"] = info
                continue
            self.plugins[info.name] = info
            if not info.enabled:
                continue
            try:
                obj = ep.load()
            except (Exception, SystemExit) as exc:  # noqa: BLE001 - any import failure is the plugin's
                info.error = f"cannot be loaded: {type(exc).__name__}: {exc}"
                log.warning("plugin %s %s", ep.name, info.error)
                log.debug("%s", traceback.format_exc())
                continue
            self._register(obj, info)

    def register(self, obj: ModuleType | object, name: str, version: str = "") -> PluginInfo:
        """Register a plugin object directly (tests, embedding applications)."""
        info = PluginInfo(name=name, module=getattr(obj, "__name__", type(obj).__name__), version=version)
        info.enabled = name not in self.settings.disabled_plugins
        self.plugins[name] = info
        if info.enabled:
            self._register(obj, info)
        return info

    def _register(self, obj: Any, info: PluginInfo) -> None:
        if not info.version:
            info.version = str(getattr(obj, "__version__", ""))
        try:
            self.pm.register(obj, name=info.name)
            unknown = sorted(
                caller.name for caller in self.pm.get_hookcallers(obj) or [] if caller.spec is None
            )
            if unknown:
                self.pm.unregister(name=info.name)
                raise pluggy.PluginValidationError(
                    obj, f"unknown hook(s) {', '.join(unknown)} (misspelled, or for a newer Studio)"
                )
        except pluggy.PluginValidationError as exc:
            info.error = f"does not fit the plugin contract: {exc}"
            log.warning("plugin %s %s", info.name, info.error)
            return
        except ValueError as exc:
            info.error = f"cannot be registered: {exc}"
            return
        info.loaded = True
        if self._startup_app is not None:
            self.call("studio_startup", only=info.name, app=self._startup_app)

    def start(self, app: Any) -> None:
        """Call ``studio_startup`` for every loaded plugin (and later for late ones)."""
        self._startup_app = app
        self.call("studio_startup", app=app)

    # -- calling -----------------------------------------------------------
    def call(
        self,
        hook_name: str,
        only: str | None = None,
        user_errors: list[tuple[str, StudioError]] | None = None,
        **kwargs: Any,
    ) -> list[tuple[str, Any]]:
        """Call every implementation of ``hook_name``; return ``(plugin, result)`` for non-None results.

        An implementation that raises is recorded as a fault of its plugin and
        skipped; the others still run. If ``user_errors`` is a list, a
        :class:`StudioError` (bad input, not a bug) goes there instead.
        """
        caller = getattr(self.pm.hook, hook_name)
        results: list[tuple[str, Any]] = []
        for impl in reversed(caller.get_hookimpls()):
            name = impl.plugin_name
            if only is not None and name != only:
                continue
            try:
                args = [kwargs[a] for a in impl.argnames]
                result = impl.function(*args)
            except StudioError as exc:
                if user_errors is None:
                    self.record_fault(name, f"{hook_name} raised {type(exc).__name__}: {exc}")
                else:
                    user_errors.append((name, exc))
                continue
            except Exception as exc:  # noqa: BLE001 - contained by design
                self.record_fault(name, f"{hook_name} raised {type(exc).__name__}: {exc}")
                log.debug("%s", traceback.format_exc())
                continue
            if result is not None:
                results.append((name, result))
        return results

    def record_fault(self, plugin: str, message: str) -> None:
        info = self.plugins.get(plugin)
        if info is None:
            info = self.plugins[plugin] = PluginInfo(name=plugin, module="?")
        info.faults.append(message)
        log.warning("plugin %s: %s", plugin, message)
        for listener in list(self.fault_listeners):
            listener(plugin, message)

    # -- enabling ----------------------------------------------------------
    def set_enabled(self, name: str, enabled: bool) -> None:
        """Enable or disable a plugin; the choice persists in the settings (takes effect on restart)."""
        disabled = [n for n in self.settings.disabled_plugins if n != name]
        if not enabled:
            disabled.append(name)
        self.settings.disabled_plugins = sorted(disabled)
        self.settings.save()
        if name in self.plugins:
            self.plugins[name].enabled = enabled
