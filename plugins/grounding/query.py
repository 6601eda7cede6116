"""Queries and questions in plain words, resolved over the shapes the built-in model found.

A query names what to find with any of: a kind ("circle", "ball", "stars"), a colour ("red"), a
size ("small"; "bigger"/"the largest" compare the candidates), a place ("on the left", "top right",
"in the middle"; "the left one", "leftmost" pick among the candidates), the background ("on a
white background"), and whether one or all are meant ("the red circle" → one box; "circles",
"all the red shapes" → every match). A place or size said of one candidate must hold for it; said
of several, it picks the one furthest that way — so "the left lion" is one lion, not every lion.
Words the model does not know are reported, never silently read as something else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from studio.api import BadInputError

from .builtin import Scene, Shape
from .types import MAX_QUERY_WORDS, Answer, Found

KIND_WORDS = {
    "circle": "circle", "circles": "circle", "ball": "circle", "balls": "circle", "disc": "circle",
    "discs": "circle", "disk": "circle", "disks": "circle", "dot": "circle", "dots": "circle", "round": "circle",
    "ring": "circle", "oval": "circle", "ovals": "circle",
    "square": "square", "squares": "square", "rectangle": "square", "rectangles": "square", "box": "square",
    "boxes": "square", "block": "square", "blocks": "square", "cube": "square", "cubes": "square",
    "triangle": "triangle", "triangles": "triangle", "triangular": "triangle", "pyramid": "triangle",
    "star": "star", "stars": "star", "starry": "star",
}
PLURAL_KIND_WORDS = {w for w in KIND_WORDS if w.endswith("s") and w not in ("cross",)} | {"boxes"}
COLOUR_WORDS = {
    "red": "red", "reddish": "red", "crimson": "red", "scarlet": "red",
    "green": "green", "greenish": "green", "lime": "green",
    "blue": "blue", "bluish": "blue", "navy": "blue",
    "yellow": "yellow", "yellowish": "yellow", "gold": "yellow", "golden": "yellow",
    "purple": "purple", "violet": "purple", "magenta": "purple", "lilac": "purple",
    "orange": "orange",
    "white": "white",
}
BACKGROUND_WORDS = {"black": "black", "dark": "black", "gray": "gray", "grey": "gray", "white": "white",
                    "light": "white"}
SIZE_ABSOLUTE = {"small": "small", "little": "small", "tiny": "small", "large": "large", "big": "large",
                 "huge": "large"}
SIZE_RELATIVE = {"smaller": "small", "smallest": "small", "larger": "large", "largest": "large",
                 "bigger": "large", "biggest": "large"}
GENERIC_NOUNS = {"shape", "shapes", "object", "objects", "thing", "things", "one", "ones", "figure", "figures",
                 "item", "items", "form", "forms", "polygon", "polygons", "element", "elements"}
PLURAL_MARKERS = {"all", "every", "each", "both", "any", "shapes", "objects", "things", "ones", "figures",
                  "items", "forms", "polygons", "elements"}
SINGULAR_MARKERS = {"the", "a", "an", "one", "single", "that", "this"}
#: direction word -> (axis, sign): x grows right, y grows down
DIRECTIONS = {
    "left": ("x", -1), "leftmost": ("x", -1), "right": ("x", 1), "rightmost": ("x", 1),
    "top": ("y", -1), "upper": ("y", -1), "topmost": ("y", -1), "highest": ("y", -1), "above": ("y", -1),
    "bottom": ("y", 1), "lower": ("y", 1), "bottommost": ("y", 1), "lowest": ("y", 1), "below": ("y", 1),
}
ORDINALS = {"first": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4, "last": -1}
CENTRE_WORDS = {"centre", "center", "middle", "central", "centered", "centred"}
FILLER = {"the", "a", "an", "of", "on", "in", "at", "to", "is", "are", "and", "with", "one", "ones", "that",
          "this", "there", "which", "side", "corner", "part", "picture", "image", "photo", "frame", "please",
          "find", "show", "me", "most", "coloured", "colored", "shaped", "all", "every", "each", "both", "any",
          "single", "background", "near", "by", "its", "it", "s", "some", "only", "scene", "what", "where", "from",
          "counting", "count", "other"}


@dataclass
class Parsed:
    """What a query asks for."""

    text: str
    kind: str | None = None
    colour: str | None = None
    size: str | None = None  # absolute size word
    size_rel: str | None = None  # comparative / superlative: pick among candidates
    directions: list[tuple[str, int]] = field(default_factory=list)
    centre: bool = False
    background: str | None = None
    plural: bool = False
    singular: bool = False
    unknown: list[str] = field(default_factory=list)
    ordinal: int | None = None  # "the second from the left": 1; "the last one": -1

    @property
    def names_anything(self) -> bool:
        return bool(self.kind or self.colour or self.size or self.size_rel or self.directions or self.centre
                    or self.generic or self.ordinal is not None)

    generic: bool = False


def words_of(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower().replace("-", " "))


def split_queries(text: str) -> list[str]:
    """``"a red circle. faces"`` → ``["a red circle", "faces"]``; refuses empty or overlong queries."""
    parts = [p.strip() for p in re.split(r"[.;\n]", text or "")]
    parts = [p for p in parts if words_of(p)]
    if not parts:
        raise BadInputError("The query has no words: say what to find, e.g. \"the red circle\" or \"faces\".")
    for p in parts:
        n = len(p.split())
        if n > MAX_QUERY_WORDS:
            raise BadInputError(f"A query of {n} words is too long (at most {MAX_QUERY_WORDS}): name the object "
                                "in a few words, e.g. \"the small blue star on the left\".")
    return parts


def parse(text: str) -> Parsed:
    w = words_of(text)
    q = Parsed(text=text.strip())
    for i, word in enumerate(w):
        nxt = w[i + 1] if i + 1 < len(w) else ""
        nxt2 = w[i + 2] if i + 2 < len(w) else ""
        said_of_background = nxt == "background" or (nxt in ("coloured", "colored") and nxt2 == "background")
        if word in BACKGROUND_WORDS and said_of_background:
            q.background = BACKGROUND_WORDS[word]
            continue
        if word in KIND_WORDS:
            q.kind = KIND_WORDS[word]
            if word in PLURAL_KIND_WORDS:
                q.plural = True
        elif word in COLOUR_WORDS:
            q.colour = COLOUR_WORDS[word]
        elif word in SIZE_ABSOLUTE:
            q.size = SIZE_ABSOLUTE[word]
        elif word in SIZE_RELATIVE:
            q.size_rel = SIZE_RELATIVE[word]
        elif word in DIRECTIONS:
            if DIRECTIONS[word] not in q.directions:
                q.directions.append(DIRECTIONS[word])
        elif word in CENTRE_WORDS:
            q.centre = True
        elif word in ORDINALS:
            q.ordinal = ORDINALS[word]
            q.singular = True
        elif word in GENERIC_NOUNS:
            q.generic = True
            if word in PLURAL_MARKERS:
                q.plural = True
        elif word in FILLER:
            pass
        else:
            q.unknown.append(word)
        if word in PLURAL_MARKERS:
            q.plural = True
        if word in SINGULAR_MARKERS:
            q.singular = True
    if q.plural and w and w[0] in ("the", "a", "an") and q.kind is None and "all" not in w:
        # "the shapes on the left" stays plural; "the one on the left" is singular
        pass
    if "one" in w and not any(x in w for x in ("ones", "all", "every")) and not q.plural:
        q.singular = True
    return q


def _match(shape: Shape, q: Parsed) -> float:
    """How well one shape fits the query's own words (kind, colour, absolute size): a score in 0..1."""
    score = shape.heat
    if q.kind:
        score *= shape.kind_p.get(q.kind, 0.0)
    if q.colour:
        score *= shape.colour_p.get(q.colour, 0.0)
    if q.size and shape.size != q.size:
        score *= 0.05
    return score


