"""What the window offers for boxes beyond editing them: COCO export, and a mask made from boxes.

Both are right-click entries: *Export boxes as COCO JSON…* on a box layer (Layers panel) or a box clip
(timeline), and *Make mask from box(es)* on boxes of the canvas or a box layer. The mask is made by the
plugin action :data:`MASK_ACTION` (``grounding.mask``), found in the application's action registry
(``app.actions``, as the Actions panels are) and run as an ordinary job — it shows in the Jobs panel,
can be cancelled, and its mask arrives through :func:`studio.document.apply.apply_result` like any
result. When no plugin provides the action, the entry is not offered.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog

from studio.actions import Action, Param
from studio.coco import write_coco
from studio.document import Box, BoxClip, BoxLayer, Layer, VideoClip
from studio.errors import StudioError, window_text
from studio.results import OutputBoxes

if TYPE_CHECKING:
    from studio.gui.mainwindow import MainWindow
    from studio.jobs import Job

MASK_ACTION = "grounding.mask"
IMAGE_KINDS = ("image", "frame")
MenuItems = list[tuple[str, Callable[[], object]]]
BoxOwner = BoxLayer | BoxClip


def _param(action: Action, name: str, kinds: Sequence[str]) -> Param | None:
    """The action's parameter ``name`` if it is of one of ``kinds``, else its first parameter of those kinds."""
    named = next((p for p in action.params if p.name == name and p.kind in kinds), None)
    return named or next((p for p in action.params if p.kind in kinds), None)


