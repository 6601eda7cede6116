"""The signing identity: where it is stored, how it is made, imported, checked and loaded.

Files live in ``config_dir()/credentials``::

    signing-chain.pem   the signing certificate (and intermediates), leaf first
    signing-key.pem     its private key, mode 0o600 from the moment it exists
    root.pem            the root that issued it: export it so others can trust it
    identity.json       {"kind": "local" | "imported"}

The key is never logged and never put in an error message.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.api import BadInputError, StudioError, atomic_write_bytes, config_dir

from . import certs

CHAIN_FILE, KEY_FILE, ROOT_FILE, META_FILE = "signing-chain.pem", "signing-key.pem", "root.pem", "identity.json"
REINIT_HINT = ("Create a new one with 'studio credentials init --force' "
               "or import yours with 'studio credentials import'.")


class IdentityError(StudioError):
    """A signing identity that cannot be used.

    Its hints name ``studio credentials`` commands; the window says where the same is in Settings.
    """

    def __init__(self, message: str, hint: str = "", window_hint: str | None = None) -> None:
        if window_hint is None and "studio credentials" in hint:
            window_hint = ("Create a new signing identity, or use your own certificate and key, in "
                           "Settings → Content Credentials.")
        super().__init__(message, hint, window_hint)


def credentials_dir() -> Path:
    return config_dir() / "credentials"


@dataclass
class SigningIdentity:
    """A checked identity, ready to sign: certificate chain, key and algorithm."""

    chain_pem: bytes
    key_pem: bytes = b""
    root_pem: bytes = b""
    alg: str = "es256"
    kind: str = "local"
    folder: Path | None = None
    created_now: bool = False

    def __repr__(self) -> str:  # never show the key
        return f"SigningIdentity(kind={self.kind!r}, alg={self.alg!r}, folder={self.folder})"

    @property
    def leaf(self) -> Any:
        return certs.load_certificates(self.chain_pem, "the signing chain")[0]

    def describe(self) -> dict[str, Any]:
        facts: dict[str, Any] = {"kind": self.kind, "algorithm": self.alg.upper(),
                                 "folder": str(self.folder) if self.folder else None,
                                 "signer": certs.describe(self.leaf)}
        if self.root_pem:
            facts["root"] = certs.describe(certs.load_certificates(self.root_pem, "the root")[0])
        return facts


def write_private(path: Path, data: bytes) -> None:
    """Write a secret atomically; the file is created with mode 0o600 and never exists wider."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_name = str(path.parent / f".{path.name}.{secrets.token_hex(8)}.tmp")
    # O_EXCL: never write into a file someone else created; 0o600 from the first instant
    fd = os.open(tmp_name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp_name, 0o600)  # in case a umask or ACL widened it
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise


