"""Signing a file with c2pa-python: the export step and ``studio sign``.

The signature is the last write of an export: the encoded temporary file is
signed into a second temporary file beside it, which then replaces it; the
pipeline moves the result to the destination atomically. Nothing is written
where the user looks unless signing succeeded.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from pathlib import Path
from typing import Any

from studio.api import BY_SUFFIX, SIGNABLE_MIME, BadInputError, StudioError

from . import trust
from .identity import REINIT_HINT, IdentityError, SigningIdentity
from .manifest import ManifestPlan

SIGNABLE = {name: mime for name, mime in SIGNABLE_MIME.items() if name != "PNGSEQ"}
FORMAT_BY_SUFFIX = {suffix: fmt.name for suffix, fmt in BY_SUFFIX.items() if fmt.name in SIGNABLE}
TSA_HINT = "Signing works offline without one: turn it off with 'studio credentials tsa --off'."


class SigningError(StudioError):
    """Signing did not happen; nothing was written."""


def make_signer(identity: SigningIdentity, tsa_url: str | None = None) -> Any:
    import c2pa

    info = c2pa.C2paSignerInfo(identity.alg.encode(), identity.chain_pem, identity.key_pem,
                               tsa_url.encode() if tsa_url else None)
    try:
        return c2pa.Signer.from_info(info)
    except c2pa.C2paError as exc:
        raise translate(exc, identity, tsa_url) from None


def translate(exc: Exception, identity: SigningIdentity | None = None, tsa_url: str | None = None,
              name: str = "the file") -> StudioError:
    """A library error as a one-line message a user can act on (never showing the key)."""
    text = str(exc)
    lower = text.lower()
    if tsa_url and ("http" in lower or "timestamp" in lower or "request" in lower):
        return SigningError(f"Could not get a timestamp from {tsa_url} (offline?): {text}.", TSA_HINT,
                            "Signing works offline without one: turn the timestamp service off in "
                            "Settings → Content Credentials.")
    if "not valid at time of signing" in lower or "expired" in lower:
        return IdentityError("The signing certificate is not valid now (expired or not yet valid).", REINIT_HINT)
    if "does not match the provided data or public key" in lower:
        return IdentityError("The signing key does not belong to the signing certificate.", REINIT_HINT)
    if "eku" in lower or "certificate" in lower or "self-signed" in lower:
        return IdentityError(f"The C2PA library refused the signing certificate: {text}.", REINIT_HINT)
    if "could not parse" in lower or "could not be parsed" in lower or "unexpected end" in lower:
        return BadInputError(f"{name} is damaged or truncated, so it cannot be signed ({text}).")
    if "unsupported" in lower or "notsupported" in lower.replace(" ", ""):
        return BadInputError(f"{name} is of a type that cannot carry Content Credentials ({text}).")
    return SigningError(f"Signing {name} failed: {text}.", "Nothing was written.")


def _builder(plan: ManifestPlan, context: Any) -> tuple[Any, str | None]:
    """A Builder with every ingredient; returns (builder, id of an ingredient file it refused)."""
    import c2pa

    builder = c2pa.Builder(plan.definition, context)
    for ingredient in plan.ingredients:
        if ingredient.file is None:
            continue
        definition = {"title": ingredient.title, "relationship": ingredient.relationship,
                      "instance_id": ingredient.id}
        try:
            with open(ingredient.file, "rb") as fh:
                builder.add_ingredient(definition, ingredient.mime or "application/octet-stream", fh)
        except (c2pa.C2paError, OSError):
            builder.close()
            return None, ingredient.id
    return builder, None


def sign_stream(source: Any, dest: Any, mime: str, plan: ManifestPlan, identity: SigningIdentity,
                tsa_url: str | None = None, name: str = "the file", anchors: trust.TrustAnchors | None = None) -> bytes:
    """Sign ``source`` (a readable stream) into ``dest`` (a writable, seekable stream); return the manifest bytes.

    Ingredient files are checked against ``anchors``; the results are recorded in the manifest.
    """
    import c2pa

    context = trust.make_context(trust.signer_settings(anchors))
    try:
        for _ in range(len(plan.ingredients) + 1):
            builder, refused = _builder(plan, context)
            if refused is None:
                break
            title = next(p.title for p in plan.ingredients if p.id == refused)
            plan = plan.with_described(refused, f"The C2PA library could not read '{title}'; "
                                                "it is described without its file.")
        signer = make_signer(identity, tsa_url)
        try:
            return bytes(builder.sign(signer, mime, source, dest))
        except c2pa.C2paError as exc:
            raise translate(exc, identity, tsa_url, name) from None
        finally:
            signer.close()
            builder.close()
    finally:
        context.close()


def sign_in_place(path: Path, mime: str, plan: ManifestPlan, identity: SigningIdentity,
                  tsa_url: str | None = None, name: str | None = None,
                  anchors: trust.TrustAnchors | None = None) -> bytes:
    """Sign ``path``: write a signed sibling temporary file, then replace ``path`` with it; return the manifest."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".signing", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with open(path, "rb") as source, open(tmp, "w+b") as dest:
            manifest = sign_stream(source, dest, mime, plan, identity, tsa_url, name or path.name, anchors)
        os.replace(tmp, path)
        return manifest
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def trial_sign(identity: SigningIdentity) -> None:
    """Sign a tiny image in memory: proves the C2PA library accepts this identity (import checks it)."""
    from PIL import Image

    from studio.api import Record

    from .manifest import build_plan

    source = io.BytesIO()
    Image.new("RGB", (16, 16), (128, 128, 128)).save(source, "PNG")
    source.seek(0)
    record = Record(action="check", title="identity check", c2pa_action="c2pa.created",
                    digital_source="digitalCreation")
    sign_stream(source, io.BytesIO(), "image/png", build_plan(record, [], "check.png"), identity, None,
                "a test image")