def _side_ok(shape: Shape, q: Parsed) -> bool:
    """A place said of a single candidate must hold for it (which half, or the middle)."""
    cx, cy = shape.centre
    for axis, sign in q.directions:
        v = cx if axis == "x" else cy
        if (sign < 0 and v >= 0.5) or (sign > 0 and v <= 0.5):
            return False
    lo, hi = 1 / 3 - 0.05, 2 / 3 + 0.05
    if q.centre and not q.directions and not (lo <= cx <= hi and lo <= cy <= hi):
        return False
    return True


def _pick(cands: list[Shape], q: Parsed) -> Shape:
    """Among several candidates, the one furthest in the asked direction, or the biggest/smallest
    (of those on the asked side, when both are said: "the biggest shape on the left")."""
    def area(s: Shape) -> float:
        return (s.box[2] - s.box[0]) * (s.box[3] - s.box[1])

    if q.ordinal is not None:  # "the second from the left": order along the direction (reading order by default)
        directions = q.directions or [("x", -1)]

        def along(s: Shape) -> float:
            return sum(sign * (s.centre[0] if axis == "x" else s.centre[1]) for axis, sign in directions)

        ordered = sorted(cands, key=along, reverse=True)
        index = q.ordinal if q.ordinal >= 0 else len(ordered) + q.ordinal
        return ordered[min(max(index, 0), len(ordered) - 1)]
    if q.size_rel:
        pool = [s for s in cands if _side_ok(s, q)] or cands
        return max(pool, key=area) if q.size_rel == "large" else min(pool, key=area)

    def where(s: Shape) -> float:
        value = 0.0
        for axis, sign in q.directions:
            value += sign * (s.centre[0] if axis == "x" else s.centre[1])
        if q.centre and not q.directions:
            value -= abs(s.centre[0] - 0.5) + abs(s.centre[1] - 0.5)
        return value

    return max(cands, key=where)


