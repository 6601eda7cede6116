"""Issue 19 (the window): fits a laptop screen, keeps its layout, live opacity, Save/Discard/Cancel,
the Settings dialog, the still-image Export dialog and plain words on screen."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QLineEdit, QMessageBox, QPlainTextEdit, QScrollArea, QTabBar

from studio.application import StudioApp
from studio.document import Box, BoxLayer, Document, Layer, Record
from studio.settings import Settings


def _window_rect(window, widget) -> QRect:
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


# -- 1. the window fits -------------------------------------------------------------------------------

@pytest.mark.parametrize("size", [(1280, 720), (1366, 768), (1920, 1080)])
def test_window_fits_the_screen_and_the_run_button_is_never_covered(make_window, qtbot, png_file, size):
    width, height = size
    window = make_window(size=None)
    usable = height - 40  # what a maximized window gets once the desktop's panel and title bar are taken
    assert window.minimumSizeHint().height() <= usable - 100 and window.minimumSizeHint().width() <= width
    window.resize(width, usable)
    window.size_docks()
    window.open_file(png_file)
    qtbot.wait(50)
    assert (window.width(), window.height()) == (width, usable)
    for action_id in ("generate", "adjust.resize"):
        window.action_picker.setCurrentIndex(window.action_picker.findData(action_id))
        qtbot.wait(20)
        panel = window.action_panels[action_id]
        button = panel.run_button
        assert button.isVisible() and button.height() >= 20
        rect = _window_rect(window, button)
        assert window.rect().contains(rect), f"Run is outside the window: {rect}"
        for title, dock in window.docks.items():  # no other panel lies over it
            if title != "Actions" and dock.isVisible() and not dock.isFloating():
                assert not _window_rect(window, dock).intersects(rect), f"{title} covers Run"
        assert window.childAt(rect.center()) is button
        # the form is readable: the Actions panel is tall, and every field gets the height it asks for
        assert window.docks["Actions"].height() >= min(400, usable * 0.5)
        scroll = window.actions_widget.findChild(QScrollArea)
        assert scroll.viewport().height() >= 250
        for editor in panel.editors.values():
            if isinstance(editor, (QAbstractSpinBox, QComboBox, QLineEdit, QPlainTextEdit)):
                assert editor.height() >= min(editor.sizeHint().height(), 22), editor.objectName()
    # no stray tab bars of the docks left on screen (the Verify page's own tabs of files are not the docks')
    bars = [bar for bar in window.findChildren(QTabBar) if bar.isVisible() and bar.parent() is window]
    assert sorted(tuple(bar.tabText(i) for i in range(bar.count())) for bar in bars) == [
        ("Layers", "Jobs"), ("Timeline", "Notifications"), ("Verify", "History")]
    canvas = _window_rect(window, window.canvas)
    assert canvas.width() >= width * 0.4 and canvas.height() >= usable * 0.35


def test_window_opens_within_the_screen(make_window):
    window = make_window(size=None)
    available = window.screen().availableGeometry()
    assert window.width() <= available.width() and window.height() <= available.height()
    assert window.frameGeometry().top() >= available.top()


def test_layout_is_restored_at_the_next_start(make_window, qtbot):
    window = make_window(size=None)
    window.resize(760, 700)  # the offscreen screen is 800×800
    window.docks["History"].raise_()
    window.docks["Timeline"].hide()
    qtbot.wait(20)
    window.close()
    saved = Settings.load().window
    assert saved["version"] and saved["geometry"] and saved["state"]

    again = make_window(StudioApp(), size=None)
    assert (again.width(), again.height()) == (760, 700)
    assert not again.docks["Timeline"].isVisible()
    assert again.docks["Verify"].isVisible() or again.docks["History"].isVisible()
    again.reset_layout()
    assert again.docks["Timeline"].isVisible()


# -- 2. opacity and the unsaved-changes question --------------------------------------------------------

def test_opacity_follows_the_slider_while_dragging_and_is_one_undo_step(make_window, qtbot, png_file):
    window = make_window()
    window.open_file(png_file)
    layer = window.doc.layers[0]
    slider = window.layers_panel.opacity
    steps = len(window.doc.undo_stack._done)
    slider.setSliderDown(True)  # the handle is pressed
    for value in (90, 70, 40):
        slider.setValue(value)
        assert layer.opacity == pytest.approx(value / 100)  # the layer changes at once
    assert len(window.doc.undo_stack._done) == steps  # nothing pushed per tick
    slider.setSliderDown(False)  # released
    assert layer.opacity == pytest.approx(0.4) and len(window.doc.undo_stack._done) == steps + 1
    window.undo_action.trigger()
    assert layer.opacity == pytest.approx(1.0)
    window.redo_action.trigger()
    assert layer.opacity == pytest.approx(0.4)
    slider.setValue(60)  # a click on the groove or a key: one step at once
    assert layer.opacity == pytest.approx(0.6) and len(window.doc.undo_stack._done) == steps + 2


def _answer(monkeypatch, button):
    asked = []

    def question(*args, **kwargs):
        asked.append(args[2])
        return button

    monkeypatch.setattr("studio.gui.mainwindow.QMessageBox.question", question)
    return asked


def test_unsaved_changes_save_discard_cancel(make_window, monkeypatch, png_file, tmp_path):
    window = make_window()
    window.confirm_close = True
    window.open_file(png_file)
    assert window.doc.modified
    document = window.doc

    asked = _answer(monkeypatch, QMessageBox.StandardButton.Cancel)
    window.new_document()
    assert window.doc is document and "Save the changes" in asked[0]

    # Save, but the file dialog is cancelled: nothing is discarded
    _answer(monkeypatch, QMessageBox.StandardButton.Save)
    monkeypatch.setattr("studio.gui.mainwindow.QFileDialog.getSaveFileName", lambda *a, **k: ("", ""))
    window.new_document()
    assert window.doc is document

    # Save, and the save fails (a file stands where the folder should be): nothing is discarded
    (tmp_path / "afile").write_text("x")
    monkeypatch.setattr("studio.gui.mainwindow.QFileDialog.getSaveFileName",
                        lambda *a, **k: (str(tmp_path / "afile" / "p.studio"), ""))
    window.new_document()
    assert window.doc is document

    # Save works: the project is written, then the new document replaces it
    monkeypatch.setattr("studio.gui.mainwindow.QFileDialog.getSaveFileName",
                        lambda *a, **k: (str(tmp_path / "p.studio"), ""))
    window.new_document()
    assert (tmp_path / "p.studio").is_file() and window.doc is not document and not window.doc.layers

    # Discard: no file, the changes are gone
    window.open_file(png_file)
    _answer(monkeypatch, QMessageBox.StandardButton.Discard)
    window.new_document()
    assert not window.doc.layers

    # closing the window: Cancel keeps it open
    window.open_file(png_file)
    _answer(monkeypatch, QMessageBox.StandardButton.Cancel)
    window.close()
    assert window.isVisible()
    window.confirm_close = False


# -- 3. the Settings dialog -----------------------------------------------------------------------------

def test_settings_dialog_persists_every_page(make_window, qtbot, tmp_path):
    window = make_window()
    dialog = window.make_settings_dialog()
    qtbot.addWidget(dialog)
    titles = dialog.page_titles()
    assert titles[:2] == ["General", "Export"]
    assert {"Models", "Content Credentials", "Invisible watermark"} <= set(titles)
    qtbot.waitUntil(lambda: "This computer has" in dialog.device_words.text(), timeout=30000)
    assert "processor" in dialog.device_words.text()

    dialog.device_box.setCurrentIndex(dialog.device_box.findData("cpu"))
    dialog.watermark_box.setChecked(False)
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("JPEG"))

    models = dialog.plugin_page("Models")
    folders = models.editors["model_dirs"]
    assert not folders.add_path(tmp_path / "nowhere")
    assert not folders.error.isHidden() and "is not a folder" in folders.error.text()
    (tmp_path / "models").mkdir()
    assert folders.add_path(tmp_path / "models")

    # the signing identity: create, export its root, trust that root
    cred = dialog.plugin_page("Content Credentials")
    assert "No signing identity yet" in cred.status.text()
    assert not cred.buttons["Export my root certificate…"].isEnabled()
    answers = {"name": "Ana Tester", "dest": str(tmp_path / "root.pem")}
    dialog.ask = lambda ask: answers.get(ask.name)
    cred.run_button(next(b for b in cred.page.buttons if b.label.startswith("Create")))
    assert "signed as Ana Tester" in cred.status.text()
    assert cred.buttons["Export my root certificate…"].isEnabled()
    cred.run_button(next(b for b in cred.page.buttons if b.label.startswith("Export")))
    assert (tmp_path / "root.pem").is_file() and "Wrote your root certificate" in cred.result.text()
    # creating again asks first; "no" leaves the identity alone
    dialog.confirm = lambda question: False
    assert cred.run_button(next(b for b in cred.page.buttons if b.label.startswith("Create"))) is None
    anchors = cred.editors["trust_anchors"]
    (tmp_path / "junk.pem").write_text("not a certificate")
    assert not anchors.add_path(tmp_path / "junk.pem") and anchors.error.text()
    assert anchors.add_path(tmp_path / "root.pem")
    cred.editors["tsa_url"].setText("ftp://nope")
    dialog.accept()
    assert not dialog.error.isHidden() and "web address" in dialog.error.text()  # refused: nothing written
    assert Settings.load().device == "auto"
    cred.editors["tsa_url"].setText("")
    dialog.accept()

    saved = Settings.load()
    assert saved.device == "cpu"
    assert saved.export["watermark"] is False and saved.export["sign"] is True
    assert saved.export["still_format"] == "JPEG"
    assert saved.plugins["diffusion"]["model_dirs"] == [str((tmp_path / "models").resolve())]
    assert saved.plugins["credentials"]["trust_anchors"] == [str((tmp_path / "root.pem").resolve())]
    assert saved.export["watermark_strength"] == pytest.approx(1.0)

    again = window.make_settings_dialog()  # opened again: what was saved is shown
    qtbot.addWidget(again)
    assert again.device_box.currentData() == "cpu" and not again.watermark_box.isChecked()
    assert again.plugin_page("Models").editors["model_dirs"].values() == [str((tmp_path / "models").resolve())]


def test_settings_is_in_the_edit_menu(make_window):
    window = make_window()
    assert window.settings_action.shortcut().toString() == "Ctrl+,"
    assert window.settings_action.text() == "&Settings…"


# -- 4. the still-image Export dialog --------------------------------------------------------------------

def _picture(window, size, name):
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 255, (size[1], size[0], 3), np.uint8)
    return window.doc.add_layer(Layer(pixels, name=name, record=Record(action="paste", title=name)))


def test_export_dialog_for_a_small_picture_says_it_is_too_small_for_the_mark(make_window, qtbot, tmp_path):
    window = make_window()
    _picture(window, (60, 40), "small.png")
    window.doc.add_layer(Layer(np.zeros((40, 60, 4), np.uint8), name="Error level (heatmap)", kind="overlay",
                               record=Record(action="inspect.heatmap", title="Error level")))
    window.doc.add_layer(BoxLayer(boxes=[Box(1, 1, 10, 10, "face")], canvas_size=(60, 40), name="Faces"))
    dialog = window.make_export_dialog()
    qtbot.addWidget(dialog)
    text = dialog.texts()
    assert "too small for the mark" in text and "60×40" in text and "Adjust → Resize" in text
    assert "signed with a record" in text
    assert "In the picture:</b> “small.png”" in text
    assert "analysis overlays, never exported: “Error level (heatmap)”" in text
    assert "box overlays, drawn on screen only: “Faces”" in text
    dialog.sign_box.setChecked(False)
    assert "will not say what made it" in dialog.texts()
    dialog.sign_box.setChecked(True)
    assert dialog.path.suffix == ".png" and dialog.path.stem == "small"

    dest = tmp_path / "small.png"
    window.export_to(dest, dialog.options()).join(60)
    qtbot.waitUntil(lambda: any(n.text.startswith("Exported small.png") for n in window.notifier.notices))
    message = next(n.text for n in window.notifier.notices if n.text.startswith("Exported small.png"))
    assert message.startswith("Exported small.png: not watermarked, signed as ")
    assert any("64 pixels" in n.text and n.level == "warning" for n in window.notifier.notices)  # why no mark
    assert Image.open(dest).size == (60, 40)


def test_export_dialog_for_a_large_picture_and_what_was_done(make_window, qtbot, tmp_path):
    window = make_window()
    _picture(window, (320, 288), "big")
    dialog = window.make_export_dialog()
    qtbot.addWidget(dialog)
    assert "An invisible mark in the pixels" in dialog.texts() and "too small" not in dialog.texts()
    assert "Left out" not in dialog.texts()
    dialog.set_format("JPEG")
    assert dialog.path.suffix == ".jpg" and "JPEG compression" in dialog.texts()
    dialog.set_format("PNG")
    dialog.path_edit.setText(str(tmp_path / "big.png"))
    dialog.accept()
    window.export_to(dialog.path, dialog.options()).join(120)
    qtbot.waitUntil(lambda: any(n.text.startswith("Exported big.png") for n in window.notifier.notices),
                    timeout=20000)
    message = next(n.text for n in window.notifier.notices if n.text.startswith("Exported big.png"))
    assert message.startswith("Exported big.png: watermarked, signed as ")

    dialog = window.make_export_dialog()  # the defaults from the settings: watermark off
    qtbot.addWidget(dialog)
    window.app.settings.export["watermark"] = False
    dialog = window.make_export_dialog()
    qtbot.addWidget(dialog)
    assert not dialog.watermark_box.isChecked() and "Off: the picture will carry no invisible mark" in dialog.texts()


def test_export_dialog_format_follows_the_settings(make_window, qtbot):
    window = make_window()
    window.app.settings.export["still_format"] = "WEBP"
    _picture(window, (300, 300), "p")
    dialog = window.make_export_dialog()
    qtbot.addWidget(dialog)
    assert dialog.format_name == "WEBP" and dialog.path.suffix == ".webp"


# -- 5. no internal words on screen ------------------------------------------------------------------------

def test_action_picker_shows_plain_titles(make_window):
    window = make_window()
    texts = [window.action_picker.itemText(i) for i in range(window.action_picker.count())]
    assert "Resize" in texts
    for action_id in window.app.actions:
        assert all(action_id not in text for text in texts)


def test_history_tooltips_are_readable_lines(make_window, qtbot, png_file):
    window = make_window()
    window.open_file(png_file)
    window.run_action(window.app.action("adjust.blur"), {"image": window.doc.layers[0], "radius": 8.0})
    qtbot.waitUntil(lambda: window.history_list.count() == 1, timeout=20000)
    item = window.history_list.item(0)
    assert "adjust.blur" not in item.text() and item.text().endswith(window.app.action("adjust.blur").title)
    tip = item.toolTip()
    assert "Radius: 8" in tip and "{" not in tip and "'" not in tip


def test_params_text():
    from studio.gui.mainwindow import params_text

    assert params_text({"steps": 25, "seed": 42, "size": [512, 512], "guidance": 7.5, "hires": False,
                        "mask": None}) == "Steps: 25\nSeed: 42\nSize: 512×512\nGuidance: 7.5\nHires: no"


def test_layers_panel_follows_only_the_current_document(make_window, png_file):
    window = make_window()
    old = window.doc
    window.set_document(Document())
    window.open_file(png_file)
    old.layers_changed.emit()  # the old document no longer drives the panel
    assert window.layers_panel.list.count() == 1
