"""Issue 19: the AI disclosure survives every path that composes, and 'AI tool used' looks through ingredients.

Every path that makes a picture from generated media: the window's composition of several visible layers,
the window's export of one edited generated layer, an action run on a generated file from the command line.
Each must declare compositeWithTrainedAlgorithmicMedia itself, and verifying must find a declaration made only
by an ingredient's credentials. A composite with no generated ingredient still says no AI.
"""

import json

import pytest
from credentials_helpers import actions, active, check, generated_record, manifest_store, studio, studio_json
from helpers import MEDIA

from studio.document import Layer, Record
from studio.jobs import JobState

COMPOSITE = "compositeWithTrainedAlgorithmicMedia"
TRAINED = "trainedAlgorithmicMedia"

pytestmark = pytest.mark.gui


def sources(result):
    return [(a["action"], a["digital_source_type"]) for a in result["actions"]]


def run(window, qtbot, action_id, **values):
    action = window.app.action(action_id)
    job = window.run_action(action, {**action.defaults(), **values})
    qtbot.waitUntil(lambda: job.state.done, timeout=120_000)
    assert job.state == JobState.FINISHED, job.error
    qtbot.waitUntil(lambda: any(layer.record is job.result.images[0].record for layer in window.doc.layers))
    return next(layer for layer in window.doc.layers if layer.record is job.result.images[0].record)


def export(window, qtbot, dest, options=None):
    window.export_to(dest, options).join(60)
    qtbot.waitUntil(dest.exists, timeout=10_000)
    return check(dest)


def test_window_composition_with_a_generated_layer_declares_ai(make_window, qtbot, app, pixels, tmp_path):
    window = make_window(app)
    window.doc.add_layer(Layer(pixels, name="generated", record=generated_record()))
    assert window.open_file(MEDIA / "earth_apollo17.jpg")  # a photo above it, both visible
    result = export(window, qtbot, tmp_path / "composite.png")
    assert result["state"] == "trusted"
    assert sources(result)[0] == ("c2pa.created", COMPOSITE)  # not "made with software by a person"
    assert result["ai_tool_used"] is True and result["ai_declared_in"] == ["this file"]
    assert "An AI tool was used." in result["summary"]
    assert all(a["digital_source_type"] != "digitalCreation" for a in result["actions"])
    # the generated ingredient says what its own record says
    described = {i["title"]: i["description"] for i in result["ingredients"]}
    assert "made by a generative AI model (trainedAlgorithmicMedia)" in described["generated"]
    assert "generative AI" not in described.get("earth_apollo17.jpg", "")


def test_window_export_of_a_resized_generated_layer_declares_ai(make_window, qtbot, app, pixels, tmp_path):
    window = make_window(app)
    original = window.doc.add_layer(Layer(pixels, name="generated", record=generated_record()))
    big = run(window, qtbot, "adjust.resize", image=original, scale=2.0)
    assert big.record.digital_source == COMPOSITE  # the edit's record says it is made of generated pixels
    # the case: the original stays visible, both layers came from the generator
    both = export(window, qtbot, tmp_path / "both.png")
    assert sources(both)[0] == ("c2pa.created", COMPOSITE) and both["ai_tool_used"] is True
    described = {i["title"]: i["description"] for i in both["ingredients"]}
    assert f"({COMPOSITE})" in described[big.name] and f"({TRAINED})" in described["generated"]
    # the resized layer alone: its own history, folded into one manifest
    window.doc.set_layer(original, visible=False)
    alone = export(window, qtbot, tmp_path / "alone.png")
    assert sources(alone) == [("c2pa.created", TRAINED), ("c2pa.resized", COMPOSITE)]
    assert alone["ai_tool_used"] is True and alone["ai_declared_in"] == ["this file"]


def test_window_generate_resize_export_with_the_built_in_model(make_window, qtbot, tmp_path):
    """The issue's steps with the real generator: Generate, Adjust → Resize ×4 (original visible), Export."""
    window = make_window()  # every plugin: the built-in model, the watermark
    generated = run(window, qtbot, "generate", prompt="a large red circle in the centre on a black background")
    assert generated.record.digital_source == TRAINED
    run(window, qtbot, "adjust.resize", image=generated, scale=4.0)
    dest = tmp_path / "export.png"
    result = export(window, qtbot, dest)
    assert result["state"] == "trusted" and result["ai_tool_used"] is True
    assert sources(result)[0] == ("c2pa.created", COMPOSITE)
    cli, data = studio_json("verify", dest)
    assert data["ai_tool_used"] is True and data["ai_declared_in"] == ["this file"], cli.stderr


