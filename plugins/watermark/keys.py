"""Watermark keys: the public Studio default key and this installation's secret key.

Which key marks an export, and why:

- **Studio default key** (the default). Its bytes are public and fixed
  (``SHA-256("Studio invisible watermark - public default key v1")``), so
  every copy of Studio can check any image for a Studio mark: a journalist's
  Studio finds the mark a creator's Studio embedded. That is the point of the
  feature (see issue 7: "anyone with the studio can check for it"). The cost
  of a public key: someone who studies it could also add the mark to an image
  or try to remove it, so the mark is a *signal* that a Studio export is
  behind the pixels, never a proof; the signed Content Credentials are the
  proof.
- **This installation's secret key**: 32 random bytes created on first use in
  ``config_dir()/watermark/key`` (folder 0700, file 0600). It keys the
  payload: the 64-bit identifier is an HMAC of the export's provenance record,
  so this installation can later show that an identifier it finds is one it
  issued for that record, and nobody else can mint matching identifiers. With
  the ``private`` key mode it also keys the mark itself: then only this
  installation (or whoever holds a copy of the key file) can find the mark.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.api import BadInputError, StudioError, config_dir

KEY_BYTES = 32
STUDIO_DEFAULT_KEY = hashlib.sha256(b"Studio invisible watermark - public default key v1").digest()
KEY_MODES = ("studio", "private")


@dataclass(frozen=True)
class Key:
    """A key to embed or look for the mark with, and how to name it to a user."""

    name: str  # "Studio default key", "this installation's key", or a file name
    kind: str  # "studio-default", "installation", "file"
    secret: bytes

    @property
    def fingerprint(self) -> str:
        """A short public identifier of the key (not the key)."""
        return hashlib.sha256(b"studio-watermark-key-id" + self.secret).hexdigest()[:16]


def studio_default_key() -> Key:
    return Key("Studio default key", "studio-default", STUDIO_DEFAULT_KEY)


def key_dir() -> Path:
    return config_dir() / "watermark"


def key_path() -> Path:
    return key_dir() / "key"


def _read_key(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise StudioError(f"The watermark key {path} cannot be read: {exc.strerror or exc}.") from None
    text = data.strip()
    if len(text) == 2 * KEY_BYTES:
        try:
            return bytes.fromhex(text.decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            pass
    raise BadInputError(
        f"{path} is not a Studio watermark key (expected {2 * KEY_BYTES} hexadecimal digits).",
        "Use the 'key' file from another installation's config folder (watermark/key).",
    )


def installation_key(create: bool = True) -> Key | None:
    """This installation's secret key, created on first use (owner-only permissions)."""
    path = key_path()
    if path.exists():
        try:
            secret = _read_key(path)
        except BadInputError:
            raise StudioError(
                f"This installation's watermark key {path} is damaged.",
                "Delete it to create a new one; marks made in private mode with the old key can then no "
                "longer be found, and old payloads no longer verified.",
            ) from None
        return Key("this installation's key", "installation", secret)
    if not create:
        return None
    secret = secrets.token_bytes(KEY_BYTES)
    folder = key_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError):
            os.chmod(folder, 0o700)
        tmp = folder / f".key.{secrets.token_hex(4)}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # owner-only from the first byte
        try:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secret.hex() + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            if path.exists():  # another process made one meanwhile: keep theirs
                tmp.unlink()
                return installation_key(create=False)
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()
    except OSError as exc:
        raise StudioError(f"Could not create the watermark key in {folder}: {exc.strerror or exc}.") from None
    return Key("this installation's key", "installation", secret)


def key_from_file(path: str | Path) -> Key:
    path = Path(path)
    if not path.is_file():
        raise BadInputError(f"The key file {path} does not exist.")
    return Key(path.name, "file", _read_key(path))


def embedding_key(mode: str) -> Key:
    if mode not in KEY_MODES:
        raise BadInputError(f"The watermark key must be one of {', '.join(KEY_MODES)} (got {mode!r}).")
    if mode == "private":
        key = installation_key(create=True)
        assert key is not None
        return key
    return studio_default_key()


def detection_keys(extra: list[str | Path] | None = None) -> list[Key]:
    """The keys to look for: the Studio default key, this installation's key if it exists, any key files."""
    keys = [studio_default_key()]
    own = installation_key(create=False)
    if own is not None:
        keys.append(own)
    for path in extra or []:
        key = key_from_file(path)
        if all(key.secret != k.secret for k in keys):
            keys.append(key)
    return keys


def record_payload(record: dict[str, Any], key: Key | None = None) -> bytes:
    """The 64-bit identifier for a provenance record: an HMAC under this installation's key."""
    if key is None:
        key = installation_key(create=True)
        assert key is not None
    canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), default=str).encode("utf-8")
    return hmac.new(key.secret, b"studio-watermark-payload\0" + canonical, hashlib.sha256).digest()[:8]


def parse_payload(text: str) -> bytes:
    cleaned = text.strip().lower().removeprefix("0x")
    try:
        payload = bytes.fromhex(cleaned)
    except ValueError:
        payload = b""
    if len(payload) != 8:
        raise BadInputError(f"The payload must be 16 hexadecimal digits (64 bits), not {text!r}.")
    return payload
