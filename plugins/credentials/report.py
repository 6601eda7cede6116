"""The verification as the user sees it: a report section (GUI Verify view) and CLI text."""

from __future__ import annotations

import base64
import io
from typing import Any

from studio.api import Finding, ReportSection, Signal, TreeNode

from . import explain

TITLE = "Content Credentials"
INDENT = "\u00a0\u00a0\u00a0"  # non-breaking, so the Verify view keeps the tree's indentation
THUMB_EDGE = 128


def signer_text(signer: dict[str, Any] | None) -> str:
    signer = signer or {}
    parts = [p for p in (signer.get("organization"), signer.get("common_name")) if p]
    return " — ".join(dict.fromkeys(parts)) or "unknown"


def time_text(result: dict[str, Any]) -> str:
    if not result.get("time"):
        return "unknown"
    return f"{result['time']} ({result.get('time_source') or 'source unknown'})"


def _action_text(action: dict[str, Any]) -> str:
    text = action["label"]
    if action.get("description"):
        text += f": {action['description']}"
    if action.get("source"):
        text += f" — {action['source']}"
    if action.get("software_agent"):
        text += f" (with {action['software_agent']})"
    return text


def _tree_lines(items: list[dict[str, Any]], depth: int = 0) -> list[tuple[int, dict[str, Any]]]:
    lines: list[tuple[int, dict[str, Any]]] = []
    for item in items:
        lines.append((depth, item))
        lines += _tree_lines(item.get("ingredients") or [], depth + 1)
    return lines


def _ingredient_text(item: dict[str, Any]) -> str:
    text = f"{item['title']} — {item['relationship_label'].split(' (')[0]}, {item['state']}"
    if item.get("has_credentials"):
        text += f", signed by {signer_text(item.get('signer'))}"
    if item.get("ai_tool_used"):
        text += ", AI tool used"
    return text


def _ingredient_explanation(item: dict[str, Any]) -> str:
    parts = []
    if not item.get("has_credentials"):
        parts.append("This ingredient carried no Content Credentials of its own.")
    parts += [f"{d['code']}: {d['explanation']}" for d in item.get("failure_details") or []]
    if item.get("description"):
        parts.append(item["description"])
    return " ".join(parts)


def ai_where(result: dict[str, Any]) -> str:
    """Where generative AI is declared, in words: "this file's own actions; ingredient 'generated.png'"."""
    return "; ".join("this file's own actions" if w == "this file" else w for w in result.get("ai_declared_in") or [])


def ai_explanation(result: dict[str, Any]) -> str:
    if result.get("ai_tool_used"):
        return f"A generative-AI source is declared by {ai_where(result)}."
    return ("No action in this file's credentials or in its ingredients' declares a generative-AI source; "
            "that is not proof none was used.")


def _offline_remote(result: dict[str, Any]) -> bool:
    return bool(result.get("remote")) and not result["remote"].get("fetched")


def identity_text(identity: dict[str, Any]) -> str:
    named = signer_text(identity.get("named"))
    return f"{named} — {identity['state']}" + (f" ({', '.join(identity['failures'])})" if identity["failures"] else "")


def recovered_findings(result: dict[str, Any]) -> list[Finding]:
    """What the watermark recovered from the local manifest store (apart from the file's own state)."""
    found = result.get("recovered")
    out: list[Finding] = []
    if not found:
        for binding in result.get("soft_bindings") or []:
            out.append(Finding("Watermark payload", binding["value"], "Found in the pixels, but no manifest is kept "
                               "under it in your local manifest store (it was exported elsewhere, or unsigned)."))
        return out
    out.append(Finding("Recovered credentials", f"{found['state']} — signed by {signer_text(found.get('signer'))}",
                       found["note"]))
    out.append(Finding("Recovered through", f"watermark payload {found['payload']} ({found['alg']})",
                       f"Exported as {found.get('exported_as') or 'unknown'}; its hash binding "
                       f"{found.get('content_binding') or 'was not checked'}."))
    for action in found.get("actions") or []:
        out.append(Finding("Recovered action", _action_text(action), when_text(action.get("when"))))
    if found.get("collision"):
        out.append(Finding("Collision", f"{len(found['matches'])} manifests under this payload",
                           "Every one is kept; the most recent is shown."))
    return out


