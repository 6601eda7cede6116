"""What an edit by instruction will do, checked before anything is loaded or written.

The instruction, the model (an InstructPix2Pix model, not a text-to-image one), the mask (the picture's
size, not all black) and the sizes: the model works at a multiple of 8 pixels a side (at most
``work_side`` on the longer side), and the result is resized back so it has exactly the input's size.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
else:
    from studio.api import lazy_numpy as np

from studio.api import BadInputError, Param

from .choices import add_model_folder, edit_model_choices
from .families import FAMILIES
from .library import ModelInfo, ModelLibrary

MAX_SEED = 2**31 - 1
MAX_STEPS = 150
WORK_SIDE = 768  # the longest side the model works at by default (InstructPix2Pix was trained at 256-512)
MIN_SIDE = 16

PARAMS = (
    Param("instruction", "text", "", help='what to change, e.g. "make it blue"', required=True, label="Instruction"),
    Param("model", "str", "", help="an InstructPix2Pix model: a diffusers folder or a .safetensors file, or its name "
          "in the model folders (empty: the default edit model)", metavar="PATH_OR_NAME",
          choices_from=edit_model_choices, add_folder=add_model_folder),
    Param("image_guidance", "float", 1.5, help="how closely to keep the original picture (1: loosely; 1.5 is "
          "usual; raise it when the edit changes too much)", minimum=1.0, maximum=10.0, step=0.1, widget="slider",
          soft_range=(1.0, 3.0), label="Image guidance"),
    Param("guidance", "float", 7.5, help="how strongly to follow the instruction (text guidance)", minimum=1.0,
          maximum=30.0, step=0.5, widget="slider", soft_range=(1.0, 15.0), label="Text guidance"),
    Param("steps", "int", 20, help="denoising steps", minimum=1, maximum=MAX_STEPS),
    Param("seed", "int", -1, help="random seed (-1: a new one each time)", minimum=-1, maximum=MAX_SEED,
          minimum_label="Random", random_button=True),
    Param("mask", "mask", help="edit only where the mask is white (a grayscale or alpha picture of the same size); "
          "pixels outside it stay exactly as they were", metavar="MASK"),
)


@dataclass
class EditPlan:
    """One edit's concrete settings, all checked."""

    instruction: str
    info: ModelInfo
    image_guidance: float
    guidance: float
    steps: int
    seed: int
    size: tuple[int, int]  # the input's (width, height): the result's
    work: tuple[int, int]  # what the model works at (multiples of 8)
    mask: np.ndarray | None  # H×W uint8 at the input's size (255: edit), or None: everywhere

    @property
    def resized(self) -> bool:
        return self.work != self.size


def work_size(width: int, height: int, multiple: int = 8, longest: int = WORK_SIDE) -> tuple[int, int]:
    """The size the model works at: the picture's, scaled down to ``longest`` if larger, each side rounded to
    the nearest multiple of ``multiple`` (at least one multiple)."""
    scale = min(1.0, longest / max(width, height))

    def side(value: int) -> int:
        return max(multiple, int(round(value * scale / multiple)) * multiple)

    return side(width), side(height)


def mask_pixels(mask: Any, size: tuple[int, int], what: str = "picture") -> np.ndarray | None:
    """The mask as H×W uint8 (white = edit), or None; BadInputError when it cannot limit the edit."""
    if mask is None:
        return None
    pixels = mask.pixels if mask.kind == "mask" else mask.rgb().max(axis=2)
    height, width = pixels.shape[:2]
    if (width, height) != tuple(size):
        raise BadInputError(f"The mask {mask.name} is {width}×{height} but the {what} is {size[0]}×{size[1]}: give a "
                            f"mask of the {what}'s size (white where to edit, black where to keep).")
    if not pixels.any():
        raise BadInputError(f"The mask {mask.name} is all black, so nothing would be edited: paint white where the "
                            f"{what} should change.")
    return np.ascontiguousarray(pixels, dtype=np.uint8)


def check_instruction(params: dict[str, Any]) -> str:
    instruction = " ".join(str(params.get("instruction") or "").split())
    if not instruction:
        raise BadInputError('Write an instruction first: what to change, e.g. "make it blue".')
    return instruction


def resolve_model(settings: dict[str, Any], ref: str) -> ModelInfo:
    """The edit model ``ref`` names (a text-to-image model is refused with what to use instead)."""
    return ModelLibrary(settings).resolve(ref, "edit")


def plan_edit(settings: dict[str, Any], params: dict[str, Any], size: tuple[int, int], what: str = "picture"
              ) -> EditPlan:
    """Check everything and fill in the defaults; reads headers only, loads and writes nothing."""
    instruction = check_instruction(params)
    width, height = size
    if min(width, height) < MIN_SIDE:
        raise BadInputError(f"The {what} is {width}×{height}; an edit needs at least {MIN_SIDE} pixels a side.")
    mask = mask_pixels(params.get("mask"), size, what)
    info = resolve_model(settings, str(params.get("model") or ""))
    family = FAMILIES[info.family or ""]
    longest = int(settings.get("edit_work_side", WORK_SIDE) or WORK_SIDE)
    seed = int(params["seed"])
    if seed < 0:
        seed = secrets.randbelow(MAX_SEED + 1)
    return EditPlan(instruction, info, float(params["image_guidance"]), float(params["guidance"]),
                    int(params["steps"]), seed, (width, height),
                    work_size(width, height, family.size_multiple, longest), mask)
