"""The record of what produced a layer, a clip or an exported file.

A :class:`Record` is plain, JSON-serialisable data. It is saved in the project,
written into PNG metadata on export, and read by the signing step to describe
the file in C2PA's vocabulary (actions, digital source type, ingredients).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from studio import APP_NAME, __version__

Relationship = Literal["parentOf", "componentOf", "inputTo"]
TRAINED_ALGORITHMIC_MEDIA = "trainedAlgorithmicMedia"
# IPTC: generated media combined with or edited into something else (a composite, an edit of a generated picture)
COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA = "compositeWithTrainedAlgorithmicMedia"
GENERATIVE_AI_SOURCES = frozenset({TRAINED_ALGORITHMIC_MEDIA, COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA})
CONTENT_RELATIONSHIPS = ("parentOf", "componentOf")  # ingredients whose pixels become part of the result
DIGITAL_SOURCE_PREFIX = "http://cv.iptc.org/newscodes/digitalsourcetype/"
ANALYSIS_ACTION_PREFIX = "inspect."  # the records of analysis results (a forensic heatmap) are in this namespace


def now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


@dataclass
class Ingredient:
    """An image that went into a result: an init image, a mask, a control image."""

    title: str
    relationship: Relationship = "inputTo"
    role: str = ""
    path: str | None = None
    sha256: str | None = None
    record: Record | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["record"] = self.record.to_dict() if self.record else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Ingredient:
        record = data.get("record")
        return cls(
            title=str(data.get("title", "")),
            relationship=data.get("relationship", "inputTo"),
            role=str(data.get("role", "")),
            path=data.get("path"),
            sha256=data.get("sha256"),
            record=Record.from_dict(record) if isinstance(record, dict) else None,
        )


@dataclass
class Record:
    """What produced something, and with what settings.

    ``c2pa_action`` is the C2PA action (``c2pa.created`` for generation,
    ``c2pa.opened`` for an opened file, ``c2pa.edited`` / ``c2pa.filtered`` /
    ``c2pa.resized`` / ``c2pa.cropped`` for edits). ``digital_source`` is the
    IPTC digital source type name (``trainedAlgorithmicMedia`` for generated
    media, ``compositeWithTrainedAlgorithmicMedia`` for an edit or composite
    of it: see :func:`source_from_ingredients`) or None.
    ``model`` names the model and its SHA-256 where one was used. ``extra``
    holds everything else needed to reproduce the result (seed, scheduler
    configuration, library versions, device, dtype).
    """

    action: str
    title: str = ""
    c2pa_action: str = "c2pa.edited"
    plugin: str = ""
    plugin_version: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    digital_source: str | None = None
    model: dict[str, Any] | None = None
    ingredients: list[Ingredient] = field(default_factory=list)
    created: str = field(default_factory=now_iso)
    software: str = f"{APP_NAME} {__version__}"
    extra: dict[str, Any] = field(default_factory=dict)
    parameters_text: str | None = None

    @property
    def is_generated(self) -> bool:
        return self.digital_source == TRAINED_ALGORITHMIC_MEDIA

    @property
    def uses_ai(self) -> bool:
        """Whether generative AI made this, or any picture it is made of (its parent and components, recursively).

        Inputs that only guided an action (``inputTo``: a mask, a control image) do not count: their
        pixels are not part of the result. A generator's own ``digital_source`` says it for its output.
        """
        return _uses_ai(self, 0)

    @property
    def is_analysis(self) -> bool:
        """Whether this is the record of an analysis (a forensic heatmap) or of something made from one.

        Analysis results describe a file; they are not content, and never reach an export or its
        manifest. A record says so with ``extra["analysis"]`` or an action in the ``inspect.`` namespace;
        an edit of an analysis result (its parent) is one too.
        """
        record: Record | None = self
        for _ in range(64):
            if record is None:
                return False
            if record.extra.get("analysis") is True or record.action.startswith(ANALYSIS_ACTION_PREFIX):
                return True
            parent = next((i for i in record.ingredients if i.relationship == "parentOf"), None)
            record = parent.record if parent is not None else None
        return False

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ingredients"] = [i.to_dict() for i in self.ingredients]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Record:
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in data.items() if k in known}
        values["ingredients"] = [
            Ingredient.from_dict(i) for i in data.get("ingredients", []) if isinstance(i, dict)
        ]
        return cls(**values)

    @classmethod
    def opened(cls, path: str, sha256: str | None = None) -> Record:
        """The record of a file opened from disk: its parent is that file."""
        from pathlib import Path

        name = Path(path).name
        return cls(
            action="open",
            title=name,
            c2pa_action="c2pa.opened",
            ingredients=[Ingredient(title=name, relationship="parentOf", path=str(path), sha256=sha256)],
        )


def _uses_ai(record: Record, depth: int) -> bool:
    if record.digital_source in GENERATIVE_AI_SOURCES:
        return True
    if depth >= 64:
        return False
    return any(i.record is not None and _uses_ai(i.record, depth + 1)
               for i in record.ingredients if i.relationship in CONTENT_RELATIONSHIPS)


def source_from_ingredients(ingredients: list[Ingredient]) -> str | None:
    """The digital source type a result made of ``ingredients`` must declare, or None.

    A composite or an edit of generated media (any parent or component that generative AI made,
    at any depth) is ``compositeWithTrainedAlgorithmicMedia``; otherwise nothing is implied.
    """
    for ingredient in ingredients:
        if ingredient.relationship in CONTENT_RELATIONSHIPS and ingredient.record is not None \
                and ingredient.record.uses_ai:
            return COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA
    return None


def json_safe(value: Any) -> Any:
    """Parameters as JSON: arrays and layers become short descriptions."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    name = getattr(value, "name", None)
    if isinstance(name, str):
        return name
    shape = getattr(value, "shape", None)
    if shape is not None:
        return f"<image {'x'.join(str(s) for s in shape)}>"
    return str(value)
