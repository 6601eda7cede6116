"""Soft-binding recovery: keep each signed export's manifest by its watermark, find it again when stripped.

At export (:func:`keep`), the signing step stores the manifest it just signed under every soft binding
the earlier steps recorded in ``job.performed`` (the watermark step's ``c2pa.watermarked`` entry: its
``alg`` and ``payload``). At verification (:func:`recover`), a file that carries no credentials of its
own is asked for its soft bindings (``ctx.find_soft_bindings``: the watermark plugin reads its mark),
each is looked up in the store, and what is found is reported apart from the file's own state:

``"recovered": {"source": "watermark", "payload": HEX, "state": ..., "signer": ..., "actions": ...}``

The recovered manifest is re-verified now (its signature, its statements, its signer against your
trust anchors); its hash binding is checked against this file too, and is expected not to match a
re-encoded copy (``content_binding``). It describes the export that carried the mark, not this file's
bytes: the file's own state stays ``no-credentials``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from studio.api import ExportJob, PluginContext, StudioError

from . import trust
from .manifest import WATERMARK_ALG
from .store import Entry, ManifestStore, StoreError

HARD_BINDING_FAILURES = ("assertion.dataHash.mismatch", "assertion.bmffHash.mismatch",
                         "assertion.boxesHash.mismatch", "assertion.collectionHash.mismatch")
HARD_BINDING_MATCHES = ("assertion.dataHash.match", "assertion.bmffHash.match", "assertion.boxesHash.match",
                        "assertion.collectionHash.match")
NOT_THIS_FILE = ("Recovered from the local manifest store through the invisible watermark: these are the "
                 "credentials of the export that carried this mark, not of this file, which carries none of its "
                 "own. Its pixels may have been changed since.")


def store_for(settings: dict[str, Any]) -> ManifestStore:
    """The store the settings name (``manifest_store``: a path), else the data directory's."""
    where = settings.get("manifest_store")
    return ManifestStore(Path(str(where)).expanduser() if where else None)


def keep(job: ExportJob, manifest: bytes, mime: str, signer: str, settings: dict[str, Any]) -> None:
    """Store ``manifest`` under each soft binding of ``job``; a store that cannot be used is a notice."""
    bindings = [(str(p.get("alg") or WATERMARK_ALG), str(p["payload"]).lower()) for p in job.performed
                if p.get("c2pa_action") == "c2pa.watermarked" and isinstance(p.get("payload"), str)]
    if not bindings:
        return
    try:
        with store_for(settings) as store:
            for alg, payload in dict.fromkeys(bindings):
                report = store.add(Entry(alg=alg, payload=payload, manifest=manifest, format=mime,
                                         title=job.dest.name, signer=signer))
                if report.collisions:
                    job.notices.append(f"The watermark payload {payload} was already in the local manifest store "
                                       "with other credentials (an earlier export of the same record); both are "
                                       "kept, and a stripped copy will list both.")
    except StudioError as exc:
        job.notices.append(f"These credentials were not kept in the local manifest store ({exc.message}); a copy "
                           "of this file stripped of them cannot be matched back to them.")


def recover(path: Path, ctx: PluginContext, anchors: trust.TrustAnchors | None) -> dict[str, Any]:
    """``{"recovered": ..., "soft_bindings": [...]}`` for a file without credentials of its own."""
    out: dict[str, Any] = {"recovered": None, "soft_bindings": []}
    store = store_for(ctx.settings)
    try:
        store.open(create=False)
        # the store's payloads: a mark found whose payload no longer decodes may still match one of them
        candidates = {WATERMARK_ALG: [bytes.fromhex(p) for p in store.payloads(WATERMARK_ALG) if _is_hex(p)]}
    except StoreError as exc:
        store.close()
        found = ctx.find_soft_bindings(path)
        missing = not store.path.exists()
        out["soft_bindings"] = [b.to_dict() | {"matches": 0} for b in found]
        if found:
            out["store_note"] = ("The local manifest store is empty: no manifest to match." if missing
                                 else str(exc))
        return out
    try:
        found = ctx.find_soft_bindings(path, candidates)
        for binding in found:
            entries = store.find(binding.alg, binding.hex)
            out["soft_bindings"].append(binding.to_dict() | {"matches": len(entries)})
            if entries and out["recovered"] is None:
                out["recovered"] = describe(path, binding.alg, binding.hex, binding.log10_p, entries, anchors)
    except StoreError as exc:
        out["store_note"] = str(exc)
    finally:
        store.close()
    return out


