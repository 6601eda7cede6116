"""Errors that carry a message for the user and a hint on what to do next."""

from __future__ import annotations


class StudioError(Exception):
    """An error a user can act on.

    ``str(error)`` is one line suitable for a status bar or a CLI error; ``hint``
    says what to do about it.
    """

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip() if self.hint else self.message


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
