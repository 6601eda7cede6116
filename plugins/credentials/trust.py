"""Trust anchors and the C2PA settings for reading and signing.

A signer is *trusted* when its certificate chains to an anchor: the PEM files
named in the plugin settings (``trust_anchors``: the official C2PA trust list,
an organisation's root), the user's own local root (for their own files, unless
``trust_own_root`` is false), and any ``--trust-anchors`` given on the command
line. Remote manifests are never fetched and OCSP is never asked: verifying is
offline.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.api import BadInputError

from . import certs, identity

OFFLINE = {"remote_manifest_fetch": False, "ocsp_fetch": False}


@dataclass
class TrustAnchors:
    """Certificates to trust, and where each group came from (for the report)."""

    pem: bytes = b""
    sources: list[str] = field(default_factory=list)
    count: int = 0

    def add(self, data: bytes, source: str) -> None:
        found = certs.load_certificates(data, source)
        self.pem += b"".join(certs.pem(c) for c in found)
        self.count += len(found)
        self.sources.append(f"{source} ({len(found)} certificate{'s' if len(found) != 1 else ''})")


def read_anchor_file(path: str | Path) -> bytes:
    path = Path(path).expanduser()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BadInputError(f"The trust-anchor file {path} does not exist.") from None
    except OSError as exc:
        raise BadInputError(f"The trust-anchor file {path} cannot be read: {exc.strerror or exc}.") from None
    return data


def collect(plugin_settings: dict[str, Any] | None = None, extra: Iterable[str | Path] = (),
            include_own_root: bool | None = None) -> TrustAnchors:
    """Every anchor that applies: settings, the user's own root, and ``extra`` files."""
    settings = plugin_settings or {}
    anchors = TrustAnchors()
    configured = settings.get("trust_anchors") or []
    if isinstance(configured, str):
        configured = [configured]
    for item in configured:
        item = str(item)
        if "-----BEGIN" in item:
            anchors.add(item.encode(), "trust anchors in settings")
        else:
            anchors.add(read_anchor_file(item), str(item))
    for item in extra:
        anchors.add(read_anchor_file(item), str(item))
    own = settings.get("trust_own_root", True) if include_own_root is None else include_own_root
    if own:
        root = identity.local_root_pem()
        if root is not None:
            try:
                anchors.add(root, "your own local root")
            except BadInputError:
                pass  # a damaged local root is reported by 'studio credentials show', not here
    return anchors


def reader_settings(anchors: TrustAnchors | None) -> dict[str, Any]:
    config: dict[str, Any] = {"verify": dict(OFFLINE)}
    if anchors is not None and anchors.pem:
        config["trust"] = {"trust_anchors": anchors.pem.decode("ascii")}
    return config


def signer_settings(anchors: TrustAnchors | None = None) -> dict[str, Any]:
    """Settings for signing: ingredients are checked (and their results recorded) against ``anchors``."""
    return reader_settings(anchors) | {"builder": {"thumbnail": {"enabled": True}}}


def make_context(config: dict[str, Any]) -> Any:
    import c2pa

    try:
        return c2pa.Context.from_dict(config)
    except c2pa.C2paError as exc:
        raise BadInputError(f"The C2PA library refused the trust settings: {exc}.") from None
