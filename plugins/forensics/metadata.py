"""Metadata markers: what the file says about where it came from.

Reads the IPTC digital source type in XMP, the text chunks that image
generators write into PNGs (AUTOMATIC1111's ``parameters``, ComfyUI's
``prompt`` and ``workflow``, InvokeAI's metadata, NovelAI, Fooocus, Studio's
own record), generation parameters in EXIF UserComment (AUTOMATIC1111 JPEG and
WebP), EXIF Software, Make and Model, and whether camera EXIF is there at all.
Every marker is a claim the file makes: easy to add, edit or strip.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from studio.api import Finding, ReportSection

from .signals import make
from .source import GPS_IFD, ImageSource

IPTC_PREFIX = "http://cv.iptc.org/newscodes/digitalsourcetype/"
# IPTC digital source types: plain label, and whether it declares generated (or partly generated) media
DIGITAL_SOURCE_TYPES: dict[str, tuple[str, bool]] = {
    "digitalCapture": ("captured by a camera or scanner", False),
    "computationalCapture": ("captured with computational photography", False),
    "negativeFilm": ("scanned from a film negative", False),
    "positiveFilm": ("scanned from a film slide", False),
    "print": ("scanned from a print", False),
    "minorHumanEdits": ("captured, with minor human edits", False),
    "humanEdits": ("edited by a person", False),
    "compositeCapture": ("a composite of captured images", False),
    "algorithmicallyEnhanced": ("captured, then enhanced by algorithms", False),
    "screenCapture": ("a screenshot", False),
    "virtualRecording": ("a recording of a virtual scene", False),
    "dataDrivenMedia": ("made by software from data", False),
    "digitalArt": ("made by a person with digital tools", False),
    "digitalCreation": ("made by a person with digital tools", False),
    "softwareImage": ("made by software", False),
    "trainedAlgorithmicMedia": ("made by a generative AI model", True),
    "compositeWithTrainedAlgorithmicMedia": ("a composite that includes AI-generated parts", True),
    "algorithmicMedia": ("made purely by an algorithm", True),
    "compositeSynthetic": ("a composite including synthetic elements", True),
}
# software names (EXIF Software, XMP CreatorTool, PNG Software) that are image generators
GENERATOR_SOFTWARE = re.compile(
    r"midjourney|dall[\s·.-]?e|stable[\s-]?diffusion|novelai|firefly|imagen|comfyui|invokeai|automatic1111|"
    r"fooocus|leonardo|ideogram|flux|dreamstudio|nightcafe|craiyon|bing image creator|gpt-?4o|sora|runway",
    re.IGNORECASE,
)
EDITOR_SOFTWARE = re.compile(r"photoshop|lightroom|gimp|affinity|pixelmator|snapseed|picsart|canva|facetune",
                             re.IGNORECASE)
CAMERA_TAGS = {0x010F: "Make", 0x0110: "Model", 0xA434: "Lens model", 0x829A: "Exposure time",
               0x829D: "F-number", 0x8827: "ISO", 0x9003: "Taken", 0x920A: "Focal length",
               0xA431: "Body serial number"}
SOFTWARE_TAG, USER_COMMENT, IMAGE_DESCRIPTION = 0x0131, 0x9286, 0x010E
XMP_PACKET = re.compile(rb"<x:xmpmeta.*?</x:xmpmeta>", re.DOTALL)
XMP_FIELD = r"{name}\s*=\s*[\"']([^\"']*)[\"']|<{name}>\s*(?:<rdf:Alt>\s*<rdf:li[^>]*>)?([^<]*)<"


@dataclass
class Markers:
    generator: list[str] = field(default_factory=list)  # why we think a generator made it
    findings: list[Finding] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    camera: dict[str, str] = field(default_factory=dict)
    declared_capture: bool = False
    editors: list[str] = field(default_factory=list)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def xmp_packets(source: ImageSource) -> list[str]:
    """Every XMP packet in the file: the one PIL found, and any other in the bytes."""
    packets = []
    for key in ("xmp", "XML:com.adobe.xmp"):
        if source.info.get(key):
            packets.append(_text(source.info[key]))
    for match in XMP_PACKET.finditer(source.raw):
        text = match.group(0).decode("utf-8", "replace")
        if text not in packets:
            packets.append(text)
    return packets


def xmp_field(packets: list[str], name: str) -> list[str]:
    pattern = re.compile(XMP_FIELD.format(name=re.escape(name)))
    values = []
    for packet in packets:
        for a, b in pattern.findall(packet):
            value = (a or b).strip()
            if value and value not in values:
                values.append(value)
    return values


def read_xmp(source: ImageSource, m: Markers) -> None:
    packets = xmp_packets(source)
    m.data["xmp"] = bool(packets)
    for value in xmp_field(packets, "Iptc4xmpExt:DigitalSourceType"):
        code = value.rsplit("/", 1)[-1]
        label, generated = DIGITAL_SOURCE_TYPES.get(code, (f"'{code}' (not a known IPTC term)", False))
        m.data["digital_source_type"] = code
        m.findings.append(Finding("IPTC digital source type", f"{code}: {label}",
                                  "Declared in the file's XMP metadata by the software that wrote it."))
        if generated:
            m.generator.append(f"the IPTC digital source type says {label}")
        elif code in ("digitalCapture", "computationalCapture", "negativeFilm", "positiveFilm", "print"):
            m.declared_capture = True
    for name, label in (("Iptc4xmpExt:AISystemUsed", "AI system used (IPTC)"),
                        ("Iptc4xmpExt:AIPromptInformation", "AI prompt (IPTC)"),
                        ("xmp:CreatorTool", "Creator tool (XMP)")):
        for value in xmp_field(packets, name):
            m.findings.append(Finding(label, _short(value), "From the file's XMP metadata."))
            if name != "xmp:CreatorTool" or GENERATOR_SOFTWARE.search(value):
                m.generator.append(f"XMP names {_short(value, 60)}")
            elif EDITOR_SOFTWARE.search(value):
                m.editors.append(value)
    agents = xmp_field(packets, "stEvt:softwareAgent")
    if agents:
        m.findings.append(Finding("Edit history (XMP)", _short("; ".join(agents)),
                                  "Software the XMP history says touched the file."))
        m.editors.extend(a for a in agents if EDITOR_SOFTWARE.search(a))
        m.generator.extend(f"the XMP history names {_short(a, 60)}" for a in agents if GENERATOR_SOFTWARE.search(a))


def parse_a1111(text: str) -> dict[str, str]:
    """AUTOMATIC1111's ``parameters``: prompt, negative prompt, then ``Key: value, ...``."""
    lines = text.strip().splitlines()
    result: dict[str, str] = {}
    if not lines:
        return result
    settings_line = lines[-1] if re.search(r"\bSteps:\s*\d+", lines[-1]) else ""
    body = lines[:-1] if settings_line else lines
    prompt: list[str] = []
    negative: list[str] = []
    in_negative = False
    for line in body:
        if line.startswith("Negative prompt:"):
            in_negative = True
            line = line[len("Negative prompt:"):].strip()
        (negative if in_negative else prompt).append(line)
    result["prompt"] = "\n".join(prompt).strip()
    if negative:
        result["negative_prompt"] = "\n".join(negative).strip()
    for key, value in re.findall(r"\s*([\w ]+):\s*(\"[^\"]*\"|[^,]*)(?:,|$)", settings_line):
        result[key.strip()] = value.strip().strip('"')
    return result