def section(result: dict[str, Any], thumbnails: dict[str, bytes] | None = None) -> ReportSection:
    """The Verify view's section for a verification result."""
    findings: list[Finding] = []
    state = result["state"]
    if result.get("remote"):
        findings.append(Finding("Stored remotely", result["remote"].get("url") or "address unknown",
                                result["remote"]["note"]))
    if result.get("manifests"):
        findings.append(Finding("Signed by", signer_text(result.get("signer")),
                                "The organisation and name in the signer's certificate."))
        findings.append(Finding("Signed at", time_text(result)))
        findings.append(Finding("App or device used", result.get("claim_generator") or "not stated"))
        for action in result.get("actions") or []:
            findings.append(Finding("Action", _action_text(action), action.get("when") or ""))
        findings.append(Finding("AI tool used", "yes" if result.get("ai_tool_used") else "not declared",
                                ai_explanation(result)))
    for detail in result.get("failure_details") or []:
        findings.append(Finding("Problem", detail["code"], detail["explanation"]))
    for identity in result.get("identities") or []:
        findings.append(Finding("Identity", identity_text(identity), identity["summary"]))
    findings += recovered_findings(result)
    for depth, item in _tree_lines(result.get("ingredients") or []):
        findings.append(Finding("Ingredient", INDENT * depth + ("↳ " if depth else "") + _ingredient_text(item),
                                _ingredient_explanation(item)))
    images = _images(result, thumbnails or {})
    data = {k: v for k, v in result.items() if k != "file"}
    if images:
        data["images"] = images
    outcome, tone = outcome_of(result)
    return ReportSection(title=TITLE, state=state, summary=result["summary"], findings=findings,
                         can_tell=explain.CAN_TELL, cannot_tell=explain.CANNOT_TELL, data=data,
                         outcome=outcome, tone=tone, headline=headline(result), details=details(result),
                         tree=tree(result, thumbnails or {}), plain_findings=plain_findings(result),
                         signals=[ai_signal(result)])


AI_SIGNAL = "credentials.ai_assertion"


def ai_signal(result: dict[str, Any]) -> Signal:
    """Whether readable Content Credentials declare a generative-AI source (in the file or an ingredient).

    ``not-run`` when the file has no readable manifest; flagged when one declares it, whether or not the
    signature verifies (the section's state says that). Natural photos carry no such declaration.
    """
    from pathlib import Path

    from studio.api import load_calibration

    rate = load_calibration(Path(__file__).with_name("calibration.json")).rate(AI_SIGNAL)
    label = "Content Credentials declare a generative-AI source (trainedAlgorithmicMedia or a composite with it)"
    if not result.get("manifests"):
        return Signal(AI_SIGNAL, label, None, "not-run", rate)
    declared = bool(result.get("ai_tool_used"))
    return Signal(AI_SIGNAL, label, 1.0 if declared else 0.0, "flagged" if declared else "clear", rate)


# -- the window's Verify page: plain words first, the raw codes under "Details" -------------------------------------
OUTCOMES = {  # state: (the outcome in words, the banner's tone)
    "trusted": ("Trusted Content Credentials", "trusted"),
    "valid": ("Valid Content Credentials, from a signer you do not know", "caution"),
    "invalid": ("Content Credentials that fail verification: tampered or invalid", "bad"),
    "no-credentials": ("No Content Credentials", "neutral"),
    "remote": ("Content Credentials stored online: not checked offline", "neutral"),
}
INGREDIENT_STATES = {"trusted": "trusted signer", "valid": "intact, signer not on your trust list",
                     "invalid": "fails verification", "no-credentials": "no Content Credentials of its own"}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def outcome_of(result: dict[str, Any]) -> tuple[str, str]:
    """The outcome in words and the tone of the banner (trusted, caution, bad, neutral)."""
    if _offline_remote(result):
        return "Content Credentials stored online: not checked offline", "neutral"
    if result["state"] == "no-credentials" and result.get("recovered"):
        return "No Content Credentials in this file; credentials recovered through its watermark", "neutral"
    return OUTCOMES.get(result["state"], ("Content Credentials could not be checked", "neutral"))


def when_text(value: str | None) -> str:
    """An ISO time as people write it: "24 Jan 2023, 14:48 UTC" (the text as given if it does not parse)."""
    from datetime import datetime, timezone

    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    zone = " UTC" if moment.tzinfo is not None else ""
    return f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}, {moment:%H:%M}{zone}"


def ai_text(result: dict[str, Any]) -> str:
    where = result.get("ai_declared_in") or []
    if not result.get("ai_tool_used"):
        return "No AI tool declared."
    places = ["this file" if w == "this file" else w for w in where]
    return "AI tool used — declared by " + " and ".join(places) + "."