class BoxTools(QObject):
    """The window's box commands. ``ask_save_path(title, suggested)`` is replaced in tests."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.ask_save_path: Callable[[str, str], str | None] = self._ask_save_path

    # -- what is offered ---------------------------------------------------------------
    def mask_action(self) -> Action | None:
        """The registered ``grounding.mask`` action, if a plugin provides one that takes a picture and boxes."""
        action = self.window.app.actions.get(MASK_ACTION)
        if action is None or _param(action, "image", IMAGE_KINDS) is None or _param(action, "boxes", ("boxes",)) \
                is None:
            return None
        return action

    def menu_items(self, owner: BoxOwner, boxes: list[Box] | None = None, coco: bool = True) -> MenuItems:
        """The right-click entries for a box layer or clip (``boxes``: the ones chosen on the canvas)."""
        items: MenuItems = []
        if coco:
            items.append(("Export boxes as COCO JSON…", lambda: self.export_coco(owner)))
        if self.mask_action() is not None and (isinstance(owner, BoxLayer) or boxes):
            count = len(boxes) if boxes is not None else len(owner.boxes)
            items.append(("Make mask from box" if count == 1 else "Make mask from boxes",
                          lambda: self.make_mask(owner, boxes)))
        return items

    # -- COCO export -------------------------------------------------------------------------
    def export_coco(self, owner: BoxOwner, path: str | Path | None = None) -> Path | None:
        """Write the boxes of a box layer or clip as COCO JSON (asking where when ``path`` is None).

        Returns the file written, or None when the user cancelled or the write failed (notified).
        """
        doc = self.window.doc
        notify = self.window.notifier.notify
        source = self._source_name(owner)
        size = self._size_of(owner)
        if size is None:
            notify("warning", f"'{owner.name}' cannot be exported: the size of its picture is not known.")
            return None
        if path is None:
            folder = doc.path.parent if doc.path is not None else Path.home()
            chosen = self.ask_save_path("Export boxes as COCO JSON", str(folder / f"{Path(source).stem}-boxes.json"))
            if not chosen:
                return None
            path = chosen
        path = Path(path)
        if path.suffix.lower() != ".json":
            path = path.with_name(path.name + ".json")
        try:
            if isinstance(owner, BoxClip):
                write_coco(path, owner.boxes, size, source, frame_count=owner.frame_count,
                           fps=owner.fps or doc.timeline.fps)
            else:
                write_coco(path, owner.boxes, size, source)
        except OSError as exc:
            notify("error", f"Could not write {path.name}: {exc.strerror or exc}.")
            return None
        count = len(owner.boxes)
        where = f" over {owner.frame_count} frames" if isinstance(owner, BoxClip) else ""
        message = f"Exported {count} box{'es' if count != 1 else ''}{where} of '{owner.name}' as COCO JSON to {path}."
        notify("info", message)
        self.window.statusBar().showMessage(message, 10000)
        return path

    def _size_of(self, owner: BoxOwner) -> tuple[int, int] | None:
        """The (width, height) the boxes refer to: their own, else the picture's under them."""
        size = owner.canvas_size
        if size[0] > 0 and size[1] > 0:
            return size
        doc = self.window.doc
        if isinstance(owner, BoxLayer):
            picture = self._picture_under(owner)
            return picture.size if picture is not None else doc.size if doc.size and min(doc.size) > 0 else None
        timeline = doc.timeline
        clip = timeline.video_clip_at(owner.start)
        if isinstance(clip, VideoClip) and clip.source is not None:
            return clip.source.size  # from the file's header, nothing decoded
        pixels = clip.frame_at(owner.start, timeline.fps) if clip is not None else None
        return None if pixels is None else (int(pixels.shape[1]), int(pixels.shape[0]))

    def _source_name(self, owner: BoxOwner) -> str:
        """What the boxes were found in: the picture under a box layer, the video under a box clip."""
        if isinstance(owner, BoxLayer):
            picture = self._picture_under(owner)
            return picture.name if picture is not None else owner.name
        clip = self.window.doc.timeline.video_clip_at(owner.start)
        return clip.name if clip is not None else owner.name

    def _picture_under(self, layer: BoxLayer) -> Layer | None:
        """The picture the boxes of ``layer`` lie on: the nearest picture layer below it (a visible one first)."""
        layers = self.window.doc.layers
        below = layers[:layers.index(layer)] if layer in layers else layers
        pictures = [l for l in reversed(below) if l.kind in ("image", "overlay") and not l.is_analysis]
        return next((l for l in pictures if l.visible), pictures[0] if pictures else None)

    # -- a mask from boxes ------------------------------------------------------------------------
    def make_mask(self, owner: BoxOwner, boxes: list[Box] | None = None) -> Job | None:
        """Run ``grounding.mask`` on the picture under ``owner`` and its boxes (``boxes``: only these).

        A box layer's picture is the picture layer below it (else the timeline's frame at the playhead);
        a box clip's is the timeline's frame at the playhead, with the boxes of that frame. Returns the
        job, or None when there is no such action or nothing to run it on (notified).
        """
        action = self.mask_action()
        if action is None:
            return None
        image_param = _param(action, "image", IMAGE_KINDS)
        boxes_param = _param(action, "boxes", ("boxes",))
        assert image_param is not None and boxes_param is not None
        doc = self.window.doc
        notify = self.window.notifier.notify
        try:
            if isinstance(owner, BoxLayer):
                picture = self._picture_under(owner)
                image = picture if picture is not None else doc.frame_layer()
                chosen = list(owner.boxes if boxes is None else boxes)
            else:
                timeline = doc.timeline
                frame = timeline.playhead if owner.covers(timeline.playhead, timeline.fps) else owner.start
                image = doc.frame_layer(frame)
                chosen = list(owner.boxes_at(frame, timeline.fps) if boxes is None else boxes)
        except StudioError as exc:
            notify("warning", f"No mask was made: {window_text(exc)}")
            return None
        if not chosen:
            notify("warning", f"No mask was made: '{owner.name}' has no boxes here.")
            return None
        size = owner.canvas_size if min(owner.canvas_size) > 0 else image.size
        found = OutputBoxes([replace(b, frame=None) for b in chosen], size, name=owner.name, record=owner.record)
        values: dict[str, Any] = {image_param.name: image, boxes_param.name: found}
        return self.window.run_action(action, values)

    def _ask_save_path(self, title: str, suggested: str) -> str | None:
        path, _ = QFileDialog.getSaveFileName(self.window, title, suggested, "COCO JSON (*.json)")
        return path or None
