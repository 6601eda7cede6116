"""One application instance: settings, plugins, runtime and export, without any UI.

The CLI and the GUI each build a :class:`StudioApp`; tests build as many as
they like (nothing here is a module global).
"""

from __future__ import annotations

import importlib.metadata
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from studio.actions import Action, Command
from studio.errors import BadInputError, StudioError
from studio.export import ExportPipeline
from studio.pluginhost import PluginHost
from studio.report import ReportOption, ReportSection
from studio.runtime import Runtime
from studio.settings import Settings
from studio.settingspage import SettingsPage

log = logging.getLogger(__name__)
CORE_COMMANDS = ("gui", "plugins", "doctor", "inspect", "batch")  # studio/cli.py's own commands
RESERVED_REPORT_OPTIONS = ("file", "heatmaps", "json", "help", "debug", "device")


class StudioApp:
    def __init__(
        self,
        settings: Settings | None = None,
        device: str | None = None,
        entry_points: Iterable[importlib.metadata.EntryPoint] | None = None,
        load_plugins: bool = True,
    ) -> None:
        self.settings = settings or Settings.load()
        preference = device or self.settings.device or "auto"
        if preference not in ("auto", "cuda", "mps", "cpu"):
            log.warning("unknown device %r in settings; using auto", preference)
            preference = "auto"
        self.runtime = Runtime(preference)
        self.host = PluginHost(self.settings, self.runtime)
        self.export = ExportPipeline(self.host)
        self._actions: dict[str, Action] | None = None
        self._commands: list[Command] | None = None
        self._report_options: dict[str, ReportOption] | None = None
        if load_plugins:
            self.host.load_entry_points(entry_points)
            self.host.start(self)

    # -- what plugins offer ------------------------------------------------
    @property
    def actions(self) -> dict[str, Action]:
        if self._actions is None:
            actions: dict[str, Action] = {}
            for plugin, result in self.host.call("studio_actions"):
                for action in result or []:
                    if not isinstance(action, Action):
                        self.host.record_fault(plugin, f"studio_actions returned {type(action).__name__}")
                        continue
                    if action.id in actions:
                        self.host.record_fault(plugin, f"action id '{action.id}' is already taken")
                        continue
                    actions[action.id] = Action(**{**vars(action), "plugin": plugin})
            self._actions = dict(sorted(actions.items()))
        return self._actions

    def action(self, action_id: str) -> Action:
        try:
            return self.actions[action_id]
        except KeyError:
            raise BadInputError(f"No action '{action_id}'. See 'studio plugins' for what is loaded.") from None

    @property
    def commands(self) -> list[Command]:
        if self._commands is None:
            commands: list[Command] = []
            for plugin, result in self.host.call("studio_commands"):
                for command in result or []:
                    if not isinstance(command, Command):
                        self.host.record_fault(plugin, f"studio_commands returned {type(command).__name__}")
                    elif command.path[:1] in [(name,) for name in CORE_COMMANDS] or \
                            command.path in [c.path for c in commands]:
                        self.host.record_fault(plugin, f"command 'studio {' '.join(command.path)}' is already taken")
                    else:
                        commands.append(Command(**{**vars(command), "plugin": plugin}))
            self._commands = commands
        return self._commands

    @property
    def report_options(self) -> dict[str, ReportOption]:
        """The plugins' options of ``studio inspect`` (``studio_report_options``), by name."""
        if self._report_options is None:
            options: dict[str, ReportOption] = {}
            for plugin, result in self.host.call("studio_report_options"):
                for option in result or []:
                    if not isinstance(option, ReportOption):
                        self.host.record_fault(plugin, f"studio_report_options returned {type(option).__name__}")
                    elif option.name in options or option.name in RESERVED_REPORT_OPTIONS:
                        self.host.record_fault(plugin, f"report option '{option.name}' is already taken")
                    else:
                        options[option.name] = ReportOption(**{**vars(option), "plugin": plugin})
            self._report_options = options
        return self._report_options

    def file_report(self, path: str | Path, options: dict[str, list[Any]] | None = None) -> list[ReportSection]:
        """Every plugin's section of the evidence report for ``path``.

        ``options`` are the values of report options (``studio inspect --NAME VALUE``), by name.
        A plugin that cannot read the file (it raised a :class:`StudioError`) gets a section saying
        so; if no plugin could read it at all, the error is raised.
        """
        path = Path(path)
        if not path.exists():
            raise BadInputError(f"{path} does not exist.")
        if path.is_dir():
            raise BadInputError(f"{path} is a folder, not a file.")
        sections: list[ReportSection] = []
        errors: list[tuple[str, StudioError]] = []
        for plugin, result in self.host.call("studio_file_report", user_errors=errors, path=path,
                                             options=dict(options or {})):
            for section in result if isinstance(result, (list, tuple)) else [result]:
                if isinstance(section, ReportSection):
                    section.plugin = plugin
                    sections.append(section)
        if errors and not sections:
            raise errors[0][1]
        for plugin, error in errors:
            sections.append(ReportSection(title=f"{plugin} (could not read the file)", state="unreadable",
                                          summary=str(error), plugin=plugin))
        return sections

    def settings_pages(self) -> list[SettingsPage]:
        """The plugins' pages of the Settings dialog (``studio_settings``), each naming its plugin."""
        pages: list[SettingsPage] = []
        for plugin, result in self.host.call("studio_settings"):
            for page in result if isinstance(result, (list, tuple)) else [result]:
                if isinstance(page, SettingsPage):
                    pages.append(SettingsPage(**{**vars(page), "plugin": plugin}))
                elif page is not None:
                    self.host.record_fault(plugin, f"studio_settings returned {type(page).__name__}, not SettingsPage")
        return pages

    def doctor(self) -> dict[str, Any]:
        from studio.doctor import doctor_report

        return doctor_report(self)
