"""A fixture plugin whose actions take and return every kind of media (frames, clips, boxes, scores)."""

import numpy as np

from studio.actions import Action, ActionResult, OutputBoxes, OutputClip, OutputImage, OutputScores, Param, Progress
from studio.document import Box
from studio.hookspecs import hookimpl


def red_box(pixels, frame=None, track_id=None):
    """The box around the strongly red pixels (the moving bar of the test videos), or None."""
    rgb = pixels[..., :3].astype(int)
    mask = (rgb[..., 0] > 150) & (rgb[..., 1] < 100) & (rgb[..., 2] < 100)
    ys, xs = np.nonzero(mask)
    if not len(xs):
        return None
    return Box(float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1), "red bar",
               round(float(mask.mean()), 4), frame=frame, track_id=track_id)


def run_track(ctx, params):
    clip = params["clip"]
    boxes, scores = [], []
    for n, pixels in enumerate(clip.frames()):
        ctx.check_cancelled()
        box = red_box(pixels, frame=n, track_id=1)
        if box is not None:
            boxes.append(box)
        scores.append(float(pixels[..., 0].mean()) / 255.0)
        yield Progress(n + 1, clip.count)
    return ActionResult(boxes=[OutputBoxes(boxes, clip.size, name="red bar", frame_count=clip.count, fps=clip.fps,
                                           start=clip.start)],
                        scores=[OutputScores(scores, name="redness", fps=clip.fps, start=clip.start)])


def run_animate(ctx, params):
    layer = params["image"]
    frames = [np.roll(layer.rgb(), 4 * n, axis=1) for n in range(params["frames"])]
    yield Progress(1, 1)
    return ActionResult(clips=[OutputClip(frames, fps=params["fps"], name=f"{layer.name} (moving)")])


def run_pick(ctx, params):
    layer = params["frame"]
    yield Progress(1, 1)
    box = red_box(layer.pixels)
    found = [OutputBoxes([box] if box else [], layer.size, name="red bar")]
    return ActionResult(images=[OutputImage(layer.pixels, name="picked")], boxes=found)


def run_compare(ctx, params):
    first, second = params["first"], params["second"]
    yield Progress(1, 1)
    return ActionResult(messages=[f"{first.count} and {second.count} frames"])


@hookimpl
def studio_actions():
    return [
        Action(id="mediafix.track", title="Track the red bar", run=run_track, c2pa_action="c2pa.edited",
               params=(Param("clip", "clip", required=True),)),
        Action(id="mediafix.animate", title="Animate", run=run_animate, c2pa_action="c2pa.edited",
               params=(Param("image", "image", required=True), Param("frames", "int", 8, minimum=1, maximum=64),
                       Param("fps", "float", 8.0, minimum=1, maximum=60))),
        Action(id="mediafix.pick", title="Pick a frame", run=run_pick, c2pa_action="c2pa.edited",
               params=(Param("frame", "frame", required=True),)),
        Action(id="mediafix.compare", title="Compare two clips", run=run_compare, c2pa_action="c2pa.edited",
               params=(Param("first", "clip", required=True), Param("second", "clip", required=True))),
    ]
