"""Issue 19: the Verify page leads with the verdict, as the Content Credentials Verify page does (offscreen Qt).

The outcomes of the C2PA samples are in ../shared/c2pa-samples/README.md: with its test roots as trust anchors
the Adobe test signer is trusted; without them, the same intact files are valid from an unknown signer.
"""

from __future__ import annotations

import pytest
from credentials_helpers import TEST_ROOTS, generated_record

pytestmark = pytest.mark.gui


@pytest.fixture
def page(qtbot, app):
    from studio.gui.verifypage import VerifyPage

    widget = VerifyPage(app)
    widget.resize(420, 700)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def verified(qtbot, page, path):
    (request,) = page.verify_files([path])
    qtbot.waitUntil(lambda: not page.analysing, timeout=30000)
    assert page.path == path
    return page


@pytest.mark.parametrize(("name", "anchors", "tone"), [
    ("adobe-20220124-C.jpg", True, "trusted"),     # Trusted
    ("adobe-20220124-C.jpg", False, "caution"),    # Valid, signingCredential.untrusted: not green
    ("adobe-20220124-E-sig-CA.jpg", True, "bad"),  # Invalid: claimSignature.mismatch
    ("adobe-20220124-XCA.jpg", True, "bad"),       # Invalid: edited after signing
    ("adobe-20220124-A.jpg", True, "neutral"),     # no manifest
])
def test_the_banner_colour_follows_trust(qtbot, app, page, samples, name, anchors, tone):
    from studio.gui.verifypage import TONE_COLOURS

    if anchors:
        app.settings.plugin_settings("credentials")["trust_anchors"] = [str(TEST_ROOTS)]
    verified(qtbot, page, samples / name)
    assert page.tone == tone and page.banner.property("tone") == tone
    assert TONE_COLOURS[tone] in page.banner.styleSheet()
    assert len(set(TONE_COLOURS.values())) == 4  # green, caution, red and grey are four different colours
    words = {"trusted": "Trusted Content Credentials", "caution": "from a signer you do not know",
             "bad": "fail verification", "neutral": "No Content Credentials"}[tone]
    assert words in page.banner.text()


def test_a_remote_manifest_is_neutral_and_says_not_checked_offline(qtbot, page, tmp_path):
    from studio_plugins.credentials.report import section
    from studio_plugins.credentials.verify import remote_result

    result = remote_result("https://example.com/manifest.c2pa") | {"file": "remote.jpg", "trust_anchors": []}
    assert page.show_report(tmp_path / "remote.jpg", [section(result)])
    assert page.tone == "neutral" and "not checked offline" in page.banner.text()
    assert "does not fetch them" in page.headline.text()


def test_the_headline_names_the_signer_the_app_and_ai_use(qtbot, app, page, pixels, tmp_path):
    signed = tmp_path / "made-by-ai.png"
    app.export.export_image(pixels, signed, generated_record())
    verified(qtbot, page, signed)
    headline = page.headline.text()
    assert headline.startswith("Signed by Studio local identity")
    assert "with Studio" in headline
    assert "AI tool used — declared by this file." in headline
    assert page.tone == "trusted"  # the user's own root is trusted by default


def test_details_are_hidden_by_default_with_the_codes_inside(qtbot, page, samples):
    verified(qtbot, page, samples / "adobe-20220124-E-dat-CA.jpg")
    assert page.tone == "bad"
    assert page.details.isHidden() and page.details_button.isVisible()
    assert "assertion.dataHash.mismatch" not in page.visible_text()  # plain words first
    assert "The image content was changed after it was signed." in page.visible_text()
    page.details_button.click()
    assert page.details.isVisible()
    text = page.visible_text()
    assert "assertion.dataHash.mismatch" in text and "Invalid" in text


def test_ingredients_are_a_tree_with_thumbnails(qtbot, page, samples):
    verified(qtbot, page, samples / "adobe-20220124-CAI.jpg")
    tree = page.tree
    assert tree.isVisible() and tree.topLevelItemCount() == 1
    root = tree.topLevelItem(0)
    assert root.text(0).startswith("CAI.jpg") and not root.icon(0).isNull()
    children = [root.child(i) for i in range(root.childCount())]
    assert [c.text(0).split("\n")[0] for c in children] == ["A.jpg", "I.jpg"]
    assert "Parent" in children[0].text(0) and "Component" in children[1].text(0)
    assert all(not c.icon(0).isNull() for c in children)
    assert all(c.icon(0).availableSizes() or c.icon(0).pixmap(56, 56).width() > 0 for c in children)


def test_a_nested_ingredient_tree_from_a_studio_chain(qtbot, app, page, pixels, tmp_path):
    """generated.png → resized → exported: the ingredient is a child of the file, and AI is declared there."""
    from studio.document import Layer, Record
    from studio.imageio import load_image
    from studio.jobs import Job, execute

    generated = tmp_path / "generated.png"
    app.export.export_image(pixels, generated, generated_record())
    loaded = load_image(generated)
    layer = Layer(loaded.pixels, name="generated.png", record=Record.opened(str(generated), loaded.sha256))
    image = execute(Job(app.action("adjust.blur"), {"image": layer, "radius": 2.0}), app).result.images[0]
    edited = tmp_path / "edited.png"
    app.export.export_image(image.pixels, edited, image.record)
    verified(qtbot, page, edited)
    root = page.tree.topLevelItem(0)
    assert root.childCount() == 1 and root.child(0).text(0).startswith("generated.png")
    assert "AI tool used" in root.child(0).text(0) and not root.child(0).icon(0).isNull()
    assert "generated.png" in page.headline.text()  # where AI was declared: an ingredient
