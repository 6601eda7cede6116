"""Verifying a file's Content Credentials with c2pa-python, offline.

:func:`verify` returns plain data (the ``studio verify --json`` document):
``state`` is one of ``no-credentials``, ``remote`` (the file points to credentials
stored online, at ``remote.url``; not fetched unless asked), ``invalid``,
``valid`` (intact, signer not trusted) and ``trusted``, as the library's
validation state gives it; ``failures`` lists the C2PA status codes of the
active manifest, each explained in ``failure_details``; then who signed and
when, the app used, the actions, whether an AI tool was used, and the
ingredients as a tree, each with its own state.

Identity assertions (CAWG, ``cawg.identity``) are reported in ``identities``,
each with its own state and codes: an untrusted identity credential is the
identity's outcome, never the manifest's (as c2pa-rs reports them), so
``cawg.*`` codes are kept out of ``failures``.

"AI tool used" looks through the ingredients, as the Content Credentials
Verify page does: it is true when the file's own actions or those of any
ingredient's manifest (recursively, as embedded in the store) declare a
generative-AI source type, and ``ai_declared_in`` says where.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from studio.api import BadInputError, formats

from . import explain, trust
from .signing import sniff

STATES = {"Trusted": "trusted", "Valid": "valid", "Invalid": "invalid"}
UNTRUSTED = "signingCredential.untrusted"
MAX_DEPTH = 12


def verify(path: str | Path, anchors: trust.TrustAnchors | None = None,
           thumbnails: dict[str, bytes] | None = None, allow_network: bool = False,
           fetch: Callable[[str], bytes] | None = None) -> dict[str, Any]:
    """Check ``path``; when ``thumbnails`` is a dict, fill it with thumbnail bytes by identifier.

    With ``allow_network``, a manifest stored online is fetched (:func:`.remote.fetch`, or ``fetch``) and
    verified against the file; otherwise, and when fetching fails, the state is ``remote``.
    """
    import c2pa

    path = Path(path)
    _check_readable(path)
    context = trust.make_context(trust.reader_settings(anchors))
    base: dict[str, Any] = {"file": str(path), "trust_anchors": anchors.sources if anchors else []}
    try:
        try:
            reader = c2pa.Reader.try_create(str(path), None, None, context)
        except c2pa.C2paError as exc:
            found = _from_error(path, exc)
            if found["state"] == "remote" and allow_network:
                found = _fetched(path, found, context, fetch)
            return base | found
        if reader is None:
            _check_whole(path)
            return base | no_credentials()
        with reader:
            try:
                store = json.loads(reader.json())
                result = describe_store(store)
                result["embedded"] = bool(reader.is_embedded())
                if not result.get("format"):
                    with open(path, "rb") as fh:
                        kind = sniff(fh.read(16)) or ""
                        known = formats.BY_NAME.get(kind)
                        result["format"] = known.mime if known else ("image/heif" if kind == "HEIF" else "")
                if thumbnails is not None:
                    _collect_thumbnails(reader, result, thumbnails)
            except c2pa.C2paError as exc:
                return base | _from_error(path, exc)
        return base | result
    finally:
        context.close()


def _fetched(path: Path, offline: dict[str, Any], context: Any,
             fetch: Callable[[str], bytes] | None) -> dict[str, Any]:
    """The remote manifest fetched and verified against ``path``; ``offline`` with the error if that fails."""
    import c2pa

    from . import remote

    url = offline["remote"].get("url")
    try:
        if not url:
            raise remote.RemoteError("The file does not say where its remote manifest is; nothing was fetched.")
        data = (fetch or remote.fetch)(url)
        with open(path, "rb") as fh:
            kind = sniff(fh.read(16)) or ""
        known = formats.BY_NAME.get(kind)
        mime = known.mime if known else "application/octet-stream"
        with open(path, "rb") as fh, c2pa.Reader(mime, fh, data, context) as reader:
            result = describe_store(json.loads(reader.json()))
    except remote.RemoteError as exc:
        failed = dict(offline)
        failed["remote"] = offline["remote"] | {"error": str(exc), "network_used": True}
        return failed
    except c2pa.C2paError as exc:
        failed = dict(offline)
        failed["remote"] = offline["remote"] | {"error": f"The manifest fetched from {url} cannot be read: {exc}.",
                                               "network_used": True}
        return failed
    note = (f"The Content Credentials were fetched from {url} ({len(data):,} bytes) because --allow-network was "
            "given: the only network access Studio makes.")
    result["remote"] = {"url": url, "verifiable_offline": False, "fetched": True, "bytes": len(data),
                        "network_used": True, "note": note}
    result["embedded"] = False
    return result


def declares_ai(path: str | Path) -> bool:
    """Whether ``path``'s Content Credentials declare generative AI: in its own manifest or any ingredient's.

    False when it carries none or they cannot be read. Used when a file becomes an ingredient, so that
    what is made from it declares it too.
    """
    import c2pa

    context = trust.make_context(trust.reader_settings(None))
    try:
        reader = c2pa.Reader.try_create(str(path), None, None, context)
        if reader is None:
            return False
        with reader:
            store = json.loads(reader.json())
        return bool(describe_store(store)["ai_tool_used"])
    except (c2pa.C2paError, OSError, ValueError):
        return False
    finally:
        context.close()


def no_credentials() -> dict[str, Any]:
    return {"state": "no-credentials", "summary": explain.STATE_SUMMARIES["no-credentials"], "failures": [],
            "failure_details": [], "manifests": 0, "ingredients": [], "actions": [], "ai_tool_used": False,
            "ai_declared_in": []}


def _check_readable(path: Path) -> None:
    from studio.api import check_file

    check_file(path, "a file")


def _check_whole(path: Path) -> None:
    """A file without credentials: still refuse it if it is a damaged image (say so, not 'no credentials')."""
    with open(path, "rb") as fh:
        kind = sniff(fh.read(16))
    if kind not in ("JPEG", "PNG", "WEBP", "TIFF", "GIF"):
        return
    from PIL import Image

    try:
        with Image.open(path) as im:
            im.load()
    except Exception as exc:  # noqa: BLE001 - PIL raises many types for damaged files
        raise BadInputError(f"{path.name} is damaged or truncated: {exc}.") from None


def _from_error(path: Path, exc: Exception) -> dict[str, Any]:
    text = str(exc)
    lower = text.lower()
    remote = re.search(r"remote manifests? from url\s+(\S+)", text, re.IGNORECASE)
    if remote or lower.startswith("remote"):
        return remote_result(remote.group(1) if remote else _xmp_provenance(path))
    if "notsupported" in lower.replace(" ", "") or "type is unsupported" in lower:
        with open(path, "rb") as fh:
            kind = sniff(fh.read(16))
        if kind is None:
            raise BadInputError(f"{path.name} is not a media file whose Content Credentials Studio can check "
                                "(JPEG, PNG, WebP, TIFF, MP4 and other C2PA formats).") from None
        raise BadInputError(f"{path.name} is a {kind} file, a format that cannot carry Content Credentials.") from None
    if "could not be parsed" in lower or "could not parse" in lower:
        raise BadInputError(f"{path.name} is damaged or truncated: {text}.") from None
    # the file reads, but its manifest does not: damaged credentials
    code = "general.error"
    details = [{"code": code, "explanation": f"The Content Credentials in this file are damaged and cannot be "
                                             f"read ({text}).", "library": text}]
    return {"state": "invalid", "summary": "This file carries Content Credentials that are damaged and cannot "
                                           "be read, so nothing in them can be relied on.",
            "failures": [code], "failure_details": details, "error": text, "manifests": 0, "ingredients": [],
            "actions": [], "ai_tool_used": False, "ai_declared_in": []}


def remote_result(url: str | None) -> dict[str, Any]:
    where = url or "an address the file does not state"
    note = (f"The Content Credentials of this file are stored remotely, at {where}; they cannot be verified "
            "offline, and Studio does not fetch them unless asked ('studio verify --allow-network').")
    return no_credentials() | {"state": "remote", "summary": note,
                               "remote": {"url": url, "verifiable_offline": False, "fetched": False, "note": note}}


def _xmp_provenance(path: Path) -> str | None:
    with open(path, "rb") as fh:
        head = fh.read(4 << 20)
    match = re.search(rb'dcterms:provenance="([^"]+)"', head)
    return match.group(1).decode("utf-8", "replace") if match else None


def _signer(manifest: dict[str, Any]) -> dict[str, Any]:
    info = manifest.get("signature_info") or {}
    return {"organization": info.get("issuer"), "common_name": info.get("common_name"),
            "algorithm": info.get("alg"), "serial": info.get("cert_serial_number")}


def _generator(manifest: dict[str, Any]) -> str:
    if manifest.get("claim_generator"):
        return str(manifest["claim_generator"])
    parts = []
    for info in manifest.get("claim_generator_info") or []:
        if isinstance(info, dict) and info.get("name"):
            parts.append(f"{info['name']} {info.get('version', '')}".strip())
    return ", ".join(parts)


def _agent(value: Any) -> str:
    if isinstance(value, dict):
        return f"{value.get('name', '')} {value.get('version', '')}".strip()
    return str(value) if value else ""


def _actions(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for assertion in manifest.get("assertions") or []:
        if not str(assertion.get("label", "")).startswith("c2pa.actions"):
            continue
        for act in (assertion.get("data") or {}).get("actions") or []:
            name = str(act.get("action", ""))
            short, plain, ai = explain.source_type(act.get("digitalSourceType"))
            params = act.get("parameters") or {}
            item = {"action": name, "label": explain.action(name), "when": act.get("when"),
                    "software_agent": _agent(act.get("softwareAgent")),
                    "description": act.get("description") or params.get("description") or "",
                    "digital_source_type": short or None, "source": plain or None, "ai": ai}
            model = params.get("org.studio.model")
            if isinstance(model, dict):
                item["model"] = model
            out.append(item)
    return out


IDENTITY_PREFIX = "cawg."


def _codes(entries: Any, identity: bool = False) -> list[dict[str, str]]:
    """Status entries as dicts: the manifest's own (default) or, with ``identity``, the CAWG identity codes."""
    return [{"code": str(e.get("code")), "library": str(e.get("explanation", "")), "url": str(e.get("url", ""))}
            for e in entries or [] if isinstance(e, dict) and e.get("code")
            and str(e.get("code")).startswith(IDENTITY_PREFIX) == identity]


