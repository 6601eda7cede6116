"""The record of an edit by instruction: what was asked, with which model and scales, made from which picture.

The edited picture (or clip) is the ``parentOf`` ingredient, the mask an ``inputTo`` one; the record says
``c2pa.edited`` with ``compositeWithTrainedAlgorithmicMedia`` (generated pixels in an existing picture), and
holds everything :mod:`.edit_regenerate` needs to make the same pixels again.
"""

from __future__ import annotations

from typing import Any

from studio.api import APP_NAME, COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA, Ingredient, Record, __version__

from .edit_plan import EditPlan
from .records import library_versions
from .schedulers import describe, sampler_label

EDIT_IMAGE = "edit_image"
EDIT_CLIP = "edit_clip"


def input_ingredients(source: Any, mask: Any, role: str = "Edited picture") -> list[Ingredient]:
    """The picture or clip edited (``parentOf``, with its own record) and the mask (``inputTo``)."""
    ingredients = []
    sources = getattr(source, "sources", None)
    if sources:  # a clip read from a file names the file itself
        first = sources[0]
        ingredients.append(Ingredient(title=source.name, relationship="parentOf", role=role, path=first.path,
                                      sha256=first.sha256, record=source.record))
    else:
        ingredients.append(Ingredient(title=str(source.name), relationship="parentOf", role=role,
                                      record=getattr(source, "record", None)))
    if mask is not None:
        ingredients.append(Ingredient(title=str(mask.name), relationship="inputTo", role="Mask",
                                      record=getattr(mask, "record", None)))
    return ingredients


def parameters_text(plan: EditPlan, model: dict[str, Any], sampler: str) -> str:
    """AUTOMATIC1111's ``parameters`` text for an InstructPix2Pix edit (its "Image CFG scale" included)."""
    width, height = plan.size
    pairs = [("Steps", str(plan.steps)), ("Sampler", sampler), ("CFG scale", f"{plan.guidance:g}"),
             ("Image CFG scale", f"{plan.image_guidance:g}"), ("Seed", str(plan.seed)), ("Size", f"{width}x{height}"),
             ("Model hash", str(model.get("sha256", ""))[:10]), ("Model", str(model.get("name", ""))),
             ("Version", f"{APP_NAME} {__version__}")]
    return plan.instruction + "\n" + ", ".join(f"{k}: {v}" for k, v in pairs)


def edit_record(action: str, plan: EditPlan, loaded: Any, pipe: Any, model_ref: str, ingredients: list[Ingredient],
                device: dict[str, str], extra: dict[str, Any] | None = None) -> Record:
    """The record of one edited picture or clip (``action``: :data:`EDIT_IMAGE` or :data:`EDIT_CLIP`)."""
    info = plan.info
    width, height = plan.size
    work_w, work_h = plan.work
    params = {"instruction": plan.instruction, "image_guidance": plan.image_guidance, "guidance": plan.guidance,
              "steps": plan.steps, "seed": plan.seed, "model": model_ref or info.name,
              "mask": plan.mask is not None}
    model = {"name": info.name, "sha256": loaded.sha256, "family": loaded.family.id, "type": info.label,
             "format": info.format}
    resize = (f"{width}x{height} → {work_w}x{work_h} for the model (multiples of 8) → back to {width}x{height}"
              if plan.resized else f"none: {width}x{height} is a multiple of 8")
    details = {
        "width": width, "height": height, "model_size": f"{work_w}x{work_h}", "resize": resize,
        "mask": "blended: pixels outside the mask are the input's, unchanged" if plan.mask is not None else None,
        "sampler": sampler_label(pipe.scheduler), "scheduler": describe(pipe.scheduler),
        "noise": "one cpu generator (seed)", "libraries": library_versions(), **device, **(extra or {}),
    }
    record = Record(action=action, title=plan.instruction[:48], c2pa_action="c2pa.edited", params=params,
                    digital_source=COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA, model=model, extra=details,
                    ingredients=list(ingredients))
    record.parameters_text = parameters_text(plan, model, details["sampler"])
    return record
