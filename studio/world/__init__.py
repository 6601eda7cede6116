"""The shapes world: a tiny procedural visual world Studio can render, caption and analyse.

Pure numpy / OpenCV / Pillow; importing it never imports torch or Qt.
"""

from studio.world.edit import edit_pair
from studio.world.render import Box, boxes, render, render_motion
from studio.world.scene import Scene, Shape, caption, sample_scene, sample_shape, short_caption
from studio.world.vocab import BACKGROUNDS, COLOURS, KINDS, POSITIONS, SIZES

__all__ = [
    "BACKGROUNDS",
    "Box",
    "COLOURS",
    "KINDS",
    "POSITIONS",
    "SIZES",
    "Scene",
    "Shape",
    "boxes",
    "caption",
    "edit_pair",
    "render",
    "render_motion",
    "sample_scene",
    "sample_shape",
    "short_caption",
]
