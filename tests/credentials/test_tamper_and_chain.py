"""Tampering makes credentials invalid; a generate → edit → export chain keeps both manifests."""

import numpy as np
import pytest
from credentials_helpers import actions, active, check, generated_record, manifest_store, studio
from PIL import Image

from studio.document import Layer, Record
from studio.export import ExportStep
from studio.hookspecs import hookimpl
from studio.imageio import load_image
from studio.jobs import Job, JobState, execute


def _flip(path, offset):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x5A
    path.write_bytes(bytes(data))


def _pixel_offset(data: bytes, ext: str) -> int:
    """A byte of compressed image data, away from the manifest."""
    if ext == "jpg":
        return len(data) - 40  # entropy-coded scan data; the manifest sits in APP11 segments up front
    if ext == "png":
        return data.index(b"IDAT") + 20
    if ext == "webp":
        return data.index(b"VP8") + 30
    return 60  # TIFF: the first strip follows the header; the manifest is appended at the end


@pytest.mark.parametrize("ext", ["jpg", "png", "webp", "tif"])
def test_pixels_changed_after_signing_is_invalid_with_the_data_hash_code(app, pixels, tmp_path, ext):
    dest = tmp_path / f"t.{ext}"
    app.export.export_image(pixels, dest, generated_record())
    assert check(dest)["state"] == "trusted"
    _flip(dest, _pixel_offset(dest.read_bytes(), ext))
    result = check(dest)
    assert result["state"] == "invalid"
    assert "assertion.dataHash.mismatch" in result["failures"]
    detail = next(d for d in result["failure_details"] if d["code"] == "assertion.dataHash.mismatch")
    assert detail["explanation"] == "The image content was changed after it was signed."


def test_pixels_changed_and_reencoded_loses_or_breaks_credentials(app, pixels, tmp_path):
    """Re-saving a changed picture drops the manifest: the copy reads as carrying none."""
    dest = tmp_path / "t.png"
    app.export.export_image(pixels, dest, generated_record())
    changed = np.asarray(Image.open(dest).convert("RGB")).copy()
    changed[0, 0] = (1, 2, 3)
    Image.fromarray(changed).save(tmp_path / "resaved.png")
    assert check(tmp_path / "resaved.png")["state"] == "no-credentials"


@pytest.mark.parametrize("where", ["signature", "assertion"])
def test_a_changed_manifest_byte_is_invalid(app, pixels, tmp_path, where):
    dest = tmp_path / "m.jpg"
    app.export.export_image(pixels, dest, generated_record())
    data = dest.read_bytes()
    if where == "signature":  # inside the COSE signature: the claim signature no longer matches
        offset = data.index(b"c2pa.signature") + 120
    else:  # inside the actions assertion's data: its hashed URI no longer matches
        offset = data.index(b"trainedAlgorithmicMedia") + 3
    _flip(dest, offset)
    result = check(dest)
    assert result["state"] == "invalid"
    assert result["failures"] and all(d["explanation"] for d in result["failure_details"])
    cli = studio("verify", dest)
    assert cli.returncode == 3 and "INVALID" in cli.stdout and "Traceback" not in cli.stderr


class Watermarker:
    """A pixel step like the watermark plugin's: it records c2pa.watermarked with its payload."""

    @hookimpl
    def studio_export_steps(self):
        def mark(job, ctx):
            job.pixels = job.pixels.copy()
            job.pixels[0, 0, :3] = (9, 9, 9)
            job.performed.append({"step": "Invisible watermark", "c2pa_action": "c2pa.watermarked",
                                  "alg": "org.studio.watermark.v1", "payload": "00ff00ff00ff00ff"})

        return [ExportStep("Invisible watermark", mark, stage="pixels", order=10, option="watermark")]


def test_watermark_is_recorded_with_its_soft_binding(app, pixels, tmp_path):
    app.host.register(Watermarker(), "watermark-test")
    dest = tmp_path / "w.png"
    app.export.export_image(pixels, dest, generated_record())
    result = check(dest)
    assert result["state"] == "trusted"
    assert [a["action"] for a in result["actions"]] == ["c2pa.created", "c2pa.watermarked"]
    manifest = active(manifest_store(dest))
    binding = next(a for a in manifest["assertions"] if a["label"] == "c2pa.soft-binding")
    assert binding["data"]["alg"] == "org.studio.watermark.v1"
    assert binding["data"]["blocks"] == [{"scope": {}, "value": "AP8A/wD/AP8="}]  # the payload's bytes, base64
    # switched off, there is no watermark action
    app.export.export_image(pixels, dest, generated_record(), {"watermark": False})
    assert [a["action"] for a in check(dest)["actions"]] == ["c2pa.created"]


def test_generate_edit_export_chain_has_two_manifests_and_a_valid_parent(app, pixels, tmp_path):
    generated = tmp_path / "generated.png"
    app.export.export_image(pixels, generated, generated_record())
    # open the export as the CLI does, blur it, export again
    loaded = load_image(generated)
    layer = Layer(loaded.pixels, name=generated.name, record=Record.opened(str(generated), loaded.sha256))
    job = execute(Job(app.action("adjust.blur"), {"image": layer, "radius": 2.0}), app)
    assert job.state == JobState.FINISHED, job.error
    edited = tmp_path / "edited.jpg"
    image = job.result.images[0]
    app.export.export_image(image.pixels, edited, image.record)

    result = check(edited)
    assert result["state"] == "trusted" and result["manifests"] == 2
    assert [(a["action"], a["digital_source_type"]) for a in result["actions"]] == [
        ("c2pa.opened", None), ("c2pa.filtered", "compositeWithTrainedAlgorithmicMedia")]
    # an edit of a generated file says so itself, and the parent's credentials say it too
    assert result["ai_tool_used"] is True
    assert result["ai_declared_in"] == ["this file", "ingredient 'generated.png'"]
    (parent,) = result["ingredients"]
    assert parent["title"] == "generated.png" and parent["relationship"] == "parentOf"
    assert parent["has_credentials"] and parent["state"] == "trusted" and parent["failures"] == []
    assert parent["ai_tool_used"] is True
    assert parent["actions"][0]["digital_source_type"] == "trainedAlgorithmicMedia"
    assert parent["signer"] == result["signer"]
    # the raw store: the edit's opened action points at the parent ingredient
    store = manifest_store(edited)
    opened = actions(active(store))[0]
    assert opened["parameters"]["ingredients"][0]["url"].endswith(active(store)["ingredients"][0]["label"])


