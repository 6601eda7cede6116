"""Before/after image pairs for simple edit instructions ("make the circle blue")."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from studio.world.render import render
from studio.world.scene import Scene, cell_center, sample_scene
from studio.world.vocab import COLOURS, KINDS, POSITIONS, SIZES

EDIT_ATTRIBUTES: tuple[str, ...] = ("colour", "kind", "size", "position")


@dataclass(frozen=True)
class EditExample:
    """An edit: the scenes before and after, the changed attribute and the instruction."""

    before: Scene
    after: Scene
    attribute: str
    instruction: str


def sample_edit(rng: np.random.Generator, size: int = 64, attribute: str | None = None) -> EditExample:
    """Sample a single-shape scene and change exactly one attribute of its shape."""
    attribute = attribute or EDIT_ATTRIBUTES[int(rng.integers(len(EDIT_ATTRIBUTES)))]
    before = sample_scene(rng, n_shapes=1, size=size, jitter=False)
    shape = before.shapes[0]
    if attribute == "colour":
        options = [c for c in COLOURS if c not in (shape.colour, before.background)]
        new = options[int(rng.integers(len(options)))]
        after_shape = replace(shape, colour=new)
        text = f"make the {shape.kind} {new}"
    elif attribute == "kind":
        options = [k for k in KINDS if k != shape.kind]
        new = options[int(rng.integers(len(options)))]
        after_shape = replace(shape, kind=new)
        text = f"turn the {shape.kind} into a {new}"
    elif attribute == "size":
        new = next(s for s in SIZES if s != shape.size)
        after_shape = replace(shape, size=new)
        text = f"make the {shape.kind} {new}"
    elif attribute == "position":
        options = [p for p in POSITIONS if p != shape.position]
        new = options[int(rng.integers(len(options)))]
        after_shape = replace(shape, position=new)
        text = f"move the {shape.kind} to the {new}"
    else:
        raise ValueError(f"unknown edit attribute {attribute!r}")
    # Re-centre in the (possibly new) cell so the edited shape stays in frame.
    centre = cell_center(after_shape.kind, after_shape.size, after_shape.position, 1.0, size)
    after_shape = replace(after_shape, center=centre)
    before_shape = replace(shape, center=cell_center(shape.kind, shape.size, shape.position, 1.0, size))
    before = before.with_shape(0, before_shape)
    return EditExample(before, before.with_shape(0, after_shape), attribute, text)


def edit_pair(rng: np.random.Generator, size: int = 64) -> tuple[np.ndarray, np.ndarray, str]:
    """``(before_image, after_image, instruction)`` for a random one-attribute edit."""
    example = sample_edit(rng, size)
    return render(example.before), render(example.after), example.instruction


__all__ = ["EDIT_ATTRIBUTES", "EditExample", "edit_pair", "sample_edit"]
