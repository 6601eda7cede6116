"""The verification as the user sees it: a report section (GUI Verify view) and CLI text."""

from __future__ import annotations

import base64
import io
from typing import Any

from studio.api import Finding, ReportSection

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
    for depth, item in _tree_lines(result.get("ingredients") or []):
        findings.append(Finding("Ingredient", INDENT * depth + ("↳ " if depth else "") + _ingredient_text(item),
                                _ingredient_explanation(item)))
    images = _images(result, thumbnails or {})
    data = {k: v for k, v in result.items() if k != "file"}
    if images:
        data["images"] = images
    return ReportSection(title=TITLE, state=state, summary=result["summary"], findings=findings,
                         can_tell=explain.CAN_TELL, cannot_tell=explain.CANNOT_TELL, data=data)


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
    if result.get("remote"):
        lines.append(f"  stored at: {result['remote'].get('url') or 'unknown'} (not fetched; cannot be verified "
                     "offline)")
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
    for depth, item in _tree_lines(result.get("ingredients") or []):
        lines.append("  " + "  " * depth + f"ingredient: {_ingredient_text(item)}")
        for detail in item.get("failure_details") or []:
            lines.append("  " + "  " * depth + f"  problem: {detail['code']} — {detail['explanation']}")
    if result.get("trust_anchors"):
        lines.append(f"  trust anchors: {'; '.join(result['trust_anchors'])}")
    else:
        lines.append("  trust anchors: none (no signer can be trusted; see 'studio credentials trust')")
    return "\n".join(lines)
