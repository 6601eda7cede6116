"""Undo and redo: every document edit is a command that knows how to revert itself."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from studio.document.events import Event

MAX_UNDO = 200


@dataclass
class Command:
    """A reversible edit: ``redo`` applies it, ``undo`` reverts it."""

    text: str
    redo: Callable[[], None]
    undo: Callable[[], None]


class UndoStack:
    def __init__(self) -> None:
        self._done: list[Command] = []
        self._undone: list[Command] = []
        self._collecting: list[Command] | None = None
        self.changed = Event()

    @contextlib.contextmanager
    def macro(self, text: str) -> Iterator[None]:
        """Make every command pushed inside the block one undoable step called ``text``."""
        if self._collecting is not None:  # nested: the outer block owns the step
            yield
            return
        self._collecting = []
        try:
            yield
        finally:
            commands, self._collecting = self._collecting, None
            if commands:
                def redo() -> None:
                    for command in commands:
                        command.redo()

                def undo() -> None:
                    for command in reversed(commands):
                        command.undo()

                self._done.append(Command(text, redo, undo))
                del self._done[:-MAX_UNDO]
                self._undone.clear()
                self.changed.emit()

    def push(self, command: Command) -> None:
        """Apply ``command`` and make it undoable."""
        command.redo()
        if self._collecting is not None:
            self._collecting.append(command)
            return
        self._done.append(command)
        del self._done[:-MAX_UNDO]
        self._undone.clear()
        self.changed.emit()

    def undo(self) -> str | None:
        if not self._done:
            return None
        command = self._done.pop()
        command.undo()
        self._undone.append(command)
        self.changed.emit()
        return command.text

    def redo(self) -> str | None:
        if not self._undone:
            return None
        command = self._undone.pop()
        command.redo()
        self._done.append(command)
        self.changed.emit()
        return command.text

    @property
    def can_undo(self) -> bool:
        return bool(self._done)

    @property
    def can_redo(self) -> bool:
        return bool(self._undone)

    @property
    def undo_text(self) -> str:
        return self._done[-1].text if self._done else ""

    @property
    def redo_text(self) -> str:
        return self._undone[-1].text if self._undone else ""

    def clear(self) -> None:
        self._done.clear()
        self._undone.clear()
        self.changed.emit()
