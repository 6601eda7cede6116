"""The grounding model library: local model folders the user already has, found without copying anything.

A model is a transformers folder whose ``config.json`` names a kind :func:`.hf.recognise_folder` knows:
detectors (OWLv2, OWL-ViT, Grounding DINO, Florence-2) and segmenters (SAM, SAM 2, …); ``kind`` tells
which. Each folder given is searched up to :data:`MAX_DEPTH` levels down; an AUTOMATIC1111 or ComfyUI
installation root is also searched in the folders their extensions and custom nodes use
(:data:`INSTALL_LAYOUT`). The built-in model and the face detector are not folders: their names resolve
to ``None`` and the caller uses them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.api import BadInputError

from .hf import GROUNDING_KINDS, KIND_LABELS, MASK_KINDS, accepted_kinds, describe_folder, recognise_folder

MAX_DEPTH = 3
BUILTIN_NAMES = ("builtin", "built-in", "studio-grounding")
FACES_NAMES = ("faces",)
#: Where installations keep grounding and segmentation models (ComfyUI custom nodes: comfyui_segment_anything,
#: ComfyUI-SAM2, ComfyUI-Florence2; AUTOMATIC1111: sd-webui-segment-anything).
INSTALL_LAYOUT = (
    "models/grounding-dino", "models/sams", "models/sam2", "models/florence2", "models/LLM",
    "extensions/sd-webui-segment-anything/models/grounding-dino",
    "extensions/sd-webui-segment-anything/models/sam",
)


@dataclass(frozen=True)
class GroundingModel:
    """One model folder found: its name (the folder's), where it is, its kind and where it was found."""

    name: str
    path: Path
    kind: str  # a key of hf.KIND_LABELS: "owlv2", "grounding-dino", "florence2", "sam", …
    source: str  # "folder", "ComfyUI", "AUTOMATIC1111", "path"

    @property
    def detects(self) -> bool:
        """Whether it finds boxes for text (``hf.load_backend`` loads it)."""
        return self.kind in GROUNDING_KINDS

    @property
    def segments(self) -> bool:
        """Whether it is a segmenter (masks from boxes or points)."""
        return self.kind in MASK_KINDS

    @property
    def label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "path": str(self.path), "kind": self.kind, "type": self.label,
                "source": self.source}


def install_source(root: Path) -> str:
    """"ComfyUI" or "AUTOMATIC1111" when ``root`` looks like that installation, else "folder"."""
    if (root / "comfy").is_dir() or (root / "custom_nodes").is_dir():
        return "ComfyUI"
    if (root / "webui.py").is_file() or (root / "extensions").is_dir():
        return "AUTOMATIC1111"
    return "folder"


def find_models(folders: list[Path]) -> list[GroundingModel]:
    """Every grounding or mask model folder in ``folders`` (each folder itself, then up to 3 levels down, then
    the installation layouts), once each, in the order found."""
    found: list[GroundingModel] = []
    seen: set[Path] = set()

    def add(candidates: list[tuple[Path, str]], source: str) -> None:
        for path, kind in candidates:
            resolved = path.resolve()
            if resolved not in seen:
                seen.add(resolved)
                found.append(GroundingModel(path.name, path, kind, source))

    for folder in folders:
        root = Path(folder).expanduser()
        source = install_source(root)
        add(_scan(root), source)
        for sub in INSTALL_LAYOUT:
            add(_scan(root / sub), source)
    return found


def _scan(root: Path, depth: int = 0) -> list[tuple[Path, str]]:
    """(folder, kind) for the model folders in ``root`` (``root`` included), not descending into a model."""
    if not root.is_dir():
        return []
    kind = recognise_folder(root)
    if kind is not None:
        return [(root, kind)]
    if depth >= MAX_DEPTH or (root / "model_index.json").is_file():
        return []
    try:
        entries = sorted(e for e in root.iterdir() if e.is_dir() and not e.name.startswith("."))
    except OSError:
        return []
    out: list[tuple[Path, str]] = []
    for entry in entries:
        out += _scan(entry, depth + 1)
    return out


def resolve_model(spec: str, folders: list[Path]) -> GroundingModel | None:
    """The model ``spec`` names: a folder path, or the name of a folder found in ``folders``.

    ``None`` for the built-in model ("builtin", "studio-grounding", or nothing) and for "faces": the caller
    uses those. Raises :class:`studio.api.BadInputError` naming what was found when ``spec`` is unknown.
    """
    spec = spec.strip()
    wanted = spec.lower()
    if not spec or wanted in BUILTIN_NAMES or wanted in FACES_NAMES:
        return None
    path = Path(spec).expanduser()
    if os.sep in spec or "/" in spec or path.exists():
        if not path.exists():
            raise BadInputError(f"{spec} does not exist.")
        kind = recognise_folder(path)
        if kind is None:
            raise BadInputError(f"{path.name} is {describe_folder(path)}, not a grounding or segmentation model.",
                                "Give 'builtin', 'faces', or a transformers model folder (config.json and "
                                f"safetensors weights) of: {accepted_kinds()}, or SAM.")
        return GroundingModel(path.name, path, kind, "path")
    models = find_models(folders)
    matches = [m for m in models if m.name.lower() == wanted]
    if len(matches) == 1:
        return matches[0]
    if matches:
        where = "; ".join(str(m.path) for m in matches)
        raise BadInputError(f"More than one model is called '{spec}': {where}.", "Give the path instead.")
    names = ["builtin", "faces", *sorted({f"{m.name} ({m.label})" for m in models})]
    listing = ", ".join(names[:14]) + (" …" if len(names) > 14 else "")
    searched = ", ".join(str(f) for f in folders) or "no folders"
    raise BadInputError(f"No grounding model called '{spec}' (known: {listing}; searched {searched}).",
                        "Give the model folder's path, or add the folder that holds it to the grounding "
                        "model folders.")
