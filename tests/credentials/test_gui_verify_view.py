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
    assert "Trusted" in text and "AI tool used" in text and "Created" in text
    assert "made by a generative AI model" in text
    section = next(s for s in window.report_panel.sections if s.title == "Content Credentials")
    assert section.data["images"], "the file's thumbnail is offered"
    # the thumbnail really renders: the file's node of the ingredient tree has it as its icon
    root = window.report_panel.tree.topLevelItem(0)
    assert root is not None and not root.icon(0).isNull()


# -- issue 19, item 3: the Verify view never shows a stale verdict -------------------------------------------------
def _window(qtbot, app):
    from studio.gui.mainwindow import MainWindow

    window = MainWindow(app)
    window.confirm_close = False
    window.heatmaps_on_open = False
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def _credentials(window):
    return next((s for s in window.report_panel.sections if s.title == "Content Credentials"), None)


def test_an_undecodable_video_still_gets_its_credentials_verified(qtbot, app, samples):
    """dashinit.mp4: no frame decodes; the view showed the previous file's green 'valid' (the CLI says INVALID)."""
    window = _window(qtbot, app)
    assert window.open_file(samples / "adobe-20220124-C.jpg")
    qtbot.waitUntil(lambda: _credentials(window) is not None, timeout=30000)
    assert _credentials(window).state == "valid"
    before = window.notification_list.count()
    assert not window.open_file(samples / "dashinit.mp4")  # nothing goes on the timeline
    assert window.doc.timeline.duration == 0
    assert "Analysing dashinit.mp4…" in window.report_panel.toPlainText()  # at once, not the last verdict
    qtbot.waitUntil(lambda: _credentials(window) is not None, timeout=30000)
    assert _credentials(window).state == "invalid"
    assert "assertion.bmffHash.mismatch" in _credentials(window).data["failures"]
    text = window.report_panel.toPlainText()
    assert text.startswith("dashinit.mp4") and "adobe-20220124-C.jpg" not in text
    # one clear message about the frames
    assert window.notification_list.count() == before + 1
    message = window.notification_list.item(window.notification_list.count() - 1).text()
    assert "dashinit.mp4 holds no video frames" in message and "Verify view" in message


def test_new_clears_the_verify_view_and_a_late_report_stays_away(qtbot, app, samples, monkeypatch):
    import threading

    window = _window(qtbot, app)
    assert window.open_file(samples / "adobe-20220124-C.jpg")
    qtbot.waitUntil(lambda: _credentials(window) is not None, timeout=30000)
    window.new_document()
    assert window.report_panel.sections == [] and "adobe" not in window.report_panel.toPlainText()
    assert "Open a file" in window.report_panel.toPlainText()
    # a report still being built when New is chosen never shows up afterwards
    release, finished = threading.Event(), threading.Event()
    real = app.file_report

    def slow(path):
        release.wait(20)
        try:
            return real(path)
        finally:
            finished.set()

    monkeypatch.setattr(app, "file_report", slow)
    assert window.open_file(samples / "adobe-20220124-CA.jpg")
    assert window.report_panel.analysing
    window.new_document()
    release.set()
    qtbot.waitUntil(finished.is_set, timeout=30000)
    qtbot.wait(200)  # the late result has been delivered to the window by now
    assert window.report_panel.sections == [] and "CA.jpg" not in window.report_panel.toPlainText()


def test_an_older_report_never_overwrites_a_newer_one(qtbot, app, samples, monkeypatch):
    import threading

    from studio.report import ReportSection

    window = _window(qtbot, app)
    release, finished = threading.Event(), threading.Event()

    def report(path):
        if path.name == "first.jpg":  # the first file is slow to analyse
            release.wait(20)
            finished.set()
        return [ReportSection(title="Content Credentials", state="valid", summary=f"about {path.name}")]

    monkeypatch.setattr(app, "file_report", report)
    first, second = samples / "adobe-20220124-C.jpg", samples / "adobe-20220124-CA.jpg"
    window.inspect_file(first.with_name("first.jpg"))
    assert window.report_panel.toPlainText().startswith("first.jpg") and window.report_panel.analysing
    window.inspect_file(second)
    assert "Analysing adobe-20220124-CA.jpg…" in window.report_panel.toPlainText()
    qtbot.waitUntil(lambda: bool(window.report_panel.sections), timeout=10000)
    assert window.report_panel.sections[0].summary == "about adobe-20220124-CA.jpg"
    release.set()
    qtbot.waitUntil(finished.is_set, timeout=10000)
    qtbot.wait(200)
    assert window.report_panel.sections[0].summary == "about adobe-20220124-CA.jpg"
    assert window.report_panel.path == second and "first.jpg" not in window.report_panel.toPlainText()