def test_in_memory_edits_fold_into_one_manifest(app, pixels, tmp_path):
    """Generate then blur without saving in between: one manifest, created then filtered."""
    layer = Layer(pixels, name="gen", record=generated_record())
    job = execute(Job(app.action("adjust.blur"), {"image": layer, "radius": 1.0}), app)
    dest = tmp_path / "folded.webp"
    app.export.export_image(job.result.images[0].pixels, dest, job.result.images[0].record)
    result = check(dest)
    assert result["manifests"] == 1 and result["ingredients"] == []
    assert [(a["action"], a["digital_source_type"]) for a in result["actions"]] == [
        ("c2pa.created", "trainedAlgorithmicMedia"), ("c2pa.filtered", "compositeWithTrainedAlgorithmicMedia")]
    assert result["ai_tool_used"] is True and result["ai_declared_in"] == ["this file"]


def test_components_and_inputs_carry_their_credentials(app, pixels, tmp_path, samples):
    """Input images that have credentials bring them along as ingredients."""
    from studio.document import Ingredient

    record = Record(action="compose", title="collage", c2pa_action="c2pa.placed", ingredients=[
        Ingredient(title="base", relationship="parentOf", record=Record.opened(str(samples / "adobe-20220124-C.jpg"))),
        Ingredient(title="sticker", relationship="componentOf", path=str(samples / "adobe-20220124-CA.jpg")),
        Ingredient(title="mask", relationship="inputTo", role="Mask"),
    ])
    dest = tmp_path / "collage.png"
    # the signer trusts the test roots: the ingredients' checks are recorded as trusted
    app.settings.plugin_settings("credentials")["trust_anchors"] = [str(samples / "test_cert_root_bundle.pem")]
    app.export.export_image(pixels, dest, record)
    result = check(dest, samples / "test_cert_root_bundle.pem")
    assert result["state"] == "trusted"
    by_title = {i["title"]: i for i in result["ingredients"]}
    for name in ("base", "sticker"):
        assert by_title[name]["has_credentials"] and by_title[name]["signer"]["common_name"] == "C2PA Signer"
        assert by_title[name]["state"] == "trusted", "checked against the test roots when it was added"
    assert by_title["sticker"]["relationship"] == "componentOf"
    assert by_title["mask"]["relationship"] == "inputTo" and by_title["mask"]["state"] == "no-credentials"
    assert [a["action"] for a in result["actions"]] == ["c2pa.opened", "c2pa.placed"]


def test_generated_from_an_input_image(app, pixels, tmp_path, media):
    """Image-to-image: created by AI, with the init image as an input ingredient."""
    from studio.document import Ingredient

    record = generated_record()
    record.ingredients = [Ingredient(title="init", relationship="inputTo", role="Init image",
                                     record=Record.opened(str(media / "mars.webp")))]
    dest = tmp_path / "img2img.png"
    app.export.export_image(pixels, dest, record)
    result = check(dest)
    assert result["state"] == "trusted" and result["ai_tool_used"]
    assert [a["action"] for a in result["actions"]] == ["c2pa.created"]
    (init,) = result["ingredients"]
    assert init["relationship"] == "inputTo" and init["title"] == "init" and init["state"] == "no-credentials"


def test_signing_a_signed_file_keeps_its_history(tmp_path, samples):
    out = tmp_path / "resigned.jpg"
    assert studio("sign", samples / "adobe-20220124-CAI.jpg", "--out", out).returncode == 0
    result = check(out, samples / "test_cert_root_bundle.pem")
    assert result["state"] == "trusted" and result["manifests"] == 2
    (parent,) = result["ingredients"]
    assert parent["signer"]["common_name"] == "C2PA Signer"
    assert {i["title"] for i in parent["ingredients"]} == {"A.jpg", "I.jpg"}


def test_gui_composition_of_layers_places_each_file(app, pixels, tmp_path, samples, media):
    """The GUI exports several visible layers as a composition of componentOf ingredients."""
    from studio.document import Ingredient

    layers = [("photo", Record.opened(str(media / "earth_apollo17.jpg"))),
              ("signed", Record.opened(str(samples / "adobe-20220124-C.jpg")))]
    record = Record(action="compose", title="Composition", c2pa_action="c2pa.edited",
                    ingredients=[Ingredient(title=t, relationship="componentOf", record=r) for t, r in layers])
    dest = tmp_path / "composition.tif"
    app.export.export_image(pixels, dest, record)
    result = check(dest, samples / "test_cert_root_bundle.pem")
    assert result["state"] == "trusted"
    assert [a["action"] for a in result["actions"]] == ["c2pa.created", "c2pa.placed", "c2pa.edited"]
    by_title = {i["title"]: i for i in result["ingredients"]}
    assert by_title["photo"]["state"] == "no-credentials" and by_title["signed"]["has_credentials"]
    assert all(i["relationship"] == "componentOf" for i in result["ingredients"])
