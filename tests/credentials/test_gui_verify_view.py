"""The GUI's Verify view shows the Content Credentials of an opened file (offscreen Qt)."""

import pytest
from credentials_helpers import generated_record

pytestmark = pytest.mark.gui


def test_opening_a_signed_file_shows_its_credentials_and_thumbnail(qtbot, app, pixels, tmp_path):
    from studio.gui.mainwindow import MainWindow

    signed = tmp_path / "made-by-ai.png"
    app.export.export_image(pixels, signed, generated_record())
    window = MainWindow(app)
    window.confirm_close = False
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.open_file(signed)
    qtbot.waitUntil(lambda: "Content Credentials" in window.report_panel.toPlainText(), timeout=15000)
    text = window.report_panel.toPlainText()
    assert "trusted" in text and "AI tool used" in text and "Created" in text
    assert "made by a generative AI model" in text
    section = next(s for s in window.report_panel.sections if s.title == "Content Credentials")
    assert section.data["images"], "the file's thumbnail is offered"
    # the thumbnail really renders: the view's document holds an image resource for it
    html = window.report_panel.toHtml()
    assert "data:image/jpeg;base64," in html
