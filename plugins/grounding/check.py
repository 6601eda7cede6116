"""Did the picture draw what the prompt asked? Each shape the prompt names is looked for.

The prompt is split into the things it names ("a large red circle in the top left and a small blue
star" → two phrases, and the background if one is said); each phrase is grounded with the built-in
model; the score is the share of phrases found (and of the background, when asked). Phrases the
model cannot read (words outside the shapes world) are reported as not checkable rather than failed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import query as Q
from .builtin import Scene
from .types import Found


@dataclass
class Check:
    score: float  # 0..1: the share of checkable things found
    found: list[Found]
    items: list[dict] = field(default_factory=list)  # {"phrase", "found": bool | None, "box"}

    def summary(self) -> str:
        checked = [i for i in self.items if i["found"] is not None]
        if not checked:
            return "Nothing in the prompt could be checked by the built-in model (it knows shapes-world words)."
        hits = sum(1 for i in checked if i["found"])
        missing = [i["phrase"] for i in checked if not i["found"]]
        text = f"{hits} of {len(checked)} asked things drawn (score {self.score:.2f})"
        return text + (f"; not found: {', '.join(missing)}" if missing else "")


def phrases(prompt: str) -> tuple[list[str], str | None]:
    """The shape phrases of a prompt and the background it asks for (or None)."""
    text = prompt.lower().strip()
    background = None
    m = re.search(r"\b(?:on|over|against)\s+(?:an?\s+)?(\w+)\s+background\b", text)
    if m:
        background = Q.BACKGROUND_WORDS.get(m.group(1))
        text = (text[: m.start()] + text[m.end():]).strip()
    parts = [p.strip(" ,.") for p in re.split(r",|\band\b|\bwith\b", text)]
    return [p for p in parts if Q.words_of(p)], background


def check(scene: Scene, prompt: str, threshold: float = 0.3) -> Check:
    items: list[dict] = []
    found: list[Found] = []
    shape_phrases, background = phrases(prompt)
    for phrase in shape_phrases:
        parsed = Q.parse(phrase)
        if not (parsed.kind or parsed.colour):
            items.append({"phrase": phrase, "found": None, "box": None})
            continue
        text = phrase if Q.words_of(phrase)[0] in ("the", "a", "an") else f"the {phrase}"
        hits, _ = Q.resolve(scene, text, threshold, max_boxes=1)
        items.append({"phrase": phrase, "found": bool(hits), "box": list(hits[0].box) if hits else None})
        found += [Found(h.box, phrase, h.score, h.mask, h.attributes) for h in hits]
    if background:
        items.append({"phrase": f"a {background} background", "found": scene.background == background, "box": None})
    checked = [i for i in items if i["found"] is not None]
    score = sum(1 for i in checked if i["found"]) / len(checked) if checked else 0.0
    return Check(score, found, items)
