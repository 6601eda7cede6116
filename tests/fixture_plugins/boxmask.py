"""A fixture plugin that provides ``grounding.mask``: the mask of a picture's boxes, as filled rectangles."""

import numpy as np

from studio.actions import Action, ActionResult, OutputImage, Param, Progress
from studio.hookspecs import hookimpl

seen = []  # what each run received: (picture size, boxes), for the tests to check


def run_mask(ctx, params):
    image, found = params["image"], params["boxes"]
    seen.append((image.size, list(found.boxes)))
    width, height = image.size
    mask = np.zeros((height, width), np.uint8)
    sx, sy = width / found.size[0], height / found.size[1]  # boxes refer to found.size
    for box in found.boxes:
        ctx.check_cancelled()
        x0, y0 = max(0, int(round(box.x0 * sx))), max(0, int(round(box.y0 * sy)))
        x1, y1 = min(width, int(round(box.x1 * sx))), min(height, int(round(box.y1 * sy)))
        mask[y0:y1, x0:x1] = 255
    yield Progress(1, 1)
    return ActionResult(masks=[OutputImage(mask, name=f"Mask of {found.name}")])


@hookimpl
def studio_actions():
    return [Action(id="grounding.mask", title="Mask from boxes", run=run_mask, c2pa_action="c2pa.edited",
                   params=(Param("image", "image", required=True), Param("boxes", "boxes", required=True)))]