def read_text_chunks(source: ImageSource, m: Markers) -> None:
    info = {k: v for k, v in source.info.items() if isinstance(v, (str, bytes))}
    params = info.get("parameters")
    if isinstance(params, str) and params.strip():
        parsed = parse_a1111(params)
        m.data["a1111"] = parsed
        detail = ", ".join(f"{k}: {parsed[k]}" for k in ("Model", "Steps", "Sampler", "Seed") if k in parsed)
        m.findings.append(Finding("Generation parameters (AUTOMATIC1111-style 'parameters' chunk)",
                                  _short(f"prompt “{parsed.get('prompt', '')}”" + (f"; {detail}" if detail else "")),
                                  "Written by AUTOMATIC1111, Forge, SD.Next and other Stable Diffusion front ends."))
        m.generator.append("a PNG 'parameters' chunk holds Stable Diffusion generation settings")
    for key, label in (("prompt", "ComfyUI prompt graph"), ("workflow", "ComfyUI workflow")):
        value = info.get(key)
        if isinstance(value, str) and value.strip():
            nodes = _comfy_nodes(value)
            m.data.setdefault("comfyui", {})[key] = nodes
            m.findings.append(Finding(f"{label} ('{key}' chunk)",
                                      _short(", ".join(nodes[:8]) or "present (not valid JSON)"),
                                      "ComfyUI saves its node graph into every PNG it writes."))
            m.generator.append(f"a ComfyUI '{key}' chunk")
    for key in ("invokeai_metadata", "invokeai_graph", "sd-metadata", "Dream"):
        value = info.get(key)
        if isinstance(value, str) and value.strip():
            m.data.setdefault("invokeai", {})[key] = _short(value, 400)
            m.findings.append(Finding(f"InvokeAI metadata ('{key}' chunk)", _short(value),
                                      "InvokeAI writes its generation settings into the PNG."))
            m.generator.append(f"an InvokeAI '{key}' chunk")
    comment = info.get("Comment")
    if isinstance(comment, str) and ('"sampler"' in comment or '"steps"' in comment):
        m.findings.append(Finding("Generation settings ('Comment' chunk)", _short(comment),
                                  "NovelAI and others store sampler settings as JSON in a 'Comment' chunk."))
        m.generator.append("a 'Comment' chunk holds sampler settings")
    if "fooocus_scheme" in info:
        m.findings.append(Finding("Fooocus metadata", _short(_text(info["fooocus_scheme"])), "Written by Fooocus."))
        m.generator.append("a Fooocus metadata chunk")
    studio = info.get("studio")
    if isinstance(studio, str):
        _read_studio_record(studio, m)
    for key in ("Software", "Source", "Description", "Author"):
        value = info.get(key)
        if isinstance(value, str) and value.strip():
            m.findings.append(Finding(f"PNG text '{key}'", _short(value), "A text chunk in the file."))
            if key in ("Software", "Source") and GENERATOR_SOFTWARE.search(value):
                m.generator.append(f"the '{key}' chunk names {_short(value, 60)}")


