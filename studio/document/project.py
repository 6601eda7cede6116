"""Project files: one ``.studio`` file (a zip) holding the whole document.

Inside: ``project.json`` (format version, layers, timeline, results and the
record of what produced each) and one PNG per layer, result and frame. A save
is atomic: a crash or a kill while saving leaves the previous file intact.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from studio import __version__
from studio.atomic import atomic_path
from studio.document.document import Document, ResultEntry
from studio.document.layers import Layer
from studio.document.provenance import Record
from studio.document.timeline import Box, Clip, Track
from studio.errors import ProjectError

FORMAT = "studio-project"
FORMAT_VERSION = 1
SUFFIX = ".studio"


def _png(pixels: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, format="PNG", compress_level=3)
    return buf.getvalue()


def _unpng(zf: zipfile.ZipFile, name: str) -> np.ndarray:
    with zf.open(name) as fh, Image.open(fh) as im:
        im.load()
        return np.asarray(im)


def save_project(doc: Document, path: str | Path) -> Path:
    """Write ``doc`` to ``path`` atomically and remember the path on the document."""
    path = Path(path)
    if path.suffix != SUFFIX:
        path = path.with_suffix(SUFFIX)
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "app_version": __version__,
        "active": doc.active_id,
        "layers": [],
        "results": [],
        "timeline": {"fps": doc.timeline.fps, "playhead": doc.timeline.playhead, "tracks": []},
    }
    try:
        with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as zf:
            for layer in doc.layers:
                name = f"layers/{layer.id}.png"
                zf.writestr(name, _png(layer.pixels))
                manifest["layers"].append(
                    {
                        "id": layer.id,
                        "name": layer.name,
                        "kind": layer.kind,
                        "visible": layer.visible,
                        "opacity": layer.opacity,
                        "file": name,
                        "record": layer.record.to_dict() if layer.record else None,
                    }
                )
            for entry in doc.results:
                name = f"results/{entry.id}.png"
                zf.writestr(name, _png(entry.pixels))
                manifest["results"].append(
                    {"id": entry.id, "name": entry.name, "file": name, "record": entry.record.to_dict()}
                )
            for track in doc.timeline.tracks:
                manifest["timeline"]["tracks"].append(_track_to_json(zf, track))
            zf.writestr("project.json", json.dumps(manifest, indent=1))
    except OSError as exc:
        raise ProjectError(f"Could not save the project to {path}: {exc.strerror or exc}.") from exc
    doc.path = path
    doc.modified = False
    return path


def _track_to_json(zf: zipfile.ZipFile, track: Track) -> dict[str, Any]:
    clips = []
    for clip in track.clips:
        files = []
        for n, frame in enumerate(clip.frames):
            name = f"clips/{clip.id}/{n:05d}.png"
            zf.writestr(name, _png(frame))
            files.append(name)
        clips.append(
            {
                "id": clip.id,
                "kind": clip.kind,
                "name": clip.name,
                "start": clip.start,
                "duration": clip.duration,
                "frames": files,
                "boxes": [[vars(b) for b in frame] for frame in clip.boxes],
                "scores": clip.scores,
                "record": clip.record.to_dict() if clip.record else None,
            }
        )
    return {"id": track.id, "kind": track.kind, "name": track.name, "clips": clips}


def load_project(path: str | Path) -> Document:
    """Read a project file; any problem raises :class:`ProjectError` with a clear message."""
    path = Path(path)
    try:
        if path.stat().st_size == 0:
            raise ProjectError(f"{path.name} is empty (0 bytes); it is not a Studio project.")
        with zipfile.ZipFile(path) as zf:
            try:
                manifest = json.loads(zf.read("project.json"))
            except KeyError:
                raise ProjectError(f"{path.name} is a zip file but not a Studio project (no project.json).") from None
            return _document_from(zf, manifest, path)
    except ProjectError:
        raise
    except FileNotFoundError:
        raise ProjectError(f"{path} does not exist.") from None
    except zipfile.BadZipFile:
        raise ProjectError(
            f"{path.name} is damaged or truncated and cannot be opened.",
            "If it was being saved when the program stopped, look for the previous copy.",
        ) from None
    except (OSError, ValueError, KeyError, TypeError, zipfile.LargeZipFile, EOFError) as exc:
        raise ProjectError(f"{path.name} could not be read: {exc}.") from None


def _document_from(zf: zipfile.ZipFile, manifest: Any, path: Path) -> Document:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ProjectError(f"{path.name} is not a Studio project.")
    version = manifest.get("version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ProjectError(
            f"{path.name} was written by a newer version of Studio "
            f"({manifest.get('app_version', '?')}, project format {version}); "
            f"this version ({__version__}) reads format {FORMAT_VERSION} and older.",
            "Update Studio to open it.",
        )
    doc = Document()
    for item in manifest.get("layers", []):
        record = item.get("record")
        doc.layers.append(
            Layer(
                pixels=_unpng(zf, item["file"]),
                name=item.get("name", "Layer"),
                kind=item.get("kind", "image"),
                visible=bool(item.get("visible", True)),
                opacity=float(item.get("opacity", 1.0)),
                record=Record.from_dict(record) if record else None,
                id=item["id"],
            )
        )
    for item in manifest.get("results", []):
        doc.results.append(
            ResultEntry(
                pixels=_unpng(zf, item["file"]),
                record=Record.from_dict(item["record"]),
                name=item.get("name", "Result"),
                id=item["id"],
            )
        )
    timeline = manifest.get("timeline", {})
    doc.timeline.fps = float(timeline.get("fps", 24.0))
    for t in timeline.get("tracks", []):
        track = Track(kind=t["kind"], name=t.get("name", "Track"), id=t["id"])
        for c in t.get("clips", []):
            record = c.get("record")
            track.clips.append(
                Clip(
                    kind=c["kind"],
                    name=c.get("name", "Clip"),
                    start=int(c.get("start", 0)),
                    duration=int(c.get("duration", 1)),
                    frames=[_unpng(zf, f) for f in c.get("frames", [])],
                    boxes=[[Box(**b) for b in frame] for frame in c.get("boxes", [])],
                    scores=[float(s) for s in c.get("scores", [])],
                    record=Record.from_dict(record) if record else None,
                    id=c["id"],
                )
            )
        doc.timeline.tracks.append(track)
    doc.timeline.seek(int(timeline.get("playhead", 0)))
    active = manifest.get("active")
    doc.active_id = active if any(l.id == active for l in doc.layers) else None
    doc.path = path
    doc.modified = False
    return doc
