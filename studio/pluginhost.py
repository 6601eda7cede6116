"""Loading plugins and calling them so that one plugin's fault stays its own.

pluggy contains nothing by itself: the first implementation that raises stops
the rest, and one broken entry point stops loading. :class:`PluginHost` loads
each entry point under its own guard and calls each hook implementation one by
one, recording a failure against the plugin that raised it, and giving each
implementation its own plugin's :class:`~studio.plugincontext.PluginContext`
as ``ctx``.

Since the host makes the calls itself, pluggy's hook wrappers
(``hookwrapper=True``/``wrapper=True``) cannot be honoured: a plugin that asks
for one is refused at registration. ``tryfirst``/``trylast`` order the calls
as in pluggy.
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
from studio.plugincontext import PluginContext
from studio.runtime import Runtime
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
    user_installed: bool = False  # from the user's plugin folder (studio plugins install)
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
            "user_installed": self.user_installed,
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

    def __init__(self, settings: Settings, runtime: Runtime | None = None) -> None:
        self.settings = settings
        self.runtime = runtime or Runtime()
        self.pm = make_plugin_manager()
        self.plugins: dict[str, PluginInfo] = {}
        self.fault_listeners: list[Any] = []
        self.app: Any = None  # the application, once started: the services a PluginContext offers
        self._contexts: dict[str, PluginContext] = {}
        self._started = False

    # -- loading ---------------------------------------------------------
    def load_entry_points(self, entry_points: Iterable[importlib.metadata.EntryPoint] | None = None) -> None:
        """Load every plugin of the ``studio`` entry-point group, each under its own guard.

        With no ``entry_points`` given, the user's plugin folder (:mod:`studio.plugininstall`) is put on the
        path first, so the plugins installed there are found too.
        """
        folder = None
        if entry_points is None:
            from studio import plugininstall

            folder = plugininstall.activate()
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
            if folder is not None and dist is not None:
                from studio.plugininstall import is_user_installed

                info.user_installed = is_user_installed(dist, folder)
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
            self._check_contract(obj, info.name)
        except pluggy.PluginValidationError as exc:
            reason = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
            info.error = f"does not fit the plugin contract: {reason}"
            if "'app'" in reason and "hookspec" in reason:
                info.error += " (hooks receive 'ctx', the plugin's context, instead of 'app')"
            log.warning("plugin %s %s", info.name, info.error)
            return
        except ValueError as exc:
            info.error = f"cannot be registered: {exc}"
            return
        info.loaded = True
        if self._started:
            self.call("studio_startup", only=info.name)

    def _check_contract(self, obj: Any, name: str) -> None:
        """Refuse (unregistering ``obj``) hooks Studio does not know and calls the host cannot honour."""
        callers = self.pm.get_hookcallers(obj) or []
        problems = []
        unknown = sorted(caller.name for caller in callers if caller.spec is None)
        if unknown:
            problems.append(f"unknown hook(s) {', '.join(unknown)} (misspelled, or for a newer Studio)")
        wrappers = sorted(
            caller.name for caller in callers for impl in caller.get_hookimpls()
            if impl.plugin_name == name and (impl.hookwrapper or impl.wrapper)
        )
        if wrappers:
            problems.append(f"hook wrapper(s) {', '.join(wrappers)} (hookwrapper/wrapper): Studio calls each "
                            "implementation on its own, so wrappers cannot be honoured; use tryfirst/trylast "
                            "to order calls")
        if problems:
            self.pm.unregister(name=name)
            raise pluggy.PluginValidationError(obj, "; ".join(problems))

    def start(self, app: Any) -> None:
        """Attach the application and call ``studio_startup`` for every loaded plugin (and later for late ones)."""
        self.app = app
        self._started = True
        self.call("studio_startup")

    def context(self, name: str) -> PluginContext:
        """The context of plugin ``name`` in this application (one per plugin, made on first use)."""
        context = self._contexts.get(name)
        if context is None:
            if name not in self.plugins:
                raise KeyError(f"no plugin called '{name}'")
            context = self._contexts.setdefault(name, PluginContext(name, self))
        return context

    # -- calling -----------------------------------------------------------
    def call(
        self,
        hook_name: str,
        only: str | None = None,
        user_errors: list[tuple[str, StudioError]] | None = None,
        first: bool = False,
        skip: str | None = None,
        **kwargs: Any,
    ) -> list[tuple[str, Any]]:
        """Call every implementation of ``hook_name``; return ``(plugin, result)`` for non-None results.

        Implementations are called in pluggy's order (``tryfirst`` first,
        ``trylast`` last, otherwise the latest registered first). Each one that
        asks for ``ctx`` gets its own plugin's context; the other arguments come
        from ``kwargs``. An implementation that raises is recorded as a fault of
        its plugin and skipped; the others still run. If ``user_errors`` is a
        list, a :class:`StudioError` (bad input, not a bug) goes there instead. With ``first``, the calls
        stop at the first non-None result; ``skip`` names a plugin not to call (the one asking).
        """
        caller = getattr(self.pm.hook, hook_name)
        results: list[tuple[str, Any]] = []
        for impl in reversed(caller.get_hookimpls()):
            name = impl.plugin_name
            if (only is not None and name != only) or name == skip:
                continue
            try:
                args = [self.context(name) if a == "ctx" else kwargs[a] for a in impl.argnames]
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
                if first:
                    break
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