def _identities(manifest: dict[str, Any], results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each CAWG identity assertion of the active manifest with its own state (trusted, untrusted, invalid)."""
    out = []
    for assertion in manifest.get("assertions") or []:
        label = str(assertion.get("label", ""))
        if not label.startswith("cawg.identity"):
            continue
        data = assertion.get("data") or {}
        info = data.get("signature_info") or {}
        payload = data.get("signer_payload") or {}

        def mine(kind: str, label: str = label) -> list[dict[str, str]]:
            return [e for e in _codes(results.get(kind), identity=True)
                    if e["url"].endswith(f"/{label}") or e["url"].endswith(f"={label}")]

        failures, successes = mine("failure"), mine("success")
        codes = [e["code"] for e in failures]
        if any(not c.endswith(".untrusted") for c in codes):
            state = "invalid"
        elif codes:
            state = "untrusted"
        elif any(e["code"].endswith("credential.trusted") for e in successes):
            state = "trusted"
        else:
            state = "untrusted" if payload.get("sig_type") == "cawg.x509.cose" else "valid"
        out.append({
            "label": label, "state": state, "summary": explain.IDENTITY_STATES.get(state, ""),
            "sig_type": payload.get("sig_type"),
            "named": {"common_name": info.get("common_name"), "organization": info.get("issuer")},
            "failures": codes,
            "failure_details": [{"code": e["code"], "explanation": explain.IDENTITY_CODES.get(e["code"])
                                 or explain.failure(e["code"], e["library"]), "library": e["library"]}
                                for e in failures],
            "successes": [e["code"] for e in successes],
        })
    return out


def _state_from(codes: list[str]) -> str:
    if any(c != UNTRUSTED for c in codes):
        return "invalid"
    return "valid" if UNTRUSTED in codes else "trusted"


def _details(entries: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{"code": e["code"], "explanation": explain.failure(e["code"], e["library"]), "library": e["library"]}
            for e in entries]


def _ingredient_checks(store: dict[str, Any], owner: str, ingredient: dict[str, Any]
                       ) -> tuple[list[dict[str, str]], set[str], str]:
    """(failures, success codes, how it was checked) for one ingredient's credentials.

    C2PA 2 ingredients carry the results their signer recorded when adding them;
    the reader re-checks that the ingredient's manifest is unchanged and reports
    only differences ("deltas"). Older ingredients are validated in full.
    """
    label = str(ingredient.get("label", ""))
    target = str(ingredient.get("active_manifest", ""))
    failures: list[dict[str, str]] = []
    successes: set[str] = set()
    recorded = ingredient.get("validation_results") or {}
    recorded_active = recorded.get("activeManifest") or {}
    failures += _codes(recorded_active.get("failure")) or _codes(ingredient.get("validation_status"))
    successes |= {e["code"] for e in _codes(recorded_active.get("success"))}
    how = "recorded by the signer when it was added" if recorded else "checked now"
    results = store.get("validation_results") or {}
    for delta in results.get("ingredientDeltas") or []:
        uri = str(delta.get("ingredientAssertionURI", ""))
        if label and uri.endswith(f"/{owner}/c2pa.assertions/{label}"):
            deltas = delta.get("validationDeltas") or {}
            failures += _codes(deltas.get("failure"))
            successes |= {e["code"] for e in _codes(deltas.get("success"))}
            if recorded and "ingredient.manifest.validated" in successes:
                how = "recorded by the signer when it was added; unchanged since (checked now)"
    for entry in _codes(store.get("validation_status")):
        if target and f"/{target}/" in entry["url"] + "/":
            failures.append(entry)
    unique = list({e["code"]: e for e in failures}.values())
    return unique, successes, how


def _ingredient_state(codes: list[str], successes: set[str]) -> str:
    state = _state_from(codes)
    if state == "trusted" and "signingCredential.trusted" not in successes:
        return "valid"  # intact, but nobody established that its signer is trusted
    return state


def _ingredients(store: dict[str, Any], owner: str, depth: int) -> list[dict[str, Any]]:
    manifests = store.get("manifests") or {}
    out = []
    for ing in (manifests.get(owner) or {}).get("ingredients") or []:
        target = ing.get("active_manifest")
        relationship = str(ing.get("relationship", "componentOf"))
        item: dict[str, Any] = {
            "title": ing.get("title") or "(untitled)", "relationship": relationship,
            "relationship_label": explain.RELATIONSHIPS.get(relationship, relationship),
            "format": ing.get("format"), "description": ing.get("description") or "",
            "thumbnail": (ing.get("thumbnail") or {}).get("identifier"),
            "has_credentials": bool(target), "ingredients": [],
        }
        if not target:
            item.update(state="no-credentials", failures=[], failure_details=[])
        else:
            entries, successes, how = _ingredient_checks(store, owner, ing)
            codes = [e["code"] for e in entries]
            item.update(state=_ingredient_state(codes, successes), failures=codes, failure_details=_details(entries),
                        checked=how)
            if target in manifests and depth < MAX_DEPTH:
                item.update(_manifest_facts(store, target, depth + 1))
            elif target not in manifests:
                item.update(state="invalid", failures=codes + ["ingredient.manifest.missing"])
        out.append(item)
    return out


THIS_FILE = "this file"


def _ai_declared_in(actions: list[dict[str, Any]], ingredients: list[dict[str, Any]]) -> list[str]:
    """Where generative AI is declared: "this file" (its own actions) and ingredients ("ingredient 'a' › 'b'")."""
    where = [THIS_FILE] if any(a["ai"] for a in actions) else []
    for item in ingredients:
        for inner in item.get("ai_declared_in") or []:
            title = f"'{item['title']}'"
            where.append(f"ingredient {title}" if inner == THIS_FILE
                         else f"ingredient {title} › {inner.removeprefix('ingredient ')}")
    return list(dict.fromkeys(where))


def _manifest_facts(store: dict[str, Any], label: str, depth: int) -> dict[str, Any]:
    manifest = (store.get("manifests") or {}).get(label) or {}
    actions = _actions(manifest)
    signature_time = (manifest.get("signature_info") or {}).get("time")
    declared = next((a["when"] for a in actions if a.get("when")), None)
    ingredients = _ingredients(store, label, depth)
    ai_declared_in = _ai_declared_in(actions, ingredients)
    return {
        "signer": _signer(manifest),
        "time": signature_time or declared,
        "time_source": ("trusted time-stamp" if signature_time
                        else "declared by the signer, not time-stamped" if declared else None),
        "claim_generator": _generator(manifest),
        "actions": actions,
        "ai_tool_used": bool(ai_declared_in),
        "ai_declared_in": ai_declared_in,
        "ingredients": ingredients,
        "manifest_label": label,
    }


def describe_store(store: dict[str, Any]) -> dict[str, Any]:
    """The verification document for a manifest store read by c2pa-python."""
    label = str(store.get("active_manifest") or "")
    manifests = store.get("manifests") or {}
    active = manifests.get(label) or {}
    results = store.get("validation_results") or {}
    entries = _codes((results.get("activeManifest") or {}).get("failure"))
    if not results:  # older readers: the flat list, restricted to the active manifest
        entries = [e for e in _codes(store.get("validation_status")) if f"/{label}/" in e["url"] + "/"]
    codes = list(dict.fromkeys(e["code"] for e in entries))
    state = STATES.get(str(store.get("validation_state")), _state_from(codes))
    if state != "invalid" and any(c != UNTRUSTED for c in codes):
        state = "invalid"
    facts = _manifest_facts(store, label, 0)
    identities = _identities(active, results.get("activeManifest") or {})
    successes = {e["code"] for e in _codes((results.get("activeManifest") or {}).get("success"))}
    summary = explain.STATE_SUMMARIES[state]
    if state == "valid" and not codes and "signingCredential.trusted" in successes and identities:
        summary = explain.TRUSTED_BUT_IDENTITY  # c2pa-rs says Valid: an identity's credential is not trusted
    elif state == "valid" and not codes:
        summary = ("Content Credentials are intact, but an ingredient's signer is not on your trust list "
                   "(see the ingredients).")
    if facts["ai_tool_used"]:
        if THIS_FILE in facts["ai_declared_in"]:
            summary += " An AI tool was used."
        else:
            summary += (" An AI tool was used: an ingredient's credentials declare it ("
                        + ", ".join(w.removeprefix("ingredient ") for w in facts["ai_declared_in"]) + ").")
    return {
        "state": state,
        "summary": summary,
        "failures": codes,
        "failure_details": _details(entries),
        "validation_state": store.get("validation_state"),
        "title": active.get("title"),
        "format": active.get("format"),
        "thumbnail": (active.get("thumbnail") or {}).get("identifier"),
        "manifests": len(manifests),
        "signer_trusted": "signingCredential.trusted" in successes,
        "identities": identities,
        **facts,
    }


def _collect_thumbnails(reader: Any, result: dict[str, Any], out: dict[str, bytes]) -> None:
    import io

    def grab(identifier: str | None) -> None:
        if not identifier or identifier in out:
            return
        buffer = io.BytesIO()
        try:
            reader.resource_to_stream(identifier, buffer)
        except Exception:  # noqa: BLE001 - a missing thumbnail is not worth failing a report
            return
        out[identifier] = buffer.getvalue()

    grab(result.get("thumbnail"))

    def walk(items: list[dict[str, Any]]) -> None:
        for item in items:
            grab(item.get("thumbnail"))
            walk(item.get("ingredients") or [])

    walk(result.get("ingredients") or [])
