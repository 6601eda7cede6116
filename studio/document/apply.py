"""Putting what an action (or a report) produced into a document: the one place that maps results.

The GUI applies a finished job's result to the open document; the CLI applies it to a scratch document
and exports what was added. Each kind of output has one home:

- an image → an image layer (a mask → a mask layer), and an entry in the results history;
- a clip → a frames clip on a video track (appended after what is there);
- boxes on a still → a vector box layer on the canvas; boxes per frame → a box clip on an overlay track;
- scores → a score clip on a score track.

Everything one result adds is one undoable step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from studio.document.clips import BoxClip, Clip, FramesClip, ScoreClip
from studio.document.layers import BoxLayer, Layer

if TYPE_CHECKING:
    from studio.document.document import Document
    from studio.report import ReportSection
    from studio.results import ActionResult


@dataclass
class Applied:
    """What a result added: layers on the canvas and clips on the timeline."""

    layers: list[Layer] = field(default_factory=list)
    clips: list[Clip] = field(default_factory=list)


def apply_result(doc: Document, result: ActionResult, title: str = "Add results") -> Applied:
    """Add every output of ``result`` to ``doc`` as one undoable step; return what was added."""
    applied = Applied()
    with doc.undo_stack.macro(title):
        for image in [*result.images, *result.masks]:
            layer = Layer(image.pixels, name=image.name, kind=image.kind, record=image.record)
            doc.add_layer(layer)
            applied.layers.append(layer)
            if image.record is not None:
                doc.add_result(layer.pixels, image.record, image.name)
        for out in result.clips:
            clip = FramesClip(name=out.name, start=-1, frames=list(out.frames), frame_rate=out.fps, record=out.record)
            if doc.timeline.duration == 0:  # the first clip sets the timeline's rate
                doc.set_fps(out.fps)
            doc.add_clip(clip)
            applied.clips.append(clip)
            if out.record is not None:
                doc.add_result(out.frames[0], out.record, out.name)
        for found in result.boxes:
            if found.per_frame:
                count = found.frame_count or max((b.frame or 0 for b in found.boxes), default=0) + 1
                box_clip = BoxClip(name=found.name, start=found.start, boxes=list(found.boxes), frame_count=count,
                                   frame_rate=found.fps, record=found.record,
                                   canvas_size=(int(found.size[0]), int(found.size[1])))
                doc.add_clip(box_clip)
                applied.clips.append(box_clip)
            else:
                layer = BoxLayer(name=found.name, boxes=list(found.boxes), canvas_size=found.size,
                                 record=found.record)
                doc.add_layer(layer)
                applied.layers.append(layer)
        for track in result.scores:
            score = ScoreClip(name=track.name, start=track.start, scores=[float(v) for v in track.values],
                              frame_rate=track.fps, record=track.record)
            doc.add_clip(score)
            applied.clips.append(score)
    return applied


def result_of_report(sections: Sequence[ReportSection], start: int = 0) -> ActionResult:
    """The media a report's sections carry (score tracks, boxes), placed from timeline frame ``start``."""
    from studio.results import ActionResult

    result = ActionResult()
    for section in sections:
        for track in section.scores:
            track.start = start
            result.scores.append(track)
        for found in section.boxes:
            if found.per_frame:
                found.start = start
            result.boxes.append(found)
    return result