def format_of(path: Path) -> str:
    """The signable format of ``path`` from its content (its name can lie), or a clear error."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise BadInputError(f"{path} cannot be read: {exc.strerror or exc}.") from None
    if not head:
        raise BadInputError(f"{path.name} is empty (0 bytes).")
    found = sniff(head)
    named = FORMAT_BY_SUFFIX.get(path.suffix.lower())
    if found is None:
        if named is not None:
            raise BadInputError(f"{path.name} is named like a {named} file but is not one (damaged, or another type).")
        raise BadInputError(
            f"{path.name} is not a file Studio can sign: Content Credentials can be embedded in "
            "JPEG, PNG, WebP, TIFF and MP4 files.")
    if found not in SIGNABLE:
        raise BadInputError(f"{path.name} is a {found} file, which Studio cannot sign: Content Credentials can be "
                            "embedded in JPEG, PNG, WebP, TIFF and MP4 files.")
    if named is not None and named != found:
        raise BadInputError(f"{path.name} is named like a {named} file but holds a {found}; rename it first.")
    return found


def sniff(head: bytes) -> str | None:
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"mif1", b"msf1", b"avif"):
            return "HEIF"
        if brand == b"qt  ":
            return "MOV"
        return "MP4"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:2] == b"BM":
        return "BMP"
    if head[:4] == b"\x1a\x45\xdf\xa3":  # EBML: WebM and Matroska
        return "WEBM"
    return None


def check_whole(path: Path, fmt: str) -> None:
    """Decode an image completely so a truncated or damaged one is refused before signing."""
    if fmt == "MP4":
        return
    from PIL import Image

    try:
        with Image.open(path) as im:
            im.load()
    except Exception as exc:  # noqa: BLE001 - PIL raises many types for damaged files
        raise BadInputError(f"{path.name} is damaged or truncated, so it cannot be signed: {exc}.") from None


def check_credentials_readable(path: Path) -> None:
    """Refuse to sign over Content Credentials that are damaged: the new ones would hide the damage."""
    import c2pa

    try:
        reader = c2pa.Reader.try_create(str(path))
    except c2pa.C2paError as exc:
        if str(exc).lower().startswith("remote"):
            return  # credentials stored elsewhere: the file itself is fine to sign
        raise BadInputError(
            f"{path.name} carries Content Credentials that are damaged and cannot be read ({exc}); "
            "Studio will not sign over them, since new credentials would hide the damage.") from None
    if reader is not None:
        reader.close()
