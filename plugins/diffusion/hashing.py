"""SHA-256 of model files and folders, computed once and cached by path, size and mtime.

A model of several gigabytes takes tens of seconds to hash, so the digest is
kept in ``<cache>/diffusion/hashes.json`` under a key made of the resolved
path, the size and the modification time: a file that changes is hashed again.
A diffusers folder's hash is the SHA-256 of the sorted list of its files'
relative paths and digests (weights and configs), so it names the exact
contents as well.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

from studio.api import atomic_write_bytes, cache_dir

_LOCK = threading.Lock()
FOLDER_SUFFIXES = (".safetensors", ".json", ".txt", ".bin", ".model")


def _cache_file() -> Path:
    return cache_dir() / "diffusion" / "hashes.json"


def _read_cache() -> dict[str, str]:
    try:
        data = json.loads(_cache_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _key(path: Path) -> str:
    stat = path.stat()
    return f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _folder_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in FOLDER_SUFFIXES
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def file_sha256(path: Path, cache: dict[str, str] | None = None) -> str:
    """The cached SHA-256 of one file."""
    own = cache is None
    cache = _read_cache() if cache is None else cache
    key = _key(path)
    digest = cache.get(key)
    if digest is None:
        digest = _hash_file(path)
        cache[key] = digest
        if own:
            _store({key: digest})
    return digest


def model_sha256(path: str | Path) -> str:
    """SHA-256 of a model file, or of a diffusers folder's contents; cached."""
    path = Path(path)
    cache = _read_cache()
    before = dict(cache)
    if path.is_dir():
        listing = hashlib.sha256()
        for file in _folder_files(path):
            listing.update(f"{file.relative_to(path).as_posix()} {file_sha256(file, cache)}\n".encode())
        digest = listing.hexdigest()
    else:
        digest = file_sha256(path, cache)
    new = {k: v for k, v in cache.items() if before.get(k) != v}
    if new:
        _store(new)
    return digest


def cached_sha256(path: str | Path) -> str | None:
    """The cached digest of a file if it is known, without hashing anything."""
    path = Path(path)
    if path.is_dir():
        return None
    try:
        return _read_cache().get(_key(path))
    except OSError:
        return None


def _store(entries: dict[str, str]) -> None:
    with _LOCK:
        cache = _read_cache()
        cache.update(entries)
        target = _cache_file()
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(target, json.dumps(cache, indent=0, sort_keys=True).encode("utf-8"))
