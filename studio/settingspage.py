"""Settings pages a plugin declares (:func:`studio.hookspecs.studio_settings`).

The Settings dialog is generated from these declarations, as action panels are generated from
:class:`studio.actions.Action`: a plugin says which of its settings the user may change (a value, a
list of folders or files), in plain words, and which operations it offers there (buttons: "Create a
signing identity…"). It never builds a widget itself, and importing this module is cheap (no Qt).

Values live in ``settings.json``: a setting's ``key`` in the plugin's own section
(``plugins.<name>``, what ``ctx.settings`` holds), or in the ``export`` section when
``export_option`` is set (the export defaults every export starts from, e.g. ``watermark_strength``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from studio.plugincontext import PluginContext

SettingKind = Literal["bool", "int", "float", "str", "choice", "folders", "files"]
AskKind = Literal["open_file", "save_file", "text"]
__all__ = ["Ask", "Setting", "SettingsButton", "SettingsPage"]


@dataclass(frozen=True)
class Setting:
    """One value the user may change.

    ``kind`` decides the widget: ``bool`` a check box, ``int``/``float`` a spin box within
    ``minimum``..``maximum``, ``str`` a line of text, ``choice`` one of ``choices`` (shown as
    ``choice_labels`` when given), ``folders``/``files`` a list with Add… and Remove (``file_filter``
    is the file dialog's filter, e.g. ``"PEM certificates (*.pem *.crt)"``). ``check(value)`` may raise
    :class:`studio.errors.StudioError` to refuse a value (for a list: each item as it is added); its
    message is shown as it is.
    """

    key: str
    kind: SettingKind
    label: str
    default: Any = None
    help: str = ""
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    choices: tuple[str, ...] = ()
    choice_labels: tuple[str, ...] = ()
    file_filter: str = ""
    export_option: bool = False
    check: Callable[[Any], None] | None = None

    def label_of(self, choice: str) -> str:
        """The words shown for ``choice`` (a ``choice`` setting)."""
        if choice in self.choices and len(self.choice_labels) == len(self.choices):
            return self.choice_labels[self.choices.index(choice)]
        return choice


@dataclass(frozen=True)
class Ask:
    """What a button asks before it runs: a file to open, where to save, or a line of text.

    The answer reaches the button's ``run`` as ``answers[name]`` (a path as a string, or the text);
    when the user cancels, the button does not run. ``default`` is the text or file name proposed.
    """

    name: str
    kind: AskKind
    label: str
    file_filter: str = ""
    default: str = ""


@dataclass(frozen=True)
class SettingsButton:
    """An operation offered on a settings page ("Export the root certificate…").

    ``run(ctx, answers)`` runs on the GUI thread (keep it quick) and returns what was done, in a
    sentence shown to the user; it raises :class:`studio.errors.StudioError` when it cannot. Before
    it runs, the user is asked each of ``asks`` in turn, and ``confirm(ctx)``'s question, when it
    returns one (e.g. "Replace your signing identity?"); answered yes, ``answers["confirmed"]`` is
    True. ``enabled(ctx)`` says whether it can run now (e.g. there is a root to export).
    """

    label: str
    run: Callable[[PluginContext, dict[str, Any]], str]
    help: str = ""
    asks: tuple[Ask, ...] = ()
    confirm: Callable[[PluginContext], str] | None = None
    enabled: Callable[[PluginContext], bool] | None = None


@dataclass(frozen=True)
class SettingsPage:
    """One page of the Settings dialog: a title, what it is for, settings and buttons.

    ``status(ctx)`` is a line or two of current state shown at the top ("Signing as Ana (Studio),
    valid until 2027-03-01"); it is asked again after a button ran.
    """

    title: str
    settings: tuple[Setting, ...] = ()
    buttons: tuple[SettingsButton, ...] = ()
    description: str = ""
    status: Callable[[PluginContext], str] | None = None
    plugin: str = ""
