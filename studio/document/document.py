"""The document: the canvas's layers, the timeline and the history of results.

Edits go through methods that push undoable commands; views listen to the
events. A document knows nothing of Qt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from studio.document.events import Event
from studio.document.history import Command, UndoStack
from studio.document.layers import Layer, composite, export_layers, new_id
from studio.document.provenance import Ingredient, Record, source_from_ingredients
from studio.document.timeline import Clip, Timeline, Track

LAYER_PROPERTIES = ("name", "visible", "opacity")


@dataclass(eq=False)
class ResultEntry:
    """One result kept in the project's history, with the settings that made it."""

    pixels: np.ndarray
    record: Record
    name: str = "Result"
    id: str = field(default_factory=new_id)


class Document:
    """Layers (bottom first), a timeline, a results history and an undo stack."""

    def __init__(self) -> None:
        self.layers: list[Layer] = []
        self.timeline = Timeline()
        self.results: list[ResultEntry] = []
        self.undo_stack = UndoStack()
        self.path: Path | None = None
        self.active_id: str | None = None
        self.modified = False
        self.layers_changed = Event()
        self.layer_changed = Event()
        self.active_changed = Event()
        self.results_changed = Event()
        self.undo_stack.changed.connect(self._mark_modified)
        self.timeline.changed.connect(self._mark_modified)

    def _mark_modified(self) -> None:
        self.modified = True

    # -- queries ---------------------------------------------------------
    @property
    def size(self) -> tuple[int, int] | None:
        """The canvas size (width, height): the largest layer's, or None when empty."""
        if not self.layers:
            return None
        return (max(l.size[0] for l in self.layers), max(l.size[1] for l in self.layers))

    def layer(self, layer_id: str) -> Layer:
        for layer in self.layers:
            if layer.id == layer_id:
                return layer
        raise KeyError(layer_id)

    def find_layer(self, name_or_id: str) -> Layer | None:
        for layer in self.layers:
            if layer.id == name_or_id or layer.name == name_or_id:
                return layer
        return None

    @property
    def active_layer(self) -> Layer | None:
        if self.active_id is None:
            return None
        try:
            return self.layer(self.active_id)
        except KeyError:
            return None

    def set_active(self, layer: Layer | None) -> None:
        self.active_id = layer.id if layer else None
        self.active_changed.emit(layer)

    def flatten(self) -> np.ndarray:
        """The visible picture as RGBA uint8, as the canvas shows it (analysis overlays included)."""
        return composite(self.layers, self.size)

    # -- export: what leaves the program (analysis overlays never do) ------------
    def export_layers(self) -> list[Layer]:
        """The layers an export is made of: visible pictures, without masks or analysis overlays."""
        return export_layers(self.layers)

    @property
    def export_size(self) -> tuple[int, int] | None:
        """The size of an export: the largest layer's that is not an analysis overlay, or None."""
        content = [layer for layer in self.layers if not layer.is_analysis]
        if not content:
            return None
        return (max(l.size[0] for l in content), max(l.size[1] for l in content))

    def flatten_for_export(self) -> np.ndarray:
        """The picture an export writes, as RGBA uint8: :meth:`export_layers` composited.

        Raises ValueError when the document holds no picture (only analysis overlays, or nothing).
        """
        size = self.export_size
        if size is None:
            raise ValueError("nothing to export: the document holds no picture")
        return composite(self.export_layers(), size)

    def export_record(self) -> Record:
        """The record of :meth:`flatten_for_export`: one layer's own, or a composition of the layers."""
        layers = self.export_layers()
        if len(layers) == 1 and layers[0].record is not None:
            return layers[0].record
        ingredients = [Ingredient(title=layer.name, relationship="componentOf", record=layer.record)
                       for layer in layers]
        # a composition with any generated layer says so (compositeWithTrainedAlgorithmicMedia)
        return Record(action="compose", title="Composition", c2pa_action="c2pa.edited",
                      digital_source=source_from_ingredients(ingredients), ingredients=ingredients)

    # -- edits (undoable) ------------------------------------------------
    def add_layer(self, layer: Layer, index: int | None = None) -> Layer:
        position = len(self.layers) if index is None else index
        previous_active = self.active_id

        def redo() -> None:
            self.layers.insert(position, layer)
            self.active_id = layer.id
            self.layers_changed.emit()
            self.active_changed.emit(layer)

        def undo() -> None:
            self.layers.remove(layer)
            self.active_id = previous_active
            self.layers_changed.emit()
            self.active_changed.emit(self.active_layer)

        self.undo_stack.push(Command(f"Add layer '{layer.name}'", redo, undo))
        return layer

    def remove_layer(self, layer: Layer) -> None:
        position = self.layers.index(layer)

        def redo() -> None:
            self.layers.remove(layer)
            if self.active_id == layer.id:
                self.active_id = self.layers[-1].id if self.layers else None
            self.layers_changed.emit()
            self.active_changed.emit(self.active_layer)

        def undo() -> None:
            self.layers.insert(position, layer)
            self.layers_changed.emit()

        self.undo_stack.push(Command(f"Delete layer '{layer.name}'", redo, undo))

    def move_layer(self, layer: Layer, index: int) -> None:
        """Move ``layer`` to ``index`` in the bottom-first order."""
        old = self.layers.index(layer)
        new = max(0, min(index, len(self.layers) - 1))
        if old == new:
            return

        def place(at: int) -> Any:
            def apply() -> None:
                self.layers.remove(layer)
                self.layers.insert(at, layer)
                self.layers_changed.emit()

            return apply

        self.undo_stack.push(Command(f"Move layer '{layer.name}'", place(new), place(old)))

    def set_layer(self, layer: Layer, **changes: Any) -> None:
        """Change ``name``, ``visible`` or ``opacity`` of a layer, undoably."""
        for key in changes:
            if key not in LAYER_PROPERTIES:
                raise ValueError(f"unknown layer property {key!r}")
        if "opacity" in changes:
            changes["opacity"] = float(min(1.0, max(0.0, changes["opacity"])))
        if "name" in changes:
            changes["name"] = str(changes["name"]).strip() or layer.name
        before = {k: getattr(layer, k) for k in changes}
        if before == changes:
            return

        def apply(values: dict[str, Any]) -> Any:
            def run() -> None:
                for k, v in values.items():
                    setattr(layer, k, v)
                self.layer_changed.emit(layer)

            return run

        what = ", ".join(changes)
        self.undo_stack.push(Command(f"Change {what} of '{layer.name}'", apply(changes), apply(before)))

    def set_pixels(self, layer: Layer, pixels: np.ndarray, text: str = "Edit pixels") -> None:
        before = layer.pixels

        def apply(value: np.ndarray) -> Any:
            def run() -> None:
                layer.pixels = value
                self.layer_changed.emit(layer)

            return run

        self.undo_stack.push(Command(text, apply(pixels), apply(before)))

    # -- timeline edits (undoable) ------------------------------------------
    def add_clip(self, clip: Clip, track: Track | None = None) -> Track:
        """Put ``clip`` on the timeline (see :meth:`Timeline.add_clip`), undoably."""
        state: dict[str, Track] = {}

        def redo() -> None:
            created = state.get("created")
            if created is not None and created not in self.timeline.tracks:
                self.timeline.tracks.append(created)
            before = list(self.timeline.tracks)
            placed = self.timeline.add_clip(clip, state.get("track", track))
            state["track"] = placed
            if placed not in before:
                state["created"] = placed

        def undo() -> None:
            self.timeline.remove_clip(clip)
            created = state.get("created")
            if created is not None and not created.clips and created in self.timeline.tracks:
                self.timeline.tracks.remove(created)
                self.timeline.changed.emit()
            self.timeline.seek(self.timeline.playhead)  # stay inside what is left

        self.undo_stack.push(Command(f"Add clip '{clip.name}'", redo, undo))
        return state["track"]

    def remove_clip(self, clip: Clip) -> None:
        """Take ``clip`` off the timeline, undoably (undo puts it back on its track, in place)."""
        track = next((t for t in self.timeline.tracks if clip in t.clips), None)
        if track is None:
            return
        index = track.clips.index(clip)

        def redo() -> None:
            self.timeline.remove_clip(clip)
            self.timeline.seek(self.timeline.playhead)

        def undo() -> None:
            track.clips.insert(index, clip)
            self.timeline.changed.emit()

        self.undo_stack.push(Command(f"Delete clip '{clip.name}'", redo, undo))

    # -- results history ---------------------------------------------------
    def add_result(self, pixels: np.ndarray, record: Record, name: str) -> ResultEntry:
        entry = ResultEntry(pixels=pixels, record=record, name=name)
        self.results.append(entry)
        self.modified = True
        self.results_changed.emit()
        return entry

    # -- undo ------------------------------------------------------------
    def undo(self) -> str | None:
        return self.undo_stack.undo()

    def redo(self) -> str | None:
        return self.undo_stack.redo()
