"""Errors that carry a message for the user and a hint on what to do next."""

from __future__ import annotations


class StudioError(Exception):
    """An error a user can act on.

    ``str(error)`` is one line suitable for a status bar or a CLI error; ``hint``
    says what to do about it. ``window_hint`` says it in the window's words where the
    hint names a command line (the window never tells people to run commands); see
    :func:`window_text`.
    """

    def __init__(self, message: str, hint: str = "", window_hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.window_hint = window_hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip() if self.hint else self.message


class Notice(str):
    """A notice (an export's, say) whose words in the window differ from the command line's."""

    window: str

    def __new__(cls, text: str, window: str | None = None) -> Notice:
        notice = super().__new__(cls, text)
        notice.window = window if window is not None else text
        return notice


def window_text(item: object) -> str:
    """What the window shows for an error or a notice: its window words where it has them."""
    if isinstance(item, StudioError):
        hint = item.window_hint if item.window_hint is not None else item.hint
        return f"{item.message} {hint}".strip()
    return str(getattr(item, "window", item))


class BadInputError(StudioError):
    """A file or a parameter that cannot be used as given."""


class PluginError(StudioError):
    """A plugin failed; ``plugin`` names it."""

    def __init__(self, plugin: str, message: str, hint: str = "") -> None:
        super().__init__(f"Plugin '{plugin}': {message}", hint)
        self.plugin = plugin


class Cancelled(Exception):
    """Raised inside a job when the user cancelled it."""


class ProjectError(StudioError):
    """A project file that cannot be read or written."""


class StudioWarning(UserWarning):
    """A warning from Studio itself (tests turn these into errors)."""
