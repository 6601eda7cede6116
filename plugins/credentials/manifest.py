"""From a :class:`studio.document.provenance.Record` to a C2PA manifest definition.

The record of an export is a chain: each edit names its parent (``parentOf``)
and other inputs (``componentOf``, ``inputTo``). Edits done in memory since the
last file are folded into this manifest's action list, in order; the chain
stops at a file on disk (opened, or exported earlier), which becomes the parent
ingredient and carries its own Content Credentials when it has them. A
generated image with no parent starts with ``c2pa.created`` and the IPTC
digital source type ``trainedAlgorithmicMedia``. A step made from generated
media (a parent or component whose record, or whose file's credentials, say
generative AI made it) declares ``compositeWithTrainedAlgorithmicMedia`` on its
action: a composite of generated layers, a resize of a generated picture.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.api import (
    APP_NAME,
    COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA,
    CONTENT_RELATIONSHIPS,
    DIGITAL_SOURCE_PREFIX,
    GENERATIVE_AI_SOURCES,
    TRAINED_ALGORITHMIC_MEDIA,
    Ingredient,
    Record,
    __version__,
)

MAX_CHAIN = 64
MAX_TEXT = 2000
MIME_BY_SUFFIX = {
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp",
    ".tif": "image/tiff", ".tiff": "image/tiff", ".gif": "image/gif", ".heic": "image/heic",
    ".heif": "image/heif", ".avif": "image/avif", ".mp4": "video/mp4", ".m4v": "video/x-m4v",
    ".mov": "video/quicktime", ".dng": "image/dng", ".svg": "image/svg+xml",
}
WATERMARK_ALG = "org.studio.watermark.1"  # the default for a step that names none (see soft_binding)
COMPOSITE = COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA


@dataclass
class IngredientPlan:
    """One ingredient: from a file (with its credentials) or described only."""

    id: str
    title: str
    relationship: str
    file: Path | None = None
    mime: str | None = None
    description: str = ""

    def definition(self) -> dict[str, Any]:
        data: dict[str, Any] = {"title": self.title, "relationship": self.relationship, "instance_id": self.id}
        if self.description:
            data["description"] = self.description
        if self.mime and self.file is None:
            data["format"] = self.mime
        return data


@dataclass
class ManifestPlan:
    definition: dict[str, Any]
    ingredients: list[IngredientPlan] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def with_described(self, ingredient_id: str, reason: str) -> ManifestPlan:
        """The same plan with one file ingredient described instead of read (its file was refused)."""
        for plan in self.ingredients:
            if plan.id == ingredient_id and plan.file is not None:
                plan.description = (plan.description + " " + reason).strip()
                plan.mime = plan.mime or mime_for(plan.file)
                plan.file = None
                self.definition.setdefault("ingredients", []).append(plan.definition())
        self.notes.append(reason)
        return self


def source_type_uri(name: str) -> str:
    return name if name.startswith("http") else DIGITAL_SOURCE_PREFIX + name


def mime_for(path: Path) -> str | None:
    mime = MIME_BY_SUFFIX.get(path.suffix.lower())
    if mime:
        return mime
    try:
        from PIL import Image

        with Image.open(path) as im:
            return Image.MIME.get(im.format or "")
    except Exception:  # noqa: BLE001 - not an image PIL knows
        return None


_HASHES: dict[tuple[str, int, int], str] = {}


def _sha256(path: Path) -> str:
    """SHA-256 of a file, remembered while the file is unchanged (a plan checks each input twice)."""
    st = path.stat()
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    if key not in _HASHES:
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        if len(_HASHES) > 256:
            _HASHES.clear()
        _HASHES[key] = digest.hexdigest()
    return _HASHES[key]


def resolve_file(ingredient: Ingredient, notes: list[str], depth: int = 0) -> Path | None:
    """The file on disk this ingredient is, if it still exists unchanged."""
    if ingredient.path:
        path = Path(ingredient.path)
        if not path.is_file():
            notes.append(f"'{ingredient.title}' is no longer at {path}; it is described without its file.")
            return None
        if ingredient.sha256 and _sha256(path) != ingredient.sha256:
            notes.append(f"'{path.name}' changed since it was opened; it is described without its file.")
            return None
        return path
    record = ingredient.record
    if record is not None and record.c2pa_action == "c2pa.opened" and depth < 2:
        parent = parent_of(record)
        if parent is not None:
            return resolve_file(parent, notes, depth + 1)
    return None


def parent_of(record: Record) -> Ingredient | None:
    return next((i for i in record.ingredients if i.relationship == "parentOf"), None)


def _json_value(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return value if len(value) <= MAX_TEXT else value[:MAX_TEXT] + "…"
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    if isinstance(value, dict) and depth < 6:
        return {str(k): _json_value(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)) and depth < 6:
        return [_json_value(v, depth + 1) for v in list(value)[:200]]
    return str(value)[:MAX_TEXT]


def software_agent(record: Record | None = None) -> dict[str, str]:
    text = (record.software if record is not None else "") or f"{APP_NAME} {__version__}"
    name, _, version = text.rpartition(" ")
    if not name:
        name, version = text, ""
    agent = {"name": name}
    if version:
        agent["version"] = version
    return agent


def _describe_record(record: Record) -> str:
    if record.c2pa_action == "c2pa.opened":
        return record.title or "a file"
    what = record.title or record.action
    text = f"{what} — {record.action}" if record.title and record.action else what
    if record.model and record.model.get("name"):
        text += f", with the model {record.model['name']}"
    return text


def _ai_note(record: Record) -> str:
    """What an ingredient described without its file says about generative AI (its record's own word)."""
    if not record.uses_ai:
        return ""
    if record.digital_source == TRAINED_ALGORITHMIC_MEDIA:
        return f" It was made by a generative AI model ({TRAINED_ALGORITHMIC_MEDIA})."
    return f" It was made from content a generative AI model made ({COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA})."


class _Builder:
    def __init__(self) -> None:
        self.actions: list[dict[str, Any]] = []
        self.ingredients: list[IngredientPlan] = []
        self.notes: list[str] = []

    def ingredient(self, ingredient: Ingredient) -> IngredientPlan:
        file = resolve_file(ingredient, self.notes)
        description = ""
        if file is None and ingredient.record is not None:
            description = f"Made in Studio: {_describe_record(ingredient.record)}.{_ai_note(ingredient.record)}"
        plan = IngredientPlan(id=f"xmp:iid:{uuid.uuid4()}", title=ingredient.title or (file.name if file else "input"),
                              relationship=ingredient.relationship, file=file,
                              mime=mime_for(file) if file is not None else None, description=description)
        self.ingredients.append(plan)
        return plan

    def action(self, name: str, record: Record | None, ingredient_ids: list[str],
               source_type: str | None = None, when: str | None = None, extra: dict[str, Any] | None = None) -> None:
        action: dict[str, Any] = {"action": name, "softwareAgent": software_agent(record)}
        if source_type:
            action["digitalSourceType"] = source_type_uri(source_type)
        if when:
            action["when"] = when
        parameters: dict[str, Any] = {}
        if ingredient_ids:
            parameters["ingredientIds"] = ingredient_ids
        if record is not None:
            action["description"] = _describe_record(record)
            parameters["org.studio.action"] = record.action
            if record.plugin:
                parameters["org.studio.plugin"] = f"{record.plugin} {record.plugin_version}".strip()
            if record.params:
                parameters["org.studio.settings"] = _json_value(record.params)
            if record.model:
                parameters["org.studio.model"] = _json_value(record.model)
        if extra:
            parameters.update(extra)
        if parameters:
            action["parameters"] = parameters
        self.actions.append(action)


def _place(b: _Builder, step: Record, components: list[str]) -> None:
    """Components must be named by a 'placed' action (C2PA checks the relationship)."""
    if components:
        b.action("c2pa.placed", None, components, when=step.created)
        titles = [p.title for p in b.ingredients if p.id in components]
        b.actions[-1]["description"] = ", ".join(titles)


def history(record: Record) -> tuple[list[Record], Ingredient | None]:
    """The records since the last file, oldest first, and the parent ingredient that ends the chain."""
    chain = [record]
    current = record
    parent = parent_of(current)
    notes: list[str] = []
    while parent is not None and current.c2pa_action != "c2pa.opened" and len(chain) < MAX_CHAIN:
        if parent.record is None or resolve_file(parent, notes) is not None:
            break
        current = parent.record
        chain.append(current)
        parent = parent_of(current)
    return list(reversed(chain)), parent


FileDeclaresAI = Callable[[Path], bool]


def build_plan(record: Record, performed: list[dict[str, Any]], title: str,
               file_declares_ai: FileDeclaresAI | None = None) -> ManifestPlan:
    """The manifest definition (and ingredient files) that describe ``record`` and the export steps.

    ``file_declares_ai(path)`` tells whether an ingredient file's own credentials declare generative
    AI (see :func:`.verify.declares_ai`); a step made from such a file declares it too.
    """
    steps, parent = history(record)
    b = _Builder()
    parent_plan = b.ingredient(parent) if parent is not None else None
    ai_steps: set[int] = set()

    def made_from_ai(step: Record) -> bool:
        """Whether a parent or component of ``step`` is generated media (by its record or its file)."""
        for ingredient in step.ingredients:
            if ingredient.relationship not in CONTENT_RELATIONSHIPS:
                continue
            if ingredient.record is not None and (id(ingredient.record) in ai_steps or ingredient.record.uses_ai):
                return True
            if file_declares_ai is not None:
                file = resolve_file(ingredient, [])
                if file is not None and file_declares_ai(file):
                    return True
        return False

    for n, step in enumerate(steps):
        step_source = step.digital_source
        if step_source not in GENERATIVE_AI_SOURCES and made_from_ai(step):
            step_source = COMPOSITE
        if step_source in GENERATIVE_AI_SOURCES:
            ai_steps.add(id(step))
        others = [b.ingredient(i) for i in step.ingredients if i.relationship != "parentOf"]
        components = [p.id for p in others if p.relationship == "componentOf"]
        ids = [p.id for p in others if p.relationship != "componentOf"]  # inputs guide the step's own action
        if n == 0:
            if parent_plan is not None:
                if step.c2pa_action == "c2pa.opened":
                    b.action("c2pa.opened", step, [parent_plan.id], when=step.created)
                    _place(b, step, components)
                    continue
                b.action("c2pa.opened", None, [parent_plan.id])
                b.actions[-1]["description"] = parent_plan.title
            elif step.c2pa_action == "c2pa.created" or step_source:
                b.action("c2pa.created", step, ids, source_type=step_source or "digitalCreation",
                         when=step.created)
                _place(b, step, components)
                if step.c2pa_action in ("c2pa.created", "c2pa.opened"):
                    continue
                ids = []
                components = []
            else:
                b.action("c2pa.created", None, [], source_type="digitalCreation")
        name = step.c2pa_action
        if name in ("c2pa.created", "c2pa.opened"):
            name = "c2pa.edited"  # only the first action may create or open
        if name in ("c2pa.placed", "c2pa.removed") and not components:
            name = "c2pa.edited"  # C2PA: these must name the ingredients placed or removed
        if name in ("c2pa.placed", "c2pa.removed"):
            ids, components = components, []
        else:
            _place(b, step, components)
        source = None
        if step_source and not (n == 0 and parent_plan is None):
            # an AI edit of an existing picture, or an edit of a generated one: the result is made of generated pixels
            source = COMPOSITE if step_source == TRAINED_ALGORITHMIC_MEDIA else step_source
        b.action(name, step, ids, source_type=source, when=step.created)
    assertions: list[dict[str, Any]] = []
    for entry in performed:
        performed_action = entry.get("c2pa_action")
        if not isinstance(performed_action, str) or not performed_action:
            continue
        name = performed_action
        extra = {f"org.studio.{k}": _json_value(v) for k, v in entry.items()
                 if k not in ("c2pa_action", "soft_binding") and not isinstance(v, (bytes, bytearray))}
        b.action(name, None, [], extra=extra)
        if name == "c2pa.watermarked":
            assertions.append(soft_binding(entry))
    assertions.append({"label": "c2pa.actions.v2", "data": {"actions": b.actions}})
    definition: dict[str, Any] = {
        "claim_generator_info": [{"name": APP_NAME, "version": __version__}],
        "title": title,
        "assertions": assertions,
    }
    described = [p.definition() for p in b.ingredients if p.file is None]
    if described:
        definition["ingredients"] = described
    return ManifestPlan(definition=definition, ingredients=b.ingredients, notes=b.notes)


def soft_binding(entry: dict[str, Any]) -> dict[str, Any]:
    """The ``c2pa.soft-binding`` assertion C2PA requires beside a ``c2pa.watermarked`` action.

    Its form is the specification's ``soft-binding-map``: ``alg`` (the algorithm's identifier), ``blocks``
    (each a ``scope`` and the ``value`` computed over it; an empty scope is the whole asset), a ``name`` in
    words and the zero-length ``pad``. The watermark step may give ``soft_binding: {"alg": ..., "value": ...}``
    (used as given), or ``alg`` and ``payload`` (hex, or bytes; or ``identifier``) in its ``performed``
    entry: the value is then the payload's bytes in base64, as in the specification's examples and the
    soft-binding resolution API's queries. Studio's watermark writes ``alg`` = ``org.studio.watermark.1``,
    its own identifier: the mark is not on the C2PA soft-binding algorithm list, so the name is a
    reverse-domain name of Studio's rather than a registered one.
    """
    import base64

    stated = entry.get("soft_binding")
    given: dict[str, Any] = stated if isinstance(stated, dict) else {}
    alg = str(given.get("alg") or entry.get("alg") or WATERMARK_ALG)
    value = given.get("value")
    if not value:
        raw = entry.get("payload") or entry.get("identifier") or b""
        data = bytes(raw) if isinstance(raw, (bytes, bytearray)) else _payload_bytes(str(raw))
        value = base64.b64encode(data).decode("ascii")
    return {"label": "c2pa.soft-binding",
            "data": {"alg": alg, "name": str(given.get("name") or "invisible watermark payload"),
                     "blocks": [{"scope": {}, "value": str(value)}], "pad": []}}


def _payload_bytes(text: str) -> bytes:
    try:
        return bytes.fromhex(text)
    except ValueError:
        return text.encode("utf-8")


def payload_of(value: str) -> str | None:
    """A soft-binding block's value (base64, as :func:`soft_binding` writes it) as the payload's hex."""
    import base64
    import binascii

    try:
        return base64.b64decode(value.encode("ascii"), validate=True).hex()
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None
