"""What a batch works on: a folder (searched recursively), a list file (one path a line) or a glob pattern."""

from __future__ import annotations

import glob
import os
from pathlib import Path

from studio import formats
from studio.errors import BadInputError

MEDIA_SUFFIXES = frozenset(formats.IMAGE_SUFFIXES) | frozenset(formats.VIDEO_SUFFIXES)
LIST_SUFFIXES = (".txt", ".lst", ".list")
GLOB_CHARS = set("*?[")


def is_media(path: Path) -> bool:
    return path.suffix.lower() in MEDIA_SUFFIXES


def gather(source: str | Path) -> list[Path]:
    """The files to work on, in a stable order (sorted; a list file keeps its own order, without repeats).

    In a folder or from a glob only media files are taken (pictures and videos, by suffix); a list file is
    taken as it is — a line naming something that is not there becomes that file's error row, not a refusal.
    """
    text = str(source)
    path = Path(text).expanduser()
    if path.is_dir():
        found = [Path(root) / name for root, _dirs, files in os.walk(path) for name in files]
        files = sorted(p for p in found if is_media(p) and not p.name.startswith("."))
        if not files:
            raise BadInputError(f"{path} holds no pictures or videos (searched with its sub-folders).")
        return files
    if path.is_file():
        if is_media(path):
            return [path]
        return read_list(path)
    if GLOB_CHARS & set(text):
        files = sorted(Path(p) for p in glob.glob(os.path.expanduser(text), recursive=True)
                       if Path(p).is_file() and is_media(Path(p)))
        if not files:
            raise BadInputError(f"No pictures or videos match '{text}'.")
        return files
    raise BadInputError(f"{text} does not exist.", "Give a folder, a list file (one path a line) or a glob pattern.")


def read_list(path: Path) -> list[Path]:
    """A list file: one path a line, relative ones from the list's folder; blank lines and ``#`` comments skipped."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise BadInputError(f"{path.name} is not a text list of files (it is not UTF-8 text).",
                            "Give a folder, a list file (one path a line) or a glob pattern.") from None
    except OSError as exc:
        raise BadInputError(f"Could not read {path}: {exc.strerror or exc}.") from None
    seen: dict[Path, None] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        item = Path(line).expanduser()
        seen.setdefault(item if item.is_absolute() else path.parent / item)
    if not seen:
        raise BadInputError(f"{path.name} names no files (it is empty).",
                            "Put one path a line in it, or give a folder or a glob pattern.")
    return list(seen)
