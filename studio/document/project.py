"""Project files: one ``.studio`` file (a zip) holding the whole document.

Inside: ``project.json`` (format version, layers, timeline, results and the
record of what produced each) and one PNG per layer, result and generated frame.
Video files are never re-encoded: a video clip refers to its file by path (absolute,
and relative to the project) with its SHA-256 and size, or — when saved with
``embed_media`` — carries the file's bytes as they are inside the project. A save
is atomic: a crash or a kill while saving leaves the previous file intact.

Format 2 (typed clips, trims, per-clip frame rates, keyed parameters, box layers);
format 1 projects still open.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
else:
    from studio.lazy import numpy as np  # imported on first use: the window appears first

from studio import __version__
from studio.atomic import atomic_path
from studio.document.clips import Box, BoxClip, Clip, FramesClip, ScoreClip, StillClip, clip_from_json
from studio.document.document import Document, ResultEntry
from studio.document.layers import BoxLayer, Layer
from studio.document.provenance import Record
from studio.document.timeline import Keys, Track
from studio.errors import BadInputError, ProjectError

if TYPE_CHECKING:
    from studio.video import VideoSource

FORMAT = "studio-project"
FORMAT_VERSION = 2
SUFFIX = ".studio"


def _png(pixels: np.ndarray) -> bytes:
    buf = io.BytesIO()
    from PIL import Image

    Image.fromarray(pixels).save(buf, format="PNG", compress_level=3)
    return buf.getvalue()


def _unpng(zf: zipfile.ZipFile, name: str) -> np.ndarray:
    from PIL import Image

    with zf.open(name) as fh, Image.open(fh) as im:
        im.load()
        return np.asarray(im)


class _Writer:
    """Puts pictures and media files into the project zip (see :class:`studio.document.clips.MediaWriter`)."""

    def __init__(self, zf: zipfile.ZipFile, project: Path, embed: bool) -> None:
        self.zf, self.project, self.embed = zf, project, embed
        self.embedded: set[str] = set()

    def add_picture(self, name: str, pixels: np.ndarray) -> str:
        self.zf.writestr(name, _png(pixels))
        return name

    def add_media(self, path: Path, sha256: str | None) -> dict[str, Any]:
        path = Path(path).resolve()
        ref: dict[str, Any] = {"path": str(path), "sha256": sha256}
        try:
            ref["relative"] = os.path.relpath(path, self.project.resolve().parent)
        except ValueError:  # another drive (Windows)
            pass
        if path.exists():
            ref["size"] = path.stat().st_size
        if self.embed:
            if not path.exists():
                raise ProjectError(f"{path.name} is missing, so it cannot be put inside the project.")
            name = f"media/{sha256 or path.stem}{path.suffix.lower()}"
            if name not in self.embedded:
                self.zf.write(path, name)
                self.embedded.add(name)
            ref["embedded"] = name
        return ref


def save_project(doc: Document, path: str | Path, embed_media: bool = False) -> Path:
    """Write ``doc`` to ``path`` atomically and remember the path on the document.

    ``embed_media`` copies every video file (as it is, not re-encoded) into the project.
    """
    path = Path(path)
    if path.suffix != SUFFIX:
        path = path.with_suffix(SUFFIX)
    timeline = doc.timeline
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "app_version": __version__,
        "active": doc.active_id,
        "layers": [],
        "results": [],
        "timeline": {"fps": timeline.fps, "playhead": timeline.playhead, "tracks": [],
                     "keys": {name: keys.to_json() for name, keys in timeline.keys.items()}},
    }
    try:
        with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as zf:
            writer = _Writer(zf, path, embed_media)
            for layer in doc.layers:
                item: dict[str, Any] = {
                    "id": layer.id,
                    "name": layer.name,
                    "kind": layer.kind,
                    "visible": layer.visible,
                    "opacity": layer.opacity,
                    "record": layer.record.to_dict() if layer.record else None,
                    "source": layer.source,
                }
                if isinstance(layer, BoxLayer):
                    item |= {"boxes": [b.to_dict() for b in layer.boxes], "size": list(layer.canvas_size)}
                else:
                    item["file"] = writer.add_picture(f"layers/{layer.id}.png", layer.pixels)
                manifest["layers"].append(item)
            for entry in doc.results:
                name = writer.add_picture(f"results/{entry.id}.png", entry.pixels)
                manifest["results"].append(
                    {"id": entry.id, "name": entry.name, "file": name, "record": entry.record.to_dict()}
                )
            for track in timeline.tracks:
                manifest["timeline"]["tracks"].append(
                    {"id": track.id, "kind": track.kind, "name": track.name,
                     "clips": [clip.to_json(writer) for clip in track.clips]})
            zf.writestr("project.json", json.dumps(manifest, indent=1))
    except OSError as exc:
        raise ProjectError(f"Could not save the project to {path}: {exc.strerror or exc}.") from exc
    doc.path = path
    doc.modified = False
    return path


class _Reader:
    """Reads pictures and finds media files for clips (see :class:`studio.document.clips.MediaReader`)."""

    def __init__(self, zf: zipfile.ZipFile, project: Path) -> None:
        self.zf, self.project = zf, project
        self.notes: list[str] = []
        self.sources: dict[str, VideoSource] = {}

    def picture(self, name: str) -> np.ndarray:
        return _unpng(self.zf, name)

    def video(self, ref: dict[str, Any]) -> VideoSource:
        from studio.settings import cache_dir
        from studio.video import VideoInfo, VideoSource

        key = json.dumps({k: ref.get(k) for k in ("path", "sha256", "embedded")}, sort_keys=True)
        if key in self.sources:  # clips cut from one file share one source
            return self.sources[key]
        original = Path(str(ref.get("path", "")))
        candidates = []
        if ref.get("relative"):
            candidates.append((self.project.parent / str(ref["relative"])).resolve())
        candidates.append(original)
        found = next((c for c in candidates if c.is_file()), None)
        if found is None and ref.get("embedded"):
            found = cache_dir() / "media" / Path(str(ref["embedded"])).name
            if not found.is_file():
                found.parent.mkdir(parents=True, exist_ok=True)
                with self.zf.open(str(ref["embedded"])) as src, open(found, "wb") as dst:
                    while chunk := src.read(1 << 20):
                        dst.write(chunk)
        saved = ref.get("info") or {}
        info = None
        try:
            info = VideoInfo(**saved) if saved else None
        except TypeError:
            info = None
        if found is None:
            self.notes.append(f"The video {original.name} is missing (it was at {original}); its clips show "
                              "nothing until it is put back. The project is otherwise intact.")
            if info is None:
                info = VideoInfo(str(original), 1, 24.0, 0.0, 0, 0, "", None)
            source = VideoSource(original, ref.get("sha256"), info)
            source.missing = True
        else:
            if ref.get("size") is not None and found.stat().st_size != ref["size"]:
                self.notes.append(f"The video {found.name} has changed since the project was saved "
                                  "(its size differs); its clips may show other pictures.")
            try:
                source = VideoSource(found, ref.get("sha256"))
            except BadInputError as exc:
                self.notes.append(f"The video {found.name} cannot be read any more: {exc.message}")
                source = VideoSource(found, ref.get("sha256"), info or VideoInfo(str(found), 1, 24.0, 0.0, 0, 0,
                                                                                 "", None))
                source.missing = True
        self.sources[key] = source
        return source


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
    reader = _Reader(zf, path)
    for item in manifest.get("layers", []):
        record = item.get("record")
        common = {"name": item.get("name", "Layer"), "visible": bool(item.get("visible", True)),
                  "opacity": float(item.get("opacity", 1.0)), "id": item["id"],
                  "record": Record.from_dict(record) if record else None, "source": item.get("source")}
        if item.get("kind") == "boxes":
            size = item.get("size") or [0, 0]
            doc.layers.append(BoxLayer(boxes=[Box.from_dict(b) for b in item.get("boxes", [])],
                                       canvas_size=(int(size[0]), int(size[1])), **common))
        else:
            doc.layers.append(Layer(pixels=reader.picture(item["file"]), kind=item.get("kind", "image"), **common))
    for item in manifest.get("results", []):
        doc.results.append(
            ResultEntry(
                pixels=reader.picture(item["file"]),
                record=Record.from_dict(item["record"]),
                name=item.get("name", "Result"),
                id=item["id"],
            )
        )
    timeline = manifest.get("timeline", {})
    doc.timeline.fps = float(timeline.get("fps", 24.0))
    for name, keys in (timeline.get("keys") or {}).items():
        doc.timeline.keys[str(name)] = Keys.from_json(keys)
    for t in timeline.get("tracks", []):
        track = Track(kind=t["kind"], name=t.get("name", "Track"), id=t["id"])
        for c in t.get("clips", []):
            track.clips.append(clip_from_json(c, reader) if version >= 2 else _clip_v1(c, reader))
        doc.timeline.tracks.append(track)
    doc.notes = list(reader.notes)
    doc.timeline.seek(int(timeline.get("playhead", 0)))
    active = manifest.get("active")
    doc.active_id = active if any(l.id == active for l in doc.layers) else None
    doc.path = path
    doc.modified = False
    return doc


def _clip_v1(c: dict[str, Any], reader: _Reader) -> Clip:
    """A clip as format 1 stored it (kinds still / frames / overlay / score)."""
    record = c.get("record")
    common: dict[str, Any] = {"id": c["id"], "name": c.get("name", "Clip"), "start": int(c.get("start", 0)),
                              "record": Record.from_dict(record) if record else None}
    kind = c.get("kind")
    frames = [reader.picture(f) for f in c.get("frames", [])]
    if kind == "still":
        return StillClip(image=frames[0] if frames else np.zeros((1, 1, 3), np.uint8),
                         duration=int(c.get("duration", 1)), **common)
    if kind == "frames":
        return FramesClip(frames=frames, **common)
    if kind == "overlay":
        per_frame = c.get("boxes", [])
        boxes = [Box.from_dict({**b, "frame": n}) for n, frame in enumerate(per_frame) for b in frame]
        return BoxClip(boxes=boxes, frame_count=max(1, len(per_frame)), **common)
    if kind == "score":
        return ScoreClip(scores=[float(s) for s in c.get("scores", [])], **common)
    raise ValueError(f"unknown clip kind {kind!r}")
