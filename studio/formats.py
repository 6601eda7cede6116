"""The one table of file formats: suffixes, MIME types, what Studio reads and writes, what can be signed.

Every part of the program (opening files, the export pipeline, the signing and watermark steps, the
forensic report) asks this table instead of keeping a list of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from studio.errors import BadInputError

MediaKind = Literal["image", "video", "sequence"]


@dataclass(frozen=True)
class MediaFormat:
    """One file format.

    ``kind``: ``image`` (one picture), ``video`` (frames in one file) or ``sequence`` (a folder of
    numbered pictures). ``readable``/``writable``: Studio opens / exports it. ``signable``: C2PA Content
    Credentials can be embedded in it (c2pa-python supports it). ``audio``: an export keeps the source's sound.
    """

    name: str
    label: str
    mime: str
    suffixes: tuple[str, ...]
    kind: MediaKind
    readable: bool = True
    writable: bool = False
    signable: bool = False
    audio: bool = False

    @property
    def suffix(self) -> str:
        return self.suffixes[0]


FORMATS: tuple[MediaFormat, ...] = (
    MediaFormat("PNG", "PNG image", "image/png", (".png",), "image", writable=True, signable=True),
    MediaFormat("JPEG", "JPEG image", "image/jpeg", (".jpg", ".jpeg"), "image", writable=True, signable=True),
    MediaFormat("WEBP", "WebP image", "image/webp", (".webp",), "image", writable=True, signable=True),
    MediaFormat("TIFF", "TIFF image", "image/tiff", (".tif", ".tiff"), "image", writable=True, signable=True),
    MediaFormat("BMP", "BMP image", "image/bmp", (".bmp",), "image"),
    MediaFormat("MP4", "MP4 video (H.264)", "video/mp4", (".mp4", ".m4v"), "video", writable=True, signable=True,
                audio=True),
    MediaFormat("WEBM", "WebM video (VP9)", "video/webm", (".webm",), "video", writable=True, audio=True),
    MediaFormat("GIF", "animated GIF", "image/gif", (".gif",), "video", writable=True, signable=True),
    MediaFormat("MOV", "QuickTime video", "video/quicktime", (".mov",), "video", signable=True),
    MediaFormat("MKV", "Matroska video", "video/x-matroska", (".mkv",), "video"),
    MediaFormat("AVI", "AVI video", "video/x-msvideo", (".avi",), "video", signable=True),
    MediaFormat("PNGSEQ", "PNG sequence (a folder of numbered PNG files)", "image/png", ("",), "sequence",
                readable=False, writable=True, signable=True),
)

BY_NAME = {f.name: f for f in FORMATS}
BY_SUFFIX = {s: f for f in FORMATS for s in f.suffixes if s}
# a .gif opens as a picture (its first frame) on the canvas; it exports as an animated GIF from a clip
IMAGE_SUFFIXES = tuple(s for f in FORMATS if f.kind == "image" and f.readable for s in f.suffixes) + (".gif",)
VIDEO_SUFFIXES = tuple(s for f in FORMATS if f.kind == "video" and f.readable and f.name != "GIF"
                       for s in f.suffixes)
STILL_FORMATS = tuple(f.name for f in FORMATS if f.kind == "image" and f.writable)
CLIP_FORMATS = tuple(f.name for f in FORMATS if f.kind in ("video", "sequence") and f.writable)
SIGNABLE_MIME = {f.name: f.mime for f in FORMATS if f.signable}


def by_name(name: str) -> MediaFormat:
    fmt = BY_NAME.get(name.upper())
    if fmt is None:
        raise BadInputError(f"Unknown file format {name!r}.")
    return fmt


def of_path(path: str | Path) -> MediaFormat | None:
    """The format a file's name says it is (None when the suffix is unknown)."""
    return BY_SUFFIX.get(Path(path).suffix.lower())


def mime_of(path: str | Path) -> str:
    fmt = of_path(path)
    return fmt.mime if fmt else "application/octet-stream"


def is_video(path: str | Path, sniff: bool = False) -> bool:
    """A video by its name; with ``sniff``, also by its container's signature (MP4/MOV ``ftyp``,
    Matroska/WebM EBML) when the name says nothing."""
    path = Path(path)
    if path.suffix.lower() in VIDEO_SUFFIXES:
        return True
    if not sniff:
        return False
    try:
        with open(path, "rb") as fh:
            head = fh.read(12)
    except OSError:
        return False
    return head[4:8] == b"ftyp" or head[:4] == b"\x1a\x45\xdf\xa3"


def names(kind: str) -> str:
    """The writable formats of a kind as a readable list with suffixes: 'PNG (.png), JPEG (.jpg)…'."""
    kinds = ("video", "sequence") if kind == "clip" else (kind,)
    return ", ".join(f"{f.label} ({f.suffix or 'a folder'})" for f in FORMATS if f.writable and f.kind in kinds)


def export_format(path: str | Path, explicit: str | None = None, media: str = "image") -> MediaFormat:
    """The format to export ``path`` as: ``explicit`` when given, else from the suffix.

    ``media`` is ``image`` for a still and ``clip`` for frames: a folder (no suffix) is a PNG sequence.
    """
    path = Path(path)
    if explicit:
        wanted = explicit.upper().replace("JPG", "JPEG").replace("TIF", "TIFF").replace("TIFFF", "TIFF")
        fmt = BY_NAME.get(wanted)
        if fmt is None or not fmt.writable:
            kinds = names("image" if media == "image" else "clip")
            raise BadInputError(f"Cannot export as {explicit}; choose one of: {kinds}.")
    elif media == "clip" and (path.suffix == "" or path.is_dir()):
        fmt = BY_NAME["PNGSEQ"]
    else:
        found = BY_SUFFIX.get(path.suffix.lower())
        if found is None or not found.writable:
            raise BadInputError(
                f"Cannot export to '{path.name}': unknown extension '{path.suffix}'.",
                f"Use one of: {names('image' if media == 'image' else 'clip')}.",
            )
        fmt = found
    if media == "image" and fmt.kind != "image":
        raise BadInputError(f"A still picture cannot be exported as {fmt.label}; use {names('image')}.")
    if media == "clip" and fmt.kind == "image":
        raise BadInputError(
            f"A clip cannot be exported as one {fmt.label}.",
            f"Use {names('clip')}, or take one frame onto the canvas first.",
        )
    return fmt