def _comfy_nodes(value: str) -> list[str]:
    try:
        graph = json.loads(value)
    except ValueError:
        return []
    nodes = graph.get("nodes", graph) if isinstance(graph, dict) else {}
    items = nodes if isinstance(nodes, list) else list(nodes.values()) if isinstance(nodes, dict) else []
    kinds = []
    for node in items:
        if isinstance(node, dict):
            kind = node.get("class_type") or node.get("type")
            if isinstance(kind, str) and kind not in kinds:
                kinds.append(kind)
    return kinds


def _read_studio_record(text: str, m: Markers) -> None:
    try:
        record = json.loads(text)
    except ValueError:
        return
    if not isinstance(record, dict):
        return
    model = record.get("model") or {}
    value = f"{record.get('action', '?')} by {record.get('software', 'Studio')}"
    if isinstance(model, dict) and model.get("name"):
        value += f" with model {model['name']}"
    m.findings.append(Finding("Studio record ('studio' chunk)", _short(value),
                              "Studio writes what produced an exported PNG into this chunk."))
    if record.get("digital_source") == "trainedAlgorithmicMedia":
        m.generator.append("Studio's own record says a generative model made it")
    elif record.get("digital_source") == "compositeWithTrainedAlgorithmicMedia":
        m.generator.append("Studio's own record says it is made from a generative model's pictures")


def read_exif(source: ImageSource, m: Markers) -> None:
    exif = source.exif
    m.data["exif"] = bool(exif)
    for tag, label in CAMERA_TAGS.items():
        if tag in exif and str(exif[tag]).strip(" \x00"):
            m.camera[label] = _short(_text(exif[tag]).strip(" \x00"), 80)
    if GPS_IFD in exif:
        m.camera["GPS"] = "present"
    software = _text(exif.get(SOFTWARE_TAG, "")).strip(" \x00")
    if software:
        m.findings.append(Finding("EXIF Software", _short(software), "The program that last wrote the file, "
                                  "if it filled in this tag."))
        if GENERATOR_SOFTWARE.search(software):
            m.generator.append(f"EXIF Software names {_short(software, 60)}")
        elif EDITOR_SOFTWARE.search(software):
            m.editors.append(software)
    for tag, label in ((USER_COMMENT, "EXIF UserComment"), (IMAGE_DESCRIPTION, "EXIF ImageDescription")):
        raw = exif.get(tag)
        if raw is None:
            continue
        text = _user_comment(raw) if tag == USER_COMMENT else _text(raw)
        if re.search(r"\bSteps:\s*\d+", text) and re.search(r"\bSampler:", text):
            parsed = parse_a1111(text)
            m.data["a1111"] = parsed
            m.findings.append(Finding(f"Generation parameters ({label})",
                                      _short(f"prompt “{parsed.get('prompt', '')}”"),
                                      "AUTOMATIC1111 writes its settings here in JPEG and WebP files."))
            m.generator.append(f"{label} holds Stable Diffusion generation settings")
    if m.camera:
        m.findings.append(Finding("Camera EXIF", "; ".join(f"{k}: {exif_value(k, v)}" for k, v in m.camera.items()),
                                  "Cameras write these tags; editors can copy them and anyone can forge them."))