def _make_folder(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        os.chmod(folder, 0o700)


def exists(folder: Path | None = None) -> bool:
    folder = folder or credentials_dir()
    return (folder / CHAIN_FILE).is_file() or (folder / KEY_FILE).is_file()


def check_pair(chain_pem: bytes, key_pem: bytes, what_chain: str, what_key: str,
               now: dt.datetime | None = None) -> tuple[list[Any], Any, str]:
    """Parse and check a chain and key; return (certificates, key, algorithm) or raise a clear error."""
    chain = certs.load_certificates(chain_pem, what_chain)
    key = certs.load_private_key(key_pem, what_key)
    leaf = chain[0]
    if not certs.key_matches(leaf, key):
        raise BadInputError(
            f"The key in {what_key} does not belong to the certificate in {what_chain} "
            "(their public keys differ).",
            "Give the key that was made with this certificate; the certificate comes first in the chain.",
        )
    alg = certs.algorithm_for(key)
    now = now or dt.datetime.now(dt.timezone.utc)
    if leaf.not_valid_after_utc < now:
        raise IdentityError(
            f"The signing certificate expired on {leaf.not_valid_after_utc:%Y-%m-%d}; "
            "files signed with it would read Invalid.", REINIT_HINT)
    if leaf.not_valid_before_utc > now:
        raise IdentityError(f"The signing certificate is not valid before {leaf.not_valid_before_utc:%Y-%m-%d}.",
                            REINIT_HINT)
    from cryptography import x509

    try:
        constraints = leaf.extensions.get_extension_for_class(x509.BasicConstraints).value
        if constraints.ca:
            raise BadInputError(f"The first certificate in {what_chain} is a CA certificate; C2PA needs the "
                                "signing (end-entity) certificate first.")
    except x509.ExtensionNotFound:
        pass
    if len(chain) == 1 and certs.is_self_signed(leaf):
        raise BadInputError(f"The certificate in {what_chain} is self-signed; C2PA refuses self-signed "
                            "signing certificates.", "Use a certificate issued by a CA (your own root will do).")
    return chain, key, alg


def create(common_name: str | None = None, organization: str | None = None, force: bool = False,
           folder: Path | None = None) -> SigningIdentity:
    """Make a new local root and signing certificate and store them."""
    folder = folder or credentials_dir()
    if exists(folder) and not force:
        raise BadInputError(f"A signing identity already exists in {folder}.",
                            "Use --force to replace it (files signed with it stay valid but the key is lost).")
    if common_name is None:
        try:
            common_name = f"{getpass.getuser()} (Studio)"
        except Exception:  # noqa: BLE001 - no user name in some sandboxes
            common_name = "Studio user"
    generated = certs.generate_identity(common_name, organization or "Studio local identity")
    _store(folder, generated.chain_pem, generated.key_pem, generated.root_pem, "local")
    return load(folder)


def import_pem(chain_path: Path, key_path: Path, force: bool = False, folder: Path | None = None) -> SigningIdentity:
    """Check a user's PEM chain and key, try them with C2PA, and store them."""
    folder = folder or credentials_dir()
    chain_pem = _read(chain_path, "certificate chain")
    key_pem = _read(key_path, "private key")
    chain, _key, alg = check_pair(chain_pem, key_pem, chain_path.name, key_path.name)
    if exists(folder) and not force:
        raise BadInputError(f"A signing identity already exists in {folder}.", "Use --force to replace it.")
    root = chain[-1]
    signing = chain
    if len(chain) > 1 and certs.is_self_signed(root):
        signing = chain[:-1]  # the root is a trust anchor, not part of the signing chain
    chain_out = b"".join(certs.pem(c) for c in signing)
    from .signing import trial_sign

    trial_sign(SigningIdentity(chain_pem=chain_out, key_pem=key_pem, alg=alg, kind="imported"))
    _store(folder, chain_out, key_pem, certs.pem(root), "imported")
    return load(folder)


def _read(path: Path, what: str) -> bytes:
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise BadInputError(f"The {what} file {path} does not exist.") from None
    except IsADirectoryError:
        raise BadInputError(f"The {what} path {path} is a folder, not a file.") from None
    except OSError as exc:
        raise BadInputError(f"The {what} file {path} cannot be read: {exc.strerror or exc}.") from None
    if not data.strip():
        raise BadInputError(f"The {what} file {path} is empty.")
    return data


def _store(folder: Path, chain_pem: bytes, key_pem: bytes, root_pem: bytes, kind: str) -> None:
    _make_folder(folder)
    write_private(folder / KEY_FILE, key_pem)
    atomic_write_bytes(folder / CHAIN_FILE, chain_pem)
    atomic_write_bytes(folder / ROOT_FILE, root_pem)
    meta = {"kind": kind, "stored": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()}
    atomic_write_bytes(folder / META_FILE, json.dumps(meta, indent=2).encode())


def load(folder: Path | None = None, create_if_missing: bool = False) -> SigningIdentity:
    """The stored identity, checked; made on first use when ``create_if_missing``."""
    folder = folder or credentials_dir()
    if not exists(folder):
        if create_if_missing:
            identity = create(folder=folder)
            identity.created_now = True
            return identity
        raise IdentityError(f"There is no signing identity in {folder}.",
                            "Create one with 'studio credentials init' or import yours.")
    chain_pem = _read_stored(folder / CHAIN_FILE, "signing certificate")
    key_pem = _read_stored(folder / KEY_FILE, "signing key")
    root_pem = (folder / ROOT_FILE).read_bytes() if (folder / ROOT_FILE).is_file() else b""
    try:
        _chain, _key, alg = check_pair(chain_pem, key_pem, f"{folder / CHAIN_FILE}", f"{folder / KEY_FILE}")
    except IdentityError:
        raise
    except BadInputError as exc:
        raise IdentityError(f"The stored signing identity cannot be used: {exc.message}", REINIT_HINT) from None
    kind = "local"
    try:
        kind = str(json.loads((folder / META_FILE).read_text()).get("kind", "local"))
    except (OSError, ValueError, AttributeError):
        pass
    return SigningIdentity(chain_pem=chain_pem, key_pem=key_pem, root_pem=root_pem, alg=alg, kind=kind,
                           folder=folder)


def _read_stored(path: Path, what: str) -> bytes:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise IdentityError(f"The {what} file {path} is missing.", REINIT_HINT) from None
    except OSError as exc:
        raise IdentityError(f"The {what} file {path} cannot be read: {exc.strerror or exc}.", REINIT_HINT) from None
    if not data.strip():
        raise IdentityError(f"The {what} file {path} is empty.", REINIT_HINT)
    return data


def local_root_pem(folder: Path | None = None) -> bytes | None:
    """The user's own root certificate, if one is stored (trusted for the user's own files)."""
    path = (folder or credentials_dir()) / ROOT_FILE
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return data if b"-----BEGIN CERTIFICATE-----" in data else None


def export_root(dest: Path, folder: Path | None = None) -> bytes:
    """Write the root certificate to ``dest`` (``-`` for none: just return it)."""
    root = local_root_pem(folder)
    if root is None:
        raise IdentityError("There is no signing identity yet, so there is no root to export.",
                            "Create one with 'studio credentials init'.")
    if str(dest) != "-":
        atomic_write_bytes(dest, root)
    return root