def test_command_line_resize_of_a_generated_png(app, pixels, tmp_path):
    """`studio adjust resize generated.png --scale 4 --out big.png`, then `studio verify big.png`."""
    generated = tmp_path / "generated.png"
    app.export.export_image(pixels, generated, generated_record())
    big = tmp_path / "big.png"
    done = studio("adjust", "resize", generated, "--scale", "4", "--out", big)
    assert done.returncode == 0, done.stderr
    _, result = studio_json("verify", big)
    assert result["ai_tool_used"] is True
    assert result["ai_declared_in"] == ["this file", "ingredient 'generated.png'"]
    assert ("c2pa.resized", COMPOSITE) in sources(result)
    text = studio("verify", big).stdout
    assert "AI tool used: yes (declared by this file's own actions; ingredient 'generated.png')" in text


def test_verify_finds_a_declaration_made_only_by_ingredients(app, pixels, tmp_path, monkeypatch):
    """Files whose own manifest declares nothing (older exports, other tools): the ingredients' manifests count."""
    from studio.imageio import load_image
    from studio.jobs import Job, execute
    from studio_plugins.credentials import verify as verify_module

    generated = tmp_path / "generated.png"
    app.export.export_image(pixels, generated, generated_record())
    monkeypatch.setattr(verify_module, "declares_ai", lambda path: False)  # sign as if the parent were not read

    def blur(source, dest):
        loaded = load_image(source)
        layer = Layer(loaded.pixels, name=source.name, record=Record.opened(str(source), loaded.sha256))
        image = execute(Job(app.action("adjust.blur"), {"image": layer, "radius": 1.0}), app).result.images[0]
        app.export.export_image(image.pixels, dest, image.record)

    blur(generated, tmp_path / "middle.png")
    blur(tmp_path / "middle.png", tmp_path / "last.png")
    monkeypatch.undo()
    middle, last = check(tmp_path / "middle.png"), check(tmp_path / "last.png")
    assert all(a["digital_source_type"] is None for a in middle["actions"] + last["actions"])
    assert middle["ai_tool_used"] is True and middle["ai_declared_in"] == ["ingredient 'generated.png'"]
    assert last["ai_tool_used"] is True and last["ai_declared_in"] == ["ingredient 'middle.png' › 'generated.png'"]
    assert last["summary"].endswith("An AI tool was used: an ingredient's credentials declare it "
                                    "('middle.png' › 'generated.png').")
    section = app.file_report(tmp_path / "last.png")[0]
    found = {f.label: f for f in section.findings}
    assert found["AI tool used"].value == "yes"
    assert "ingredient 'middle.png' › 'generated.png'" in found["AI tool used"].explanation


def test_no_generated_ingredient_means_no_ai(make_window, qtbot, app, pixels, samples, tmp_path):
    """No false positives: a composite of photos, and an edit of a file made without AI, declare no AI."""
    window = make_window(app)
    window.doc.add_layer(Layer(pixels, name="drawing",
                               record=Record(action="paint", title="drawing", c2pa_action="c2pa.created",
                                             digital_source="digitalCreation")))
    assert window.open_file(MEDIA / "earth_apollo17.jpg")
    assert window.open_file(samples / "adobe-20220124-C.jpg")  # signed by another tool, no AI declared
    result = export(window, qtbot, tmp_path / "collage.png")
    assert result["ai_tool_used"] is False and result["ai_declared_in"] == []
    assert sources(result)[0] == ("c2pa.created", "digitalCreation")
    assert all(not i.get("ai_tool_used") for i in result["ingredients"])
    assert "AI tool was used" not in result["summary"]
    # the command line: an edit of a signed file made without AI
    plain = tmp_path / "plain.png"
    app.export.export_image(pixels, plain, Record(action="paint", c2pa_action="c2pa.created",
                                                  digital_source="digitalCreation"))
    done = studio("adjust", "resize", plain, "--scale", "2", "--out", tmp_path / "plain-big.png")
    assert done.returncode == 0, done.stderr
    _, data = studio_json("verify", tmp_path / "plain-big.png")
    assert data["ai_tool_used"] is False and data["ai_declared_in"] == []
    assert all(a["digital_source_type"] is None for a in data["actions"][1:])
    raw = json.dumps(active(manifest_store(tmp_path / "plain-big.png")))
    assert COMPOSITE not in raw and TRAINED not in raw
    assert [a["action"] for a in actions(active(manifest_store(tmp_path / "plain-big.png")))][:2] == [
        "c2pa.opened", "c2pa.resized"]


def test_window_composition_with_an_opened_generated_file(make_window, qtbot, app, pixels, tmp_path):
    """A generated PNG opened from disk: its own credentials say so, and the composite made with it says so too."""
    generated = tmp_path / "generated.png"
    app.export.export_image(pixels, generated, generated_record())
    window = make_window(app)
    assert window.open_file(generated)
    assert window.open_file(MEDIA / "earth_apollo17.jpg")
    result = export(window, qtbot, tmp_path / "with-opened.png")
    assert sources(result)[0] == ("c2pa.created", COMPOSITE)
    assert result["ai_declared_in"] == ["this file", "ingredient 'generated.png'"]