def exif_value(label: str, text: str) -> str:
    """A camera tag as photographers write it: "1/250 s", "f/2.8", "50 mm", "1 May 2024, 10:11"."""
    import datetime

    try:
        if label == "Exposure time":
            seconds = float(text)
            if 0 < seconds < 1:
                return f"1/{round(1 / seconds)} s"
            return f"{seconds:g} s"
        if label == "F-number":
            return f"f/{float(text):.1f}".replace(".0", "") if float(text) >= 10 else f"f/{float(text):.1f}"
        if label == "Focal length":
            return f"{float(text):g} mm"
        if label == "Taken":
            moment = datetime.datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")
            return f"{moment.day} {moment:%b %Y, %H:%M}"
    except (ValueError, ZeroDivisionError, OverflowError):
        return text
    return text


def _user_comment(raw: Any) -> str:
    if isinstance(raw, bytes):
        head, body = raw[:8], raw[8:]
        if head.startswith(b"UNICODE"):
            for codec in ("utf-16-be", "utf-16-le"):
                text = body.decode(codec, "replace")
                if text.isprintable() or "Steps" in text:
                    return text
        return body.decode("utf-8", "replace") if head.startswith(b"ASCII") else raw.decode("utf-8", "replace")
    return str(raw)


def metadata_section(source: ImageSource) -> ReportSection:
    """The metadata markers section for an image."""
    m = Markers()
    read_xmp(source, m)
    read_text_chunks(source, m)
    read_exif(source, m)
    has_camera = any(k in m.camera for k in ("Make", "Model", "Exposure time", "F-number"))
    if not has_camera:
        m.findings.append(Finding("Camera EXIF", "none",
                                  "No camera make, model or exposure settings. Generated images have none, but "
                                  "screenshots, editors' exports, messaging apps and social networks strip them too."))
    if m.editors:
        m.findings.append(Finding("Editing software named", _short("; ".join(dict.fromkeys(m.editors))),
                                  "The metadata names an image editor; the picture may have been changed."))
    if m.generator:
        state = "generator-marked"
        summary = ("The metadata says an image generator made this: " + "; ".join(dict.fromkeys(m.generator))
                   + ". That is the file's own claim: it is reliable when present only in the sense that "
                   "someone wrote it.")
    elif has_camera:
        state = "camera-metadata"
        summary = (f"Camera EXIF is present ({m.camera.get('Make', '')} {m.camera.get('Model', '')}".rstrip()
                   + ") and no generator markers. EXIF can be copied from another photo or written by hand.")
    else:
        state = "no-markers"
        summary = ("No generator markers and no camera EXIF. Most shared pictures look like this: platforms strip "
                   "metadata, so its absence says little either way.")
    m.data.update({"generator_markers": list(dict.fromkeys(m.generator)), "camera": m.camera,
                   "format": source.format})
    return ReportSection(
        title="Metadata markers",
        state=state,
        summary=summary,
        findings=m.findings,
        can_tell="What the software that wrote the file declared: an IPTC digital source type, generator settings "
                 "(prompt, model, seed), the camera or the editor.",
        cannot_tell="Whether any of it is true. Metadata is trivial to add, edit or strip; its absence is normal "
                    "for pictures that went through a social network or a messaging app.",
        data=m.data,
        signals=[make("forensics.metadata.generator", 1.0 if m.generator else 0.0)],
    )
