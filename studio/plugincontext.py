"""What one plugin sees of the application it runs in: its :class:`PluginContext`.

Every hook, export step, command and action of a plugin receives the context of
that plugin in that application instance (``ctx``): its name and version, its
own settings, the compute runtime, a ``state`` dict for its caches (loaded
models, decoded files), and the few services a plugin may use (exporting a file
through the pipeline, running one of its actions, recording a fault). A plugin
never gets the application or the plugin host themselves, so that two
applications in one process (tests, an embedding program) never share a
plugin's state through module globals.

The host builds one context per plugin per application
(:meth:`studio.pluginhost.PluginHost.context`).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse

    import numpy as np

    from studio.actions import Action
    from studio.document.provenance import Record
    from studio.export import ExportReport
    from studio.jobs import Job, Listener
    from studio.media import ClipInput
    from studio.pluginhost import PluginHost
    from studio.results import OutputBoxes, SoftBinding
    from studio.runtime import Runtime


class PluginContext:
    """One plugin in one application instance. See the module docstring."""

    def __init__(self, name: str, host: PluginHost) -> None:
        self._name = name
        self._host = host
        self.state: dict[str, Any] = {}
        """Private to this plugin in this application: caches such as loaded pipelines (not saved)."""
        self.lock = threading.RLock()
        """Guards :attr:`state` where a plugin fills it from several threads (jobs, the GUI)."""
        self.log = logging.getLogger(f"studio.plugin.{name}")

    def __repr__(self) -> str:
        return f"<PluginContext {self._name!r} {self.version!r}>"

    # -- who ---------------------------------------------------------------------
    @property
    def name(self) -> str:
        """The plugin's name (its entry-point name, e.g. ``credentials``)."""
        return self._name

    @property
    def version(self) -> str:
        """The plugin's version (its distribution's, else its module's ``__version__``)."""
        info = self._host.plugins.get(self._name)
        return info.version if info is not None else ""

    # -- settings and runtime -------------------------------------------------------
    @property
    def settings(self) -> dict[str, Any]:
        """This plugin's settings (``settings.json``'s ``plugins.<name>``); change it, then :meth:`save_settings`."""
        return self._host.settings.plugin_settings(self._name)

    def save_settings(self) -> None:
        """Write the settings file (atomically), with this plugin's changes."""
        self._host.settings.save()

    @property
    def runtime(self) -> Runtime:
        """The compute runtime: ``runtime.choice()`` is the device and dtype to use (imports torch)."""
        return self._host.runtime

    def export_options(self, args: argparse.Namespace | None = None) -> dict[str, Any]:
        """Export options: the user's export defaults, overridden by an action's ``--<option>`` CLI flags."""
        options = dict(self._host.settings.export)
        for key, value in (vars(args) if args is not None else {}).items():
            if key.startswith("export_") and value is not None:
                options[key[len("export_"):]] = value
        return options

    # -- services -----------------------------------------------------------------------
    def record_fault(self, message: str) -> None:
        """Record a fault of this plugin (shown by ``studio plugins`` and the Plugins window)."""
        self._host.record_fault(self._name, message)

    def export_image(self, pixels: np.ndarray, dest: str | Path, record: Record,
                     options: dict[str, Any] | None = None, fmt: str | None = None,
                     cancel: threading.Event | None = None) -> ExportReport:
        """Write ``pixels`` to ``dest`` through the export pipeline (every plugin's steps), atomically.

        ``options`` default to :meth:`export_options` (the user's export settings).
        """
        return self._app().export.export_image(pixels, dest, record, self._options(options), fmt, cancel)

    def export_clip(self, clip: ClipInput, dest: str | Path, options: dict[str, Any] | None = None,
                    cancel: threading.Event | None = None) -> ExportReport:
        """Write a clip (MP4, WebM, GIF or a PNG folder) through the export pipeline: every frame watermarked,
        the file signed where the format allows, atomically. The clip's ``record`` describes it."""
        return self._app().export.export_clip(clip, dest, self._options(options), cancel=cancel)

    def export_file(self, source: str | Path, dest: str | Path, record: Record,
                    options: dict[str, Any] | None = None, cancel: threading.Event | None = None) -> ExportReport:
        """Pass an existing file through the file-stage export steps (signing) to ``dest``, atomically."""
        return self._app().export.export_file(source, dest, record, self._options(options), cancel)

    def action(self, action_id: str) -> Action:
        """A loaded action by id (any plugin's), as the GUI and the CLI run it."""
        action: Action = self._app().action(action_id)
        return action

    def run_action(self, action: Action | str, params: dict[str, Any], on_change: Listener | None = None) -> Job:
        """Run an action to completion in this thread (like the CLI does) and return its finished job."""
        from studio.jobs import Job, execute

        if isinstance(action, str):
            action = self.action(action)
        return execute(Job(action=action, params=params), self._app(), on_change)

    def find_objects(self, rgb: np.ndarray, queries: list[str], threshold: float = 0.5) -> OutputBoxes | None:
        """Ask the other plugins to find what ``queries`` name in ``rgb`` (an ``(H, W, 3)`` uint8 picture).

        The first plugin whose :func:`~studio.hookspecs.studio_find_objects` answers gives the boxes
        (``OutputBoxes``; its ``name`` says what found them); ``None`` when no installed, enabled plugin
        can (fall back to your own means then). A plugin that raises is recorded as faulty and the next
        one is asked.
        """
        answers = self._host.call("studio_find_objects", first=True, skip=self._name, rgb=rgb,
                                  queries=list(queries), threshold=threshold)
        return answers[0][1] if answers else None

    def find_soft_bindings(self, path: str | Path,
                           candidates: dict[str, list[bytes]] | None = None) -> list[SoftBinding]:
        """Ask the other plugins for the soft bindings (invisible watermarks) in the file at ``path``.

        ``candidates``: the values you already know, by ``alg`` (e.g. a manifest store's payloads), which a
        plugin may match a damaged reading against.

        Every plugin whose :func:`~studio.hookspecs.studio_find_soft_bindings` answers contributes its
        :class:`~studio.results.SoftBinding` list, in pluggy's order; empty when none finds any. A plugin
        that raises is recorded as faulty and the others are still asked; a plugin's
        :class:`~studio.errors.StudioError` (a file it cannot read) is not a fault and is skipped.
        """
        found: list[SoftBinding] = []
        errors: list[tuple[str, Any]] = []
        for _name, answer in self._host.call("studio_find_soft_bindings", skip=self._name, user_errors=errors,
                                             path=Path(path), candidates=dict(candidates or {})):
            found.extend(answer if isinstance(answer, list) else [answer])
        return found

    # -- internals --------------------------------------------------------------------------
    def _options(self, options: dict[str, Any] | None) -> dict[str, Any]:
        return self.export_options() if options is None else options

    def _app(self) -> Any:
        app = self._host.app
        if app is None:
            raise RuntimeError(f"plugin '{self._name}': its host is not attached to an application")
        return app
