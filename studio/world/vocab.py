"""The closed vocabulary of the shapes world: kinds, colours, sizes, positions.

Everything here is plain data so the renderer, the captioner, the analyzer and the
training code agree on a single source of truth.
"""

from __future__ import annotations

KINDS: tuple[str, ...] = ("circle", "square", "triangle", "star")

#: Shape colours (RGB, uint8). Chosen to be far apart from each other and from every background.
COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 30, 30),
    "green": (30, 170, 50),
    "blue": (30, 70, 230),
    "yellow": (245, 215, 30),
    "purple": (140, 50, 190),
    "orange": (245, 130, 20),
    "white": (245, 245, 245),
}

#: Background colours (RGB). A shape never has the colour its background is named after.
BACKGROUNDS: dict[str, tuple[int, int, int]] = {
    "black": (12, 12, 12),
    "gray": (110, 110, 110),
    "white": (232, 232, 232),
}

SIZES: tuple[str, ...] = ("small", "large")

#: Shape "radius" as a fraction of the image side for each size word.
SIZE_RADIUS: dict[str, float] = {"small": 0.11, "large": 0.205}

#: Position word -> (column, row) cell of the 3x3 grid (0 = left/top, 2 = right/bottom).
POSITIONS: dict[str, tuple[int, int]] = {
    "top left": (0, 0),
    "top": (1, 0),
    "top right": (2, 0),
    "left": (0, 1),
    "centre": (1, 1),
    "right": (2, 1),
    "bottom left": (0, 2),
    "bottom": (1, 2),
    "bottom right": (2, 2),
}

#: Reverse lookup: grid cell -> position word.
CELL_TO_POSITION: dict[tuple[int, int], str] = {cell: name for name, cell in POSITIONS.items()}

#: How each position is said in a caption.
POSITION_PHRASES: dict[str, str] = {
    "top left": "in the top left",
    "top": "at the top",
    "top right": "in the top right",
    "left": "on the left",
    "centre": "in the centre",
    "right": "on the right",
    "bottom left": "in the bottom left",
    "bottom": "at the bottom",
    "bottom right": "in the bottom right",
}


def caption_words() -> list[str]:
    """Every word that can appear in a caption, an edit instruction or a motion prompt."""
    words: set[str] = set(KINDS) | set(COLOURS) | set(BACKGROUNDS) | set(SIZES)
    for phrase in POSITION_PHRASES.values():
        words.update(phrase.split())
    words.update(
        "a an and on background the make turn into move to it from moving moves shape shapes"
        " one two three bigger smaller".split()
    )
    return sorted(words)
