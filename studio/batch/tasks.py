"""What a batch worker does with one file: the whole evidence report, flattened into one row.

Runs in the worker processes (local pool or Ray actors): :func:`inspect_setup` builds the worker's
:class:`~studio.application.StudioApp` once (plugins, models and caches stay loaded between files) and
:func:`inspect_one` turns one file into a row. Every failure becomes the row's ``errors``; nothing raises
for a bad file.
"""

from __future__ import annotations

import base64
import contextlib
import io
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from studio.errors import StudioError

THUMB_SIDE = 128
# the built-in plugins whose sections become their own columns (every section is also a signal)
CREDENTIALS_PLUGIN = "credentials"
WATERMARK_PLUGIN = "watermark"


def limit_torch_threads(threads: int = 1) -> None:
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency in practice
        return
    torch.set_num_threads(max(1, threads))
    with contextlib.suppress(RuntimeError):
        torch.set_num_interop_threads(1)
    try:
        import cv2

        cv2.setNumThreads(max(1, threads))
    except ImportError:  # pragma: no cover
        pass


def inspect_setup(config: dict[str, Any]) -> dict[str, Any]:
    from studio.application import StudioApp

    limit_torch_threads(int(config.get("threads", 1)))
    app = StudioApp(device=config.get("device") or "cpu")
    return {"app": app, "thumbnails": bool(config.get("thumbnails", True)), "pid": os.getpid()}


def empty_row(path: str) -> dict[str, Any]:
    return {"path": path, "sha256": None, "size": None, "type": None, "format": None,
            "c2pa_state": None, "c2pa_signer": None, "recovered": None,
            "watermark": None, "watermark_payload": None,
            "signals": [], "verdicts": [], "errors": [], "thumbnail": None, "seconds": None, "worker": None}


@contextlib.contextmanager
def local_copy(path: Path, data: bytes | None) -> Iterator[Path]:
    """The file to read: ``path`` itself, or (when its bytes were shipped to a remote worker) a temporary copy."""
    if data is None:
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="studio-batch-") as folder:
        copy = Path(folder) / path.name
        copy.write_bytes(data)
        yield copy


def inspect_one(state: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    start = time.perf_counter()
    original = str(payload["path"])
    row = empty_row(original)
    row["worker"] = payload.get("worker_name") or f"pid {state.get('pid')}"
    try:
        with local_copy(Path(original), payload.get("data")) as path:
            _inspect(state, path, row)
    except StudioError as exc:
        row["errors"].append(str(exc))
    except FileNotFoundError:
        row["errors"].append("the file is gone (it vanished before it could be read)")
    except OSError as exc:
        row["errors"].append(f"could not read the file: {exc.strerror or exc}")
    except MemoryError:
        row["errors"].append("out of memory on this file")
    except Exception as exc:  # noqa: BLE001 - a plugin's bug is this file's error, the batch goes on
        row["errors"].append(f"{type(exc).__name__}: {exc}")
    row["seconds"] = round(time.perf_counter() - start, 4)
    return row


def _inspect(state: dict[str, Any], path: Path, row: dict[str, Any]) -> None:
    from studio import formats
    from studio.imageio import sha256_file
    from studio.inspection import check_media

    app = state["app"]
    if payload_missing(path):
        raise FileNotFoundError(path)
    row["size"] = path.stat().st_size
    row["sha256"] = sha256_file(path)
    row["format"] = formats.mime_of(path)
    row["type"] = check_media(path)
    faults_before = {name: len(info.faults) for name, info in app.host.plugins.items()}
    sections = app.file_report(path, {})
    for name, info in app.host.plugins.items():
        for fault in info.faults[faults_before.get(name, 0):]:
            row["errors"].append(f"plugin {name} failed on this file: {fault}")
    for section in sections:
        fill_from_section(row, section)
    if state.get("thumbnails"):
        try:
            row["thumbnail"] = thumbnail(path, row["type"])
        except Exception:  # noqa: BLE001 - a thumbnail is never worth an error
            row["thumbnail"] = None


def payload_missing(path: Path) -> bool:
    return not path.exists()


def number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def section_score(data: dict[str, Any]) -> float | None:
    """A section's ``score`` (its own, or the first one a level down, e.g. JPEG's ``double_compression``)."""
    found = number(data.get("score"))
    if found is not None:
        return found
    for value in data.values():
        if isinstance(value, dict):
            found = number(value.get("score"))
            if found is not None:
                return found
    return None


def fill_from_section(row: dict[str, Any], section: Any) -> None:
    data = section.data if isinstance(section.data, dict) else {}
    signal_id = str(data.get("signal") or "") or slug(f"{section.plugin}-{section.title}")
    row["signals"].append({"id": signal_id, "plugin": section.plugin, "title": section.title,
                           "state": section.state, "score": section_score(data)})
    known = {v["id"] for v in row.setdefault("verdicts", [])}
    row["verdicts"] += [s.to_dict() for s in getattr(section, "signals", []) or [] if s.id not in known]
    if section.plugin == CREDENTIALS_PLUGIN and row["c2pa_state"] is None:
        row["c2pa_state"] = section.state
        signer = data.get("signer") or {}
        if isinstance(signer, dict):
            row["c2pa_signer"] = signer.get("organization") or signer.get("common_name")
        recovered = data.get("recovered")
        if isinstance(recovered, dict):
            row["recovered"] = {k: v for k, v in recovered.items() if k not in ("thumbnail",)}
    elif section.plugin == WATERMARK_PLUGIN and row["watermark"] is None:
        row["watermark"] = section.state
        payload = data.get("payload")
        row["watermark_payload"] = None if payload is None else str(payload)


def slug(text: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def thumbnail(path: Path, kind: str | None) -> str | None:
    """A small JPEG of the picture (a video's first frame) as a ``data:`` URI, for the HTML summary."""
    from PIL import Image

    if kind == "video":
        from studio.video import VideoSource

        source = VideoSource(path, cache_bytes=0)
        try:
            image = Image.fromarray(source.frame(0))
        finally:
            source.close()
    else:
        with Image.open(path) as im:
            if im.format == "JPEG":
                im.draft("RGB", (THUMB_SIDE * 2, THUMB_SIDE * 2))
            image = im.convert("RGB")
    image.thumbnail((THUMB_SIDE, THUMB_SIDE))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=70)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