def resolve(scene: Scene, query: str, threshold: float = 0.3, max_boxes: int = 10) -> tuple[list[Found], Parsed]:
    """The shapes ``query`` refers to, as :class:`Found` boxes (best first)."""
    q = parse(query)
    if q.unknown and not q.names_anything:
        return [], q
    if q.background and q.background != scene.background:
        return [], q
    scored = sorted(((_match(s, q), s) for s in scene.shapes), key=lambda t: -t[0])
    cands = [s for score, s in scored if score >= threshold]
    scores = {id(s): score for score, s in scored}
    if not cands:
        return [], q
    choose_one = (q.singular or not q.plural) and not q.plural
    positional = bool(q.directions or q.centre or q.size_rel or q.ordinal is not None)
    if q.ordinal is not None and q.ordinal >= len(cands):  # "the third circle" with two circles
        return [], q
    if positional and len(cands) == 1:
        if not _side_ok(cands[0], q) and (q.directions or q.centre) and q.ordinal is None:
            return [], q
        chosen = cands
    elif positional and choose_one:
        chosen = [_pick(cands, q)]
    elif positional:  # "the shapes on the left": every candidate on that side
        chosen = [s for s in cands if _side_ok(s, q)]
    elif choose_one and (q.singular or len(words_of(query)) > 1 and words_of(query)[0] in ("the", "a", "an")):
        chosen = cands[:1]
    else:
        chosen = cands
    chosen = chosen[:max_boxes]
    found = [Found(s.box, q.text, round(float(scores[id(s)]), 4), mask=s.mask, attributes=s.attributes())
             for s in chosen]
    return found, q


# ---------------------------------------------------------------------------------------------- questions

QUESTION_ATTRIBUTE = [
    (re.compile(r"\bwhat (colou?r|shade)\b|\bwhich colou?r\b|\bcolou?r of\b"), "colour"),
    (re.compile(r"\bhow many\b|\bnumber of\b|\bcount\b"), "count"),
    (re.compile(r"\bwhat (size|kind of size)\b|\bhow (big|large|small)\b|\bsmall or (large|big)\b|"
                r"\b(large|big) or small\b|\bsize of\b"), "size"),
    (re.compile(r"\bwhere\b|\bwhat (position|place|part|side|corner)\b|\bwhich (side|corner|part)\b"), "position"),
    (re.compile(r"\bwhat (shape|kind|type|sort)\b|\bwhich (shape|kind|type)\b|\bshape of\b|\bwhat is\b|"
                r"\bwhat's\b"), "kind"),
    (re.compile(r"^(is|are|does|do) there\b|^(is|are) (a|an|any|the)\b"), "exists"),
]


def question_kind(question: str) -> str:
    text = " ".join(words_of(question))
    for pattern, kind in QUESTION_ATTRIBUTE:
        if pattern.search(text):
            return kind
    raise BadInputError(f"Not a question the built-in model answers: {question!r}.",
                        hint="Ask about colour, shape, size, position, how many or whether there is one, "
                             "e.g. \"what colour is the star?\"")


def _referent_text(question: str, attribute: str) -> str:
    words = words_of(question)
    drop = {"what", "which", "where", "how", "many", "is", "are", "does", "do", "there", "colour", "color", "shade",
            "size", "position", "place", "kind", "type", "sort", "of", "big", "count", "number", "s", "it", "have",
            "has", "located", "positioned", "found", "in", "picture", "image", "or", "corner", "side", "part"}
    if attribute == "kind":
        drop |= {"shape"} if any(w in KIND_WORDS or w in COLOUR_WORDS for w in words) else set()
    if attribute == "size":
        drop |= {"small", "large", "little", "tiny", "huge"}
    if attribute == "exists":
        drop -= {"of"}
    kept = [w for w in words if w not in drop]
    return " ".join(kept) if kept else "shape"


def answer(scene: Scene, question: str, threshold: float = 0.3) -> Answer:
    """Answer a colour / shape / size / position / count / existence question about ``scene``."""
    attribute = question_kind(question)
    words = words_of(question)
    if attribute == "colour" and "background" in words:
        return Answer(scene.background, [])
    ref = _referent_text(question, attribute)
    if attribute in ("count",):
        q = ref if any(w in PLURAL_MARKERS or w in PLURAL_KIND_WORDS for w in words_of(ref)) else f"all {ref}"
        found, _ = resolve(scene, q, threshold, max_boxes=100)
        return Answer(str(len(found)), found)
    if attribute == "exists":
        found, _ = resolve(scene, ref, threshold)
        return Answer("yes" if found else "no", found)
    found, parsed = resolve(scene, ref if not words_of(ref) or words_of(ref)[0] in ("the", "a", "an") else
                            f"the {ref}", threshold)
    if not found:
        return Answer(f"there is no {' '.join(w for w in words_of(ref) if w != 'the') or 'shape'}", [])
    top = found[0]
    attrs = top.attributes
    if attribute == "colour":
        return Answer(str(attrs["colour"]), [top])
    if attribute == "size":
        return Answer(str(attrs["size"]), [top])
    if attribute == "position":
        return Answer(str(attrs["position"]), [top])
    # kind: "what shape is the red one?" -> "circle"; "what is on the left?" -> "red circle"
    if parsed.kind is None and not any(w in ("shape", "kind", "type") for w in words):
        return Answer(f"{attrs['colour']} {attrs['kind']}", [top])
    if parsed.kind is not None and parsed.colour is None:
        return Answer(str(attrs["colour"]), [top])
    return Answer(str(attrs["kind"]), [top])