def headline(result: dict[str, Any]) -> str:
    """Who signed, when, with what app, and whether AI was declared (and where): one or two sentences."""
    if _offline_remote(result):
        return ("This file says its Content Credentials are stored online. Studio works offline and does not "
                "fetch them unless asked, so nothing about who made it was checked.")
    if not result.get("manifests"):
        if result["state"] == "invalid":
            return "This file carries Content Credentials that are damaged and cannot be read."
        found = result.get("recovered")
        if found:
            return ("This file carries no Content Credentials of its own, but its invisible watermark matches "
                    f"credentials kept in your local manifest store: signed by "
                    f"{signer_text(found.get('signer'))} ({found['state']}). They describe the export that carried "
                    "the mark, not this copy.")
        return ("Nothing in this file says who made it or how. Most files carry no credentials, so this is "
                "not evidence of anything.")
    signer = signer_text(result.get("signer"))
    parts = [f"Signed by {signer if signer != 'unknown' else 'an unnamed signer'}"]
    when = when_text(result.get("time"))
    if when:
        parts.append(f"on {when}")
    if result.get("claim_generator"):
        parts.append(f"with {result['claim_generator']}")
    text = " ".join(parts) + ". " + ai_text(result)
    if result["state"] == "invalid":
        text += " The file or its credentials were changed after signing, so these statements cannot be relied on."
    elif result["state"] == "valid":
        text += " Nobody on your trust list vouches for this signer."
    return text


def plain_findings(result: dict[str, Any]) -> list[Finding]:
    """The window's findings: what was declared, in words (the codes go to :func:`details`)."""
    findings: list[Finding] = []
    if _offline_remote(result):
        findings.append(Finding("Stored online at", result["remote"].get("url") or "an address the file does not "
                                "state", result["remote"].get("error") or "Not fetched: Studio works offline."))
    if result.get("manifests"):
        findings.append(Finding("Signed by", signer_text(result.get("signer")),
                                "The organisation and name in the signer's certificate."))
        when = when_text(result.get("time"))
        source = result.get("time_source") or ""
        findings.append(Finding("Signed on", when or "not stated", source[:1].upper() + source[1:]))
        findings.append(Finding("App or device used", result.get("claim_generator") or "not stated"))
        for action in result.get("actions") or []:
            findings.append(Finding("What was done", _action_text(action), when_text(action.get("when"))))
        findings.append(Finding("AI tool used", "yes" if result.get("ai_tool_used") else "not declared",
                                ai_explanation(result)))
    for detail in result.get("failure_details") or []:
        findings.append(Finding("Problem", detail["explanation"]))
    for identity in result.get("identities") or []:
        findings.append(Finding("Identity", identity_text(identity), identity["summary"]))
    findings += recovered_findings(result)
    return findings


def details(result: dict[str, Any]) -> list[Finding]:
    """The technical lines for "Details": status codes, the verifier's state, certificate facts."""
    out: list[Finding] = []
    if result.get("validation_state"):
        out.append(Finding("Verifier state", str(result["validation_state"])))
    out.append(Finding("State", str(result.get("state", ""))))
    for detail in result.get("failure_details") or []:
        out.append(Finding(detail["code"], detail.get("library") or detail["explanation"]))
    signer = result.get("signer") or {}
    if signer.get("algorithm"):
        out.append(Finding("Signature algorithm", str(signer["algorithm"])))
    if signer.get("serial"):
        out.append(Finding("Certificate serial number", str(signer["serial"])))
    if result.get("manifest_label"):
        out.append(Finding("Active manifest", str(result["manifest_label"])))
    if result.get("manifests"):
        out.append(Finding("Manifests in the file", str(result["manifests"])))
    for _depth, item in _tree_lines(result.get("ingredients") or []):
        for detail in item.get("failure_details") or []:
            out.append(Finding(f"Ingredient '{item['title']}': {detail['code']}", detail["explanation"]))
    anchors = result.get("trust_anchors") or []
    out.append(Finding("Trust anchors", "; ".join(anchors) if anchors else "none"))
    return out


