"""The Verify view's section (studio_file_report), remote manifests, and the doctor's facts."""

import json

import pytest
from credentials_helpers import TEST_ROOTS, check, generated_record, studio

from studio.document import Layer, Record
from studio.jobs import Job, execute


def _credentials(sections):
    (section,) = [s for s in sections if s.title == "Content Credentials"]
    return section


@pytest.fixture
def chain_file(app, pixels, tmp_path):
    """generated.png → blurred and exported as edited.jpg: two manifests, an AI parent."""
    from studio.imageio import load_image

    generated = tmp_path / "generated.png"
    app.export.export_image(pixels, generated, generated_record())
    loaded = load_image(generated)
    layer = Layer(loaded.pixels, name="generated.png", record=Record.opened(str(generated), loaded.sha256))
    image = execute(Job(app.action("adjust.blur"), {"image": layer, "radius": 2.0}), app).result.images[0]
    edited = tmp_path / "edited.jpg"
    app.export.export_image(image.pixels, edited, image.record)
    return edited


def test_file_report_section_says_what_a_journalist_needs(app, chain_file):
    section = _credentials(app.file_report(chain_file))
    assert section.plugin == "credentials" and section.state == "trusted"
    assert section.summary.startswith("Content Credentials are intact")
    found = {(f.label, f.value) for f in section.findings}
    labels = [f.label for f in section.findings]
    assert ("App or device used", "Studio 0.1.0") in found
    assert ("AI tool used", "yes") in found  # the edit of a generated file says so, and so does its parent
    ai = next(f for f in section.findings if f.label == "AI tool used")
    assert ai.explanation == ("A generative-AI source is declared by this file's own actions; "
                              "ingredient 'generated.png'.")
    assert labels.count("Action") == 2 and "Signed by" in labels and "Signed at" in labels
    ingredients = [f.value for f in section.findings if f.label == "Ingredient"]
    assert ingredients[0].startswith("generated.png — parent, trusted") and "AI tool used" in ingredients[0]
    assert section.can_tell and section.cannot_tell
    # thumbnails of the file and its parent, small, for the view
    captions = [i["caption"] for i in section.data["images"]]
    assert captions == ["edited.jpg (trusted)", "generated.png (trusted)"]
    assert all(i["uri"].startswith("data:image/jpeg;base64,") and len(i["uri"]) < 40000
               for i in section.data["images"])
    json.dumps(section.to_dict())  # the whole section is JSON (studio inspect --json)


def test_failures_are_explained_in_the_section(app, samples):
    app.settings.plugin_settings("credentials")["trust_anchors"] = [str(TEST_ROOTS)]
    section = _credentials(app.file_report(samples / "adobe-20220124-E-dat-CA.jpg"))
    assert section.state == "invalid"
    problem = next(f for f in section.findings if f.label == "Problem")
    assert problem.value == "assertion.dataHash.mismatch"
    assert problem.explanation == "The image content was changed after it was signed."


def test_unreadable_file_gives_a_section_not_a_fault(app, tmp_path):
    bad = tmp_path / "empty.jpg"
    bad.write_bytes(b"")
    section = _credentials(app.file_report(bad))
    assert section.state == "unreadable" and "empty" in section.summary
    assert not app.host.plugins["credentials"].faults


def test_verify_view_renders_the_thumbnails(app, chain_file):
    from studio.gui.reportpanel import render_html

    html = render_html(chain_file, [_credentials(app.file_report(chain_file))])
    assert html.count("<img src='data:image/jpeg;base64,") == 2
    assert "generated.png — parent, trusted" in html


def test_remote_manifest_cannot_be_verified_offline(tmp_path, media):
    """A file whose manifest lives at a URL: Studio does not fetch it, and says where it is."""
    import c2pa

    from studio_plugins.credentials import identity
    from studio_plugins.credentials.manifest import build_plan
    from studio_plugins.credentials.signing import make_signer

    signer = make_signer(identity.create())
    plan = build_plan(generated_record(), [], "remote.jpg")
    builder = c2pa.Builder(plan.definition)
    builder.set_no_embed()
    builder.set_remote_url("https://example.org/manifests/remote.c2pa")
    out = tmp_path / "remote.jpg"
    with open(media / "earth_apollo17.jpg", "rb") as src, open(out, "w+b") as dst:
        builder.sign(signer, "image/jpeg", src, dst)
    result = check(out)
    assert result["state"] == "remote"
    assert result["remote"]["url"] == "https://example.org/manifests/remote.c2pa"
    assert "cannot be verified offline" in result["summary"]
    cli = studio("verify", out)
    assert cli.returncode == 0 and "https://example.org/manifests/remote.c2pa" in cli.stdout
    assert "cannot be verified offline" in cli.stdout


def test_doctor_names_the_library_and_identity():
    result = studio("doctor", "--json")
    facts = json.loads(result.stdout)["plugin_facts"]["credentials"]
    assert facts["c2pa-python"] == "0.38.1" and facts["timestamp authority"] == "none (offline)"
