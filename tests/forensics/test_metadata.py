"""Metadata markers: generator text chunks, the IPTC digital source type, camera EXIF and its absence."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from studio_plugins.forensics.metadata import metadata_section, parse_a1111
from studio_plugins.forensics.source import open_image

A1111 = ("a lighthouse at dusk, oil painting\nNegative prompt: blurry, text\n"
         "Steps: 28, Sampler: DPM++ 2M Karras, CFG scale: 6.5, Seed: 1234567, Size: 512x512, "
         "Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Version: v1.10.1")
COMFY_PROMPT = {"3": {"class_type": "KSampler", "inputs": {"seed": 5, "steps": 20}},
                "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sd_xl_base_1.0.safetensors"}},
                "9": {"class_type": "SaveImage", "inputs": {"filename_prefix": "ComfyUI"}}}
COMFY_WORKFLOW = {"nodes": [{"id": 3, "type": "KSampler"}, {"id": 9, "type": "SaveImage"}], "links": []}
XMP = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       '<rdf:Description xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
       'Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"/>'
       '</rdf:RDF></x:xmpmeta>')


def picture() -> Image.Image:
    rng = np.random.default_rng(0)
    return Image.fromarray(rng.integers(0, 255, (64, 80, 3), dtype=np.uint8))


def png_with(tmp_path, name: str, **chunks: str):
    info = PngImagePlugin.PngInfo()
    for key, value in chunks.items():
        info.add_text(key, value)
    path = tmp_path / name
    picture().save(path, pnginfo=info)
    return metadata_section(open_image(path))


def finding(section, label_part: str):
    return next(f for f in section.findings if label_part in f.label)


def test_automatic1111_parameters_chunk(tmp_path):
    section = png_with(tmp_path, "a1111.png", parameters=A1111)
    assert section.state == "generator-marked"
    assert section.data["a1111"]["prompt"] == "a lighthouse at dusk, oil painting"
    assert section.data["a1111"]["Steps"] == "28" and section.data["a1111"]["Seed"] == "1234567"
    assert section.data["a1111"]["Model"] == "v1-5-pruned-emaonly"
    found = finding(section, "AUTOMATIC1111")
    assert "lighthouse" in found.value and "Steps: 28" in found.value
    assert "fake" not in section.summary.lower()


def test_comfyui_prompt_and_workflow_chunks(tmp_path):
    section = png_with(tmp_path, "comfy.png", prompt=json.dumps(COMFY_PROMPT), workflow=json.dumps(COMFY_WORKFLOW))
    assert section.state == "generator-marked"
    assert section.data["comfyui"]["prompt"] == ["KSampler", "CheckpointLoaderSimple", "SaveImage"]
    assert section.data["comfyui"]["workflow"] == ["KSampler", "SaveImage"]
    assert "ComfyUI" in finding(section, "prompt graph").label


def test_invokeai_metadata_chunk(tmp_path):
    meta = json.dumps({"generation_mode": "txt2img", "positive_prompt": "a cat", "model": {"name": "sdxl"}})
    section = png_with(tmp_path, "invoke.png", invokeai_metadata=meta)
    assert section.state == "generator-marked"
    assert "a cat" in finding(section, "InvokeAI").value


def test_iptc_digital_source_type_in_png_xmp(tmp_path):
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", XMP)
    path = tmp_path / "xmp.png"
    picture().save(path, pnginfo=info)
    section = metadata_section(open_image(path))
    assert section.state == "generator-marked"
    assert section.data["digital_source_type"] == "trainedAlgorithmicMedia"
    assert "generative AI" in finding(section, "digital source type").value


def test_iptc_digital_source_type_in_jpeg_xmp(tmp_path):
    path = tmp_path / "xmp.jpg"
    picture().save(path, quality=90, xmp=XMP.replace("trainedAlgorithmicMedia", "digitalCapture").encode())
    section = metadata_section(open_image(path))
    assert section.data["digital_source_type"] == "digitalCapture"
    assert section.state == "no-markers"  # a declared capture is not a generator marker, and there is no EXIF


def test_camera_exif_read_from_a_jpeg(tmp_path):
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x0110] = "Canon EOS R5"
    exif[0x0131] = "Firmware Version 1.8.1"
    ifd = exif.get_ifd(0x8769)
    ifd[0x829A] = 1 / 250
    ifd[0x8827] = 400
    ifd[0x9003] = "2024:05:01 10:11:12"
    path = tmp_path / "camera.jpg"
    picture().save(path, quality=92, exif=exif)
    section = metadata_section(open_image(path))
    assert section.state == "camera-metadata"
    assert section.data["camera"]["Make"] == "Canon" and section.data["camera"]["Model"] == "Canon EOS R5"
    assert section.data["camera"]["ISO"] == "400" and section.data["camera"]["Taken"] == "2024:05:01 10:11:12"
    assert finding(section, "EXIF Software").value == "Firmware Version 1.8.1"
    assert "Canon EOS R5" in section.summary


def test_no_camera_exif_is_reported_as_absent_not_as_evidence(tmp_path):
    path = tmp_path / "plain.jpg"
    picture().save(path, quality=90)
    section = metadata_section(open_image(path))
    assert section.state == "no-markers"
    absent = finding(section, "Camera EXIF")
    assert absent.value == "none" and "strip" in absent.explanation
    assert "says little" in section.summary


def test_a1111_parameters_in_jpeg_user_comment(tmp_path):
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9286] = b"UNICODE\x00" + A1111.encode("utf-16-be")
    path = tmp_path / "a1111.jpg"
    picture().save(path, quality=90, exif=exif)
    section = metadata_section(open_image(path))
    assert section.state == "generator-marked"
    assert section.data["a1111"]["Sampler"] == "DPM++ 2M Karras"


def test_generator_software_in_exif(tmp_path):
    exif = Image.Exif()
    exif[0x0131] = "Midjourney v6"
    path = tmp_path / "mj.jpg"
    picture().save(path, quality=90, exif=exif)
    section = metadata_section(open_image(path))
    assert section.state == "generator-marked" and "Midjourney" in " ".join(section.data["generator_markers"])


@pytest.mark.parametrize("text, prompt", [("just a prompt", "just a prompt"),
                                          (A1111, "a lighthouse at dusk, oil painting")])
def test_parse_a1111(text, prompt):
    assert parse_a1111(text)["prompt"] == prompt


def test_studio_export_is_recognised(tmp_path, make_app):
    from studio.document.provenance import Record

    app = make_app()
    record = Record(action="diffusion.generate", title="x", c2pa_action="c2pa.created",
                    digital_source="trainedAlgorithmicMedia", model={"name": "studio-shapes"},
                    parameters_text="a red circle\nSteps: 20, Sampler: Euler, Seed: 1")
    dest = tmp_path / "gen.png"
    app.export.export_image(np.asarray(picture()), dest, record, {"sign": False, "watermark": False})
    section = metadata_section(open_image(dest))
    assert section.state == "generator-marked"
    assert "studio-shapes" in finding(section, "Studio record").value
