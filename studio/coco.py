"""Boxes as COCO detection JSON — for a still picture, or for every frame of a clip (TAO / COCO-VID style).

:func:`to_coco` makes the dictionary, :func:`write_coco` writes it atomically and :func:`from_coco` reads
boxes back. The layout is the standard one that pycocotools, FiftyOne, CVAT and the detection
libraries read:

- ``images``: one entry for a still (``file_name``, ``width``, ``height``); for a clip one entry per
  frame, each with ``video_id``, ``frame_index`` and a ``file_name`` that names the frame as a PNG
  sequence export of the clip would (``STEM/frame_0000.png``), plus a ``videos`` entry for the clip
  (``name``, ``width``, ``height``, ``frame_count``, ``fps``) and a ``tracks`` entry per tracked object;
- ``annotations``: ``bbox`` ``[x, y, width, height]`` in pixels from the top-left corner, ``area``,
  ``category_id``, ``iscrowd`` 0, ``score`` when the box has one, ``track_id`` when it has one, and
  ``attributes.keyframe`` (as CVAT writes it) for a box a person corrected;
- ``categories``: one per label, in alphabetical order, ids from 1 (an unlabelled box is "object").

A box of a clip without a frame (shown on every frame) gets an annotation on every frame.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from studio.atomic import atomic_write_bytes
from studio.document.clips import Box

__all__ = ["UNLABELLED", "from_coco", "to_coco", "write_coco"]

UNLABELLED = "object"


def _frame_name(file_name: str, index: int, count: int) -> str:
    digits = max(4, len(str(count)))  # as the PNG sequence export numbers its files
    return f"{PurePosixPath(file_name).stem or 'frames'}/frame_{index:0{digits}d}.png"


def to_coco(boxes: Sequence[Box], size: tuple[int, int], file_name: str, frame_count: int | None = None,
            fps: float | None = None) -> dict[str, Any]:
    """COCO detection JSON for ``boxes`` on a picture of ``size`` (width, height) named ``file_name``.

    ``frame_count`` None: a still picture (one image). Otherwise a clip of ``frame_count`` frames at
    ``fps``: an image per frame (more when a box names a later frame), ``Box.frame`` giving the frame.
    """
    width, height = int(size[0]), int(size[1])
    labels = sorted({b.label or UNLABELLED for b in boxes})
    category = {label: n + 1 for n, label in enumerate(labels)}
    data: dict[str, Any] = {
        "info": {"description": f"Boxes of {file_name}", "contributor": "Studio"},
        "licenses": [],
    }
    if frame_count is None:
        images = [{"id": 1, "file_name": file_name, "width": width, "height": height}]
        placed = [(box, 1) for box in boxes]
    else:
        count = max([int(frame_count), *((b.frame + 1) for b in boxes if b.frame is not None)])
        data["videos"] = [{"id": 1, "name": file_name, "width": width, "height": height, "frame_count": count,
                           **({"fps": float(fps)} if fps else {})}]
        images = [{"id": n + 1, "video_id": 1, "frame_index": n, "file_name": _frame_name(file_name, n, count),
                   "width": width, "height": height} for n in range(count)]
        placed = [(box, n + 1) for box in boxes for n in ([box.frame] if box.frame is not None else range(count))]
        placed.sort(key=lambda pair: pair[1])  # frame by frame, the boxes' order kept within a frame
    annotations = []
    for number, (box, image_id) in enumerate(placed, start=1):
        entry: dict[str, Any] = {
            "id": number, "image_id": image_id, "category_id": category[box.label or UNLABELLED],
            "bbox": [box.x0, box.y0, box.width, box.height], "area": box.width * box.height, "iscrowd": 0,
        }
        if box.score is not None:
            entry["score"] = box.score
        if box.track_id is not None:
            entry["track_id"] = box.track_id
            if frame_count is not None:
                entry["video_id"] = 1
        if box.keyframe:
            entry["attributes"] = {"keyframe": True}
        annotations.append(entry)
    data["images"] = images
    data["annotations"] = annotations
    data["categories"] = [{"id": category[label], "name": label, "supercategory": "object"} for label in labels]
    if frame_count is not None:
        tracks = {}
        for box in boxes:
            if box.track_id is not None and box.track_id not in tracks:
                tracks[box.track_id] = {"id": box.track_id, "category_id": category[box.label or UNLABELLED],
                                        "video_id": 1}
        data["tracks"] = [tracks[t] for t in sorted(tracks)]
    return data


def write_coco(path: str | Path, boxes: Sequence[Box], size: tuple[int, int], file_name: str,
               frame_count: int | None = None, fps: float | None = None) -> Path:
    """Write :func:`to_coco`'s JSON to ``path`` atomically (the old file, or the whole new one); return it."""
    path = Path(path)
    data = to_coco(boxes, size, file_name, frame_count=frame_count, fps=fps)
    atomic_write_bytes(path, (json.dumps(data, indent=1, ensure_ascii=False) + "\n").encode("utf-8"))
    return path


def from_coco(data: dict[str, Any]) -> list[Box]:
    """The boxes of a COCO detection dictionary (as :func:`to_coco` writes it, or any other).

    A frame comes from the image's ``frame_index`` (or ``frame_id``, as COCO-VID names it); an image
    without one gives boxes without a frame. The category's name is the label; "object" reads as none.
    """
    names = {c["id"]: str(c.get("name", "")) for c in data.get("categories", [])}
    frames: dict[Any, int | None] = {}
    for image in data.get("images", []):
        index = image.get("frame_index", image.get("frame_id"))
        frames[image["id"]] = None if index is None else int(index)
    boxes = []
    for ann in data.get("annotations", []):
        x, y, w, h = (float(v) for v in ann["bbox"])
        label = names.get(ann.get("category_id"), "")
        score = ann.get("score")
        track = ann.get("track_id", ann.get("instance_id"))
        boxes.append(Box(x, y, round(x + w, 9), round(y + h, 9), "" if label == UNLABELLED else label,
                         None if score is None else float(score), frame=frames.get(ann.get("image_id")),
                         track_id=None if track is None else int(track),
                         keyframe=bool((ann.get("attributes") or {}).get("keyframe", False))))
    return boxes
