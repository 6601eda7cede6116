"""Pictures and masks for the edit tests, and a reader for the manifests the exports carry."""

from __future__ import annotations

import json

import numpy as np


def picture(width: int = 67, height: int = 45) -> np.ndarray:
    """An RGB picture with structure (gradients and a bright block), of an odd size by default."""
    y, x = np.mgrid[0:height, 0:width]
    pixels = np.dstack([x * 3, y * 5, (x + y) * 2]).astype(np.uint8)
    pixels[height // 4:height // 2, width // 3:width // 2] = 240
    return pixels


def region_mask(width: int = 67, height: int = 45) -> np.ndarray:
    mask = np.zeros((height, width), np.uint8)
    mask[10:30, 20:50] = 255
    return mask


def manifest_store(path) -> dict:
    """The raw manifest store as c2pa-python reads it."""
    import c2pa

    with c2pa.Reader(str(path)) as reader:
        return json.loads(reader.json())


def active(store: dict) -> dict:
    return store["manifests"][store["active_manifest"]]


def actions(manifest: dict) -> list[dict]:
    return [a for x in manifest["assertions"] if x["label"].startswith("c2pa.actions") for a in x["data"]["actions"]]