def _is_hex(text: str) -> bool:
    try:
        bytes.fromhex(text)
    except ValueError:
        return False
    return True


def describe(path: Path, alg: str, payload: str, log10_p: float | None, entries: list[Entry],
             anchors: trust.TrustAnchors | None) -> dict[str, Any]:
    """The recovered manifest (the most recently stored one), re-verified; every match listed."""
    entry = entries[0]
    checked = reverify(path, entry, anchors)
    keys = ("state", "summary", "failures", "failure_details", "signer", "signer_trusted", "time", "time_source",
            "claim_generator", "actions", "ai_tool_used", "ai_declared_in", "ingredients", "identities", "title",
            "manifest_label", "content_binding")
    recovered: dict[str, Any] = {"source": "watermark", "alg": alg, "payload": payload, "log10_p": log10_p,
                                 **{k: checked.get(k) for k in keys},
                                 "exported_as": entry.title, "stored": entry.stored, "note": NOT_THIS_FILE,
                                 "collision": len(entries) > 1, "matches": [e.summary() for e in entries]}
    if len(entries) > 1:
        recovered["note"] += (f" {len(entries)} different manifests were kept under this payload (a collision): "
                              "the most recent is shown, every one is listed.")
    return recovered


def reverify(path: Path, entry: Entry, anchors: trust.TrustAnchors | None) -> dict[str, Any]:
    """Verify the stored manifest now, against ``path``; its state leaves out the hash binding to the file."""
    import io

    import c2pa

    from .signing import sniff
    from .verify import STATES, UNTRUSTED, describe_store

    context = trust.make_context(trust.reader_settings(anchors))
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
        mime = _mime(sniff(head)) or entry.format
        try:
            with open(path, "rb") as fh, c2pa.Reader(mime, fh, entry.manifest, context) as reader:
                store = json.loads(reader.json())
        except c2pa.C2paError:  # a file the library cannot pair with it: check the manifest on its own
            with c2pa.Reader("application/c2pa", io.BytesIO(entry.manifest), None, context) as reader:
                store = json.loads(reader.json())
    except (c2pa.C2paError, OSError, ValueError) as exc:
        return {"state": "invalid", "summary": f"The stored manifest cannot be read: {exc}.", "failures": [],
                "content_binding": "unknown"}
    finally:
        context.close()
    result = describe_store(store)
    results = (store.get("validation_results") or {}).get("activeManifest") or {}
    successes = {str(e.get("code")) for e in results.get("success") or [] if isinstance(e, dict)}
    matched = any(code in successes for code in HARD_BINDING_MATCHES)
    codes = [c for c in result["failures"] if c not in HARD_BINDING_FAILURES]
    result["failure_details"] = [d for d in result["failure_details"] if d["code"] not in HARD_BINDING_FAILURES]
    result["failures"] = codes
    if any(c != UNTRUSTED for c in codes):
        state = "invalid"
    elif UNTRUSTED in codes or "signingCredential.trusted" not in successes:
        state = "valid"
    else:
        state = STATES.get("Trusted", "trusted")
    result["state"] = state
    result["summary"] = _summary(state)
    result["content_binding"] = ("matches this file" if matched else
                                 "does not match this file: it was re-encoded or edited after the export")
    return result


def _summary(state: str) -> str:
    return {"trusted": "The recovered credentials are intact and signed by a signer you trust.",
            "valid": "The recovered credentials are intact, but their signer is not on your trust list.",
            "invalid": "The recovered credentials fail verification: they cannot be relied on."}[state]


def _mime(kind: str | None) -> str | None:
    from studio.api import formats

    known = formats.BY_NAME.get(kind or "")
    return known.mime if known else None
