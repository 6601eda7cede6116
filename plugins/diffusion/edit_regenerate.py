"""Make an edit again from its record: the same instruction, scales, steps, seed and model on the same picture.

The edited picture and the mask are found through the record's ingredients (the files they were opened
from, if they are still there unchanged) unless they are given; the model by its recorded SHA-256.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

from studio.api import BadInputError, Ingredient, JobState, Layer, PluginContext, Record, StudioError, sha256_file

from .edit_records import EDIT_IMAGE
from .library import ModelLibrary

PARAMS = ("instruction", "image_guidance", "guidance", "steps", "seed")


def recorded_file(ingredient: Ingredient | None, depth: int = 0) -> Path | None:
    """The file an ingredient was read from, if it is still there with the recorded SHA-256."""
    if ingredient is None or depth > 3:
        return None
    if ingredient.path:
        path = Path(ingredient.path)
        if path.is_file() and (not ingredient.sha256 or sha256_file(path) == ingredient.sha256):
            return path
        return None
    record = ingredient.record
    if record is not None and record.c2pa_action == "c2pa.opened" and record.ingredients:
        return recorded_file(record.ingredients[0], depth + 1)
    return None


def _ingredient(record: Record, relationship: str) -> Ingredient | None:
    return next((i for i in record.ingredients if i.relationship == relationship), None)


def _recorded_input(record: Record, given: Layer | None, relationship: str, what: str, option: str) -> Layer | None:
    from studio.api import load_image, load_mask

    if given is not None:
        return given
    ingredient = _ingredient(record, relationship)
    path = recorded_file(ingredient)
    if path is None:
        title = ingredient.title if ingredient is not None else what
        raise BadInputError(f"This edit was made from the {what} {title}, which is not where it was recorded (or "
                            f"has changed since); give it with {option}.")
    if relationship == "inputTo":
        return Layer(load_mask(path), name=path.name, kind="mask", record=Record.opened(str(path), sha256_file(path)))
    loaded = load_image(path)
    return Layer(loaded.pixels, name=path.name, record=Record.opened(str(path), loaded.sha256))


def regenerate_edit(ctx: PluginContext, record: Record, image: Layer | None = None, mask: Layer | None = None,
                    model: str | None = None) -> tuple[np.ndarray, Record]:
    """Run the recorded edit again; (pixels, new record)."""
    from .regenerate import _find_model

    if record.action != EDIT_IMAGE:
        raise BadInputError(f"This record is of '{record.action}', not of an edit by instruction.")
    params: dict[str, object] = {k: record.params[k] for k in PARAMS if k in record.params}
    params["image"] = _recorded_input(record, image, "parentOf", "picture", "--init IMAGE")
    params["mask"] = _recorded_input(record, mask, "inputTo", "mask", "--mask MASK") \
        if record.params.get("mask") else None
    wanted = (record.model or {}).get("sha256")
    params["model"] = model or _find_model(ModelLibrary(ctx.settings), str(record.params.get("model", "")), record,
                                           wanted, "edit")
    job = ctx.run_action(EDIT_IMAGE, params)
    if job.state == JobState.FAILED:
        raise StudioError(job.error)
    if job.state != JobState.FINISHED or job.result is None:
        raise StudioError("The regeneration was cancelled.")
    result = job.result.images[0]
    assert result.record is not None
    if wanted and (result.record.model or {}).get("sha256") != wanted:
        raise StudioError(f"The model '{params['model']}' is not the one recorded (its SHA-256 differs).",
                          "Give the recorded model with --model.")
    return result.pixels, result.record
