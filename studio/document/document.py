"""The document: the canvas's layers, the timeline and the history of results.

Edits go through methods that push undoable commands; views listen to the
events. A document knows nothing of Qt.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
else:
    from studio.lazy import numpy as np  # imported on first use: the window appears first

from studio.document.clips import Clip, FramesClip, StillClip
from studio.document.events import Event
from studio.document.history import Command, UndoStack
from studio.document.layers import BoxLayer, Layer, composite, export_layers, new_id
from studio.document.provenance import Ingredient, Record, source_from_ingredients
from studio.document.timeline import Keys, Timeline, Track
from studio.errors import BadInputError

LAYER_PROPERTIES = ("name", "visible", "opacity", "boxes")


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
        self.notes: list[str] = []  # what the user should know about this document (set when a project opens)
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
        content = [layer for layer in self.layers if not layer.is_analysis and layer.kind != "boxes"]
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
            if key not in LAYER_PROPERTIES or (key == "boxes" and not isinstance(layer, BoxLayer)):
                raise ValueError(f"unknown layer property {key!r}")
        if "boxes" in changes:
            changes["boxes"] = list(changes["boxes"])
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
    def edit_timeline(self, text: str, change: Callable[[Timeline], Any]) -> Any:
        """Apply ``change(timeline)`` as one undoable edit; returns what ``change`` returned.

        The timeline is snapshot before and after (clip fields and track lists, sharing pictures), so
        every edit — add, delete, move, trim, split, reorder, keys, boxes — undoes the same way.
        """
        timeline = self.timeline
        before = timeline.snapshot()
        try:
            value = change(timeline)
        except Exception:
            timeline.restore(before)
            raise
        after = timeline.snapshot()
        first = [True]

        def redo() -> None:
            if first[0]:  # already applied by change()
                first[0] = False
                timeline.changed.emit()
                return
            timeline.restore(after)

        self.undo_stack.push(Command(text, redo, lambda: timeline.restore(before)))
        return value

    def add_clip(self, clip: Clip, track: Track | None = None) -> Track:
        """Put ``clip`` on the timeline (a negative ``start`` appends it to its track)."""
        placed: Track = self.edit_timeline(f"Add clip '{clip.name}'", lambda t: t.add_clip(clip, track))
        return placed

    def remove_clip(self, clip: Clip) -> None:
        """Take ``clip`` off the timeline (undo puts it back on its track, in place)."""
        if self.timeline.track_of(clip) is None:
            return
        self.edit_timeline(f"Delete clip '{clip.name}'", lambda t: t.remove_clip(clip))

    def move_clip(self, clip: Clip, start: int, track: Track | None = None) -> None:
        """Move ``clip`` to timeline frame ``start`` (≥ 0), on ``track`` if given (same kind)."""
        if start < 0:
            raise BadInputError("A clip cannot start before frame 0.")

        def change(t: Timeline) -> None:
            current = self._track_of(clip)
            target = t.track_for(clip, track) if track is not None else current
            clip.start = int(start)
            if target is not current:
                current.clips.remove(clip)
                target.clips.append(clip)

        self.edit_timeline(f"Move clip '{clip.name}'", change)

    def trim_clip(self, clip: Clip, in_point: int | None = None, out_point: int | None = None) -> None:
        """Set the source frames the clip uses: ``in_point`` .. ``out_point - 1``.

        Moving the in point keeps the rest of the clip where it was on the timeline. A still clip's
        out point may go past its duration (it holds longer).
        """
        self._track_of(clip)
        new_in = clip.in_point if in_point is None else int(in_point)
        new_out = clip.out if out_point is None else int(out_point)
        if isinstance(clip, StillClip) and new_out > clip.duration:
            pass
        elif new_out > clip.source_length:
            raise BadInputError(f"'{clip.name}' has {clip.source_length} frames; it cannot end at frame {new_out}.")
        if new_in < 0 or new_out <= new_in:
            raise BadInputError(f"A clip needs at least one frame (in {new_in}, out {new_out}).")

        def change(t: Timeline) -> None:
            shown = clip.timeline_frame(new_in, t.fps) if new_in >= clip.in_point else None
            if isinstance(clip, StillClip) and new_out > clip.duration:
                clip.duration = new_out
            if shown is None:  # in point moved earlier: the clip grows to the left
                shift = int(round((clip.in_point - new_in) / clip._ratio(t.fps)))
                clip.start = max(0, clip.start - shift)
            else:
                clip.start = shown
            clip.in_point, clip.out_point = new_in, new_out

        self.edit_timeline(f"Trim clip '{clip.name}'", change)

    def split_clip(self, clip: Clip, frame: int | None = None) -> tuple[Clip, Clip]:
        """Cut ``clip`` in two at timeline ``frame`` (default: the playhead); returns (left, right)."""
        track = self._track_of(clip)
        at = self.timeline.playhead if frame is None else int(frame)
        fps = self.timeline.fps
        if not (clip.start < at < clip.end(fps)):
            raise BadInputError(f"Frame {at} is not inside '{clip.name}' (frames {clip.start}–{clip.end(fps) - 1}); "
                                "move the playhead into the clip to split it.")
        index = clip.source_index(at, fps)
        assert index is not None
        if index <= clip.in_point:
            raise BadInputError(f"'{clip.name}' cannot be split at frame {at}: both halves need a frame.")
        right = clip.duplicate()

        def change(t: Timeline) -> None:
            right.in_point, right.out_point, right.start = index, clip.out, at
            clip.out_point = index
            track.clips.insert(track.clips.index(clip) + 1, right)

        self.edit_timeline(f"Split clip '{clip.name}'", change)
        return clip, right

    def duplicate_clip(self, clip: Clip) -> Clip:
        """A copy of ``clip`` (sharing its source) placed right after it on the same track."""
        track = self._track_of(clip)
        twin = clip.duplicate()
        twin.name = f"{clip.name} (copy)"

        def change(t: Timeline) -> None:
            twin.start = track.end(t.fps)
            track.clips.append(twin)

        self.edit_timeline(f"Duplicate clip '{clip.name}'", change)
        return twin

    def set_clip(self, clip: Clip, **changes: Any) -> None:
        """Change a clip's editable fields (``name``, a box clip's ``boxes``, a still's ``duration``...)."""
        self._track_of(clip)
        allowed = set(clip.state())
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"cannot change {', '.join(sorted(unknown))} of a {clip.kind} clip")
        what = ", ".join(sorted(changes))
        self.edit_timeline(f"Change {what} of '{clip.name}'", lambda t: clip.restore(changes))

    def move_track(self, track: Track, index: int) -> None:
        """Put ``track`` at ``index`` in the bottom-first order (higher video tracks cover lower ones)."""
        if track not in self.timeline.tracks:
            raise ValueError("the track is not on this timeline")
        index = max(0, min(int(index), len(self.timeline.tracks) - 1))

        def change(t: Timeline) -> None:
            t.tracks.remove(track)
            t.tracks.insert(index, track)

        self.edit_timeline(f"Move track '{track.name}'", change)

    def set_fps(self, fps: float) -> None:
        """Set the timeline's frame rate (clips with their own rate keep their timing in seconds)."""
        fps = float(fps)
        if not (0 < fps <= 1000):
            raise BadInputError(f"A frame rate must be between 0 and 1000 frames a second, not {fps:g}.")
        if fps != self.timeline.fps:
            self.edit_timeline(f"Set the frame rate to {fps:g}", lambda t: setattr(t, "fps", fps))

    def add_track(self, kind: str, name: str | None = None) -> Track:
        track = Track(kind=kind, name=name or kind.capitalize())  # type: ignore[arg-type]
        self.edit_timeline(f"Add track '{track.name}'", lambda t: t.tracks.append(track))
        return track

    def set_key(self, name: str, frame: int, value: Any, interpolation: str | None = None) -> None:
        """Key the parameter ``name`` to ``value`` from timeline ``frame`` on (prompt travel)."""
        def change(t: Timeline) -> None:
            keys = t.keys.setdefault(name, Keys())
            if interpolation is not None:
                keys.interpolation = interpolation  # type: ignore[assignment]
            keys.set(int(frame), value)

        self.edit_timeline(f"Key '{name}' at frame {frame}", change)

    def remove_key(self, name: str, frame: int) -> None:
        def change(t: Timeline) -> None:
            keys = t.keys.get(name)
            if keys is not None:
                keys.remove(int(frame))
                if not keys.points:
                    del t.keys[name]

        self.edit_timeline(f"Remove key '{name}' at frame {frame}", change)

    def _track_of(self, clip: Clip) -> Track:
        track = self.timeline.track_of(clip)
        if track is None:
            raise BadInputError(f"'{clip.name}' is not on the timeline.")
        return track

    def frame_layer(self, frame: int | None = None) -> Layer:
        """The timeline's picture at ``frame`` (default: the playhead) as a layer, not yet on the canvas."""
        frame = self.timeline.playhead if frame is None else int(frame)
        clip = self.timeline.video_clip_at(frame)
        pixels = None if clip is None else clip.frame_at(frame, self.timeline.fps)
        if clip is None or pixels is None:
            raise BadInputError(f"There is no picture at frame {frame} of the timeline.")
        index = clip.source_index(frame, self.timeline.fps)
        record = Record(action="timeline.frame", title=f"{clip.name}, frame {index}", c2pa_action="c2pa.placed",
                        params={"clip": clip.name, "frame": index},
                        ingredients=[Ingredient(title=clip.name, relationship="parentOf", record=clip.record)])
        layer = Layer(pixels, name=f"{clip.name} · frame {index}", record=record)
        layer.source = {"clip": clip.id, "frame": index, "timeline_frame": frame}
        return layer

    def frame_to_layer(self, frame: int | None = None) -> Layer:
        """Put the timeline's picture at ``frame`` (default: the playhead) on the canvas as a new layer."""
        return self.add_layer(self.frame_layer(frame))

    def layer_to_frame(self, layer: Layer, frame: int | None = None) -> Clip:
        """Put a canvas layer back on the timeline at ``frame`` (default: the playhead).

        A generated-frames clip there gets the picture in place of its frame, and its record a step that
        says so (``c2pa.edited``, with the layer's own record — an img2img or inpaint — as a component), so
        the clip's exports describe the edit; anything else (a video file is never rewritten) gets a
        one-frame still on a video track above it.
        """
        frame = self.timeline.playhead if frame is None else int(frame)
        pixels = layer.rgb()
        clip = self.timeline.video_clip_at(frame)
        if isinstance(clip, FramesClip):
            index = clip.source_index(frame, self.timeline.fps)
            assert index is not None
            frames = list(clip.frames)
            frames[index] = pixels
            changes: dict[str, Any] = {"frames": frames}
            if layer.record is not None and layer.record.action != "timeline.frame":
                changes["record"] = Record(
                    action="timeline.replace_frame", title=f"{clip.name}, frame {index} replaced",
                    c2pa_action="c2pa.edited", params={"frame": index, "layer": layer.name},
                    ingredients=[Ingredient(title=clip.name, relationship="parentOf", record=clip.record),
                                 Ingredient(title=layer.name, relationship="componentOf", record=layer.record)])
            self.set_clip(clip, **changes)
            return clip
        still = StillClip(name=layer.name, start=frame, image=pixels, duration=1, record=layer.record)

        def place(t: Timeline) -> None:
            below = t.track_of(clip) if clip is not None else None
            above = None
            if below is not None:
                upper = [tr for tr in t.tracks[t.tracks.index(below) + 1:] if tr.kind == "video"]
                above = next((tr for tr in upper if not any(c.start < frame + 1 and c.end(t.fps) > frame
                                                            for c in tr.clips)), None)
            if above is None:
                above = Track(kind="video", name=f"Video {sum(tr.kind == 'video' for tr in t.tracks) + 1}")
                t.tracks.append(above)
            above.clips.append(still)

        self.edit_timeline(f"Put '{layer.name}' on the timeline at frame {frame}", place)
        return still

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