def tree(result: dict[str, Any], thumbnails: dict[str, bytes]) -> list[TreeNode]:
    """This file and its ingredients as a tree, each with its thumbnail (when the credentials hold one)."""
    if not result.get("manifests"):
        return []

    def uri(identifier: str | None) -> str:
        return (_data_uri(thumbnails[identifier]) or "") if identifier in thumbnails else ""

    def node(item: dict[str, Any]) -> TreeNode:
        parts = [item["relationship_label"].split(" (")[0].capitalize(), INGREDIENT_STATES.get(item["state"], "")]
        if item.get("has_credentials"):
            parts.append(f"signed by {signer_text(item.get('signer'))}")
        if item.get("ai_tool_used"):
            parts.append("AI tool used")
        tone = OUTCOMES.get(item["state"], ("", "neutral"))[1]
        return TreeNode(label=item["title"], detail=" · ".join(p for p in parts if p), tone=tone,
                        thumbnail=uri(item.get("thumbnail")),
                        children=[node(i) for i in item.get("ingredients") or []])

    root = TreeNode(label=result.get("title") or "This file", detail="This file",
                    tone=outcome_of(result)[1], thumbnail=uri(result.get("thumbnail")),
                    children=[node(i) for i in result.get("ingredients") or []])
    return [root]


def _images(result: dict[str, Any], thumbnails: dict[str, bytes]) -> list[dict[str, str]]:
    """Small thumbnails of the file and every ingredient, as data URIs for the Verify view."""
    images = []
    if result.get("thumbnail") in thumbnails:
        uri = _data_uri(thumbnails[result["thumbnail"]])
        if uri:
            images.append({"caption": f"{result.get('title') or 'this file'} ({result['state']})", "uri": uri})
    for _depth, item in _tree_lines(result.get("ingredients") or []):
        if item.get("thumbnail") in thumbnails:
            uri = _data_uri(thumbnails[item["thumbnail"]])
            if uri:
                images.append({"caption": f"{item['title']} ({item['state']})", "uri": uri})
    return images


def _data_uri(data: bytes) -> str | None:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            im.thumbnail((THUMB_EDGE, THUMB_EDGE))
            out = io.BytesIO()
            im.convert("RGB").save(out, "JPEG", quality=80)
    except Exception:  # noqa: BLE001 - an unreadable thumbnail is left out
        return None
    return "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def text(result: dict[str, Any]) -> str:
    """``studio verify`` without ``--json``."""
    lines = [f"{result['file']}: {result['state'].upper()}", f"  {result['summary']}"]
    remote = result.get("remote") or {}
    if remote and remote.get("fetched"):
        lines.append(f"  network: {remote['note']}")
    elif remote:
        lines.append(f"  stored at: {remote.get('url') or 'unknown'} (not fetched; cannot be verified offline; "
                     "'--allow-network' fetches it)")
        if remote.get("error"):
            lines.append(f"  network: --allow-network was given, the only network access Studio makes: "
                         f"{remote['error']}")
    if result.get("manifests"):
        lines.append(f"  signed by: {signer_text(result.get('signer'))}")
        lines.append(f"  signed at: {time_text(result)}")
        lines.append(f"  app or device: {result.get('claim_generator') or 'not stated'}")
        for action in result.get("actions") or []:
            lines.append(f"  action: {_action_text(action)}")
        if result.get("ai_tool_used"):
            lines.append(f"  AI tool used: yes (declared by {ai_where(result)})")
    for detail in result.get("failure_details") or []:
        lines.append(f"  problem: {detail['code']} — {detail['explanation']}")
    for identity in result.get("identities") or []:
        lines.append(f"  identity: {identity_text(identity)} — {identity['summary']}")
    found = result.get("recovered")
    if found:
        lines.append(f"  recovered through the watermark (payload {found['payload']}): {found['state'].upper()}, "
                     f"signed by {signer_text(found.get('signer'))}; exported as {found.get('exported_as')}")
        lines.append(f"    {found['summary']} {found['note']}")
        for action in found.get("actions") or []:
            lines.append(f"    action: {_action_text(action)}")
        if found.get("collision"):
            lines.append(f"    collision: {len(found['matches'])} manifests are kept under this payload")
    for binding in [] if found else result.get("soft_bindings") or []:
        lines.append(f"  watermark payload {binding['value']}: no manifest kept under it in the local store")
    if result.get("store_note"):
        lines.append(f"  manifest store: {result['store_note']}")
    for depth, item in _tree_lines(result.get("ingredients") or []):
        lines.append("  " + "  " * depth + f"ingredient: {_ingredient_text(item)}")
        for detail in item.get("failure_details") or []:
            lines.append("  " + "  " * depth + f"  problem: {detail['code']} — {detail['explanation']}")
    if result.get("trust_anchors"):
        lines.append(f"  trust anchors: {'; '.join(result['trust_anchors'])}")
    else:
        lines.append("  trust anchors: none (no signer can be trusted; see 'studio credentials trust')")
    return "\n".join(lines)
