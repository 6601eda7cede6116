"""Issue 19: files dropped on the Verify page are verified on their own; no internal words on the page."""

from __future__ import annotations

import re

import numpy as np
import pytest
from helpers import C2PA_SAMPLES, MEDIA

pytestmark = pytest.mark.gui


def drop(widget, paths):
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    enter = QDragEnterEvent(widget.rect().center(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    widget.dragEnterEvent(enter)
    assert enter.isAccepted()
    event = QDropEvent(QPointF(widget.rect().center()), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    widget.dropEvent(event)


def finished(page):
    return bool(page.reports) and not any(r.analysing for r in page.reports)


def test_a_file_dropped_on_the_verify_page_is_verified_without_touching_the_document(make_window, qtbot, png_file):
    window = make_window()
    assert window.open_file(png_file)
    page = window.report_panel
    qtbot.waitUntil(lambda: finished(page), timeout=60000)
    layers, pixels = list(window.doc.layers), window.doc.layers[0].pixels.copy()
    undo = window.doc.undo_stack.undo_text
    drop(page, [C2PA_SAMPLES / "adobe-20220124-E-sig-CA.jpg"])
    assert page.analysing and "Analysing adobe-20220124-E-sig-CA.jpg…" in page.visible_text()
    qtbot.waitUntil(lambda: finished(page), timeout=60000)
    assert page.path.name == "adobe-20220124-E-sig-CA.jpg" and page.tone == "bad"
    assert window.doc.layers == layers and np.array_equal(window.doc.layers[0].pixels, pixels)
    assert window.doc.undo_stack.undo_text == undo and window.doc.timeline.duration == 0
    assert [r.origin for r in page.reports] == ["document", "dropped"]
    # File → New forgets the document's file; the dropped file's report stays
    window.new_document()
    assert [r.path.name for r in page.reports] == ["adobe-20220124-E-sig-CA.jpg"]


def test_two_files_get_two_reports(make_window, qtbot):
    window = make_window()
    page = window.report_panel
    drop(page, [C2PA_SAMPLES / "adobe-20220124-C.jpg", C2PA_SAMPLES / "adobe-20220124-A.jpg"])
    assert page.tabs.count() == 2
    qtbot.waitUntil(lambda: finished(page), timeout=60000)
    assert [r.path.name for r in page.reports] == ["adobe-20220124-C.jpg", "adobe-20220124-A.jpg"]
    tones = []
    for index in range(2):
        page.tabs.setCurrentIndex(index)
        tones.append(page.tone)
        assert page.visible_text().startswith(page.reports[index].path.name)
    assert tones == ["caution", "neutral"]
    assert "✖" not in page.tabs.tabText(0) and page.tabs.tabText(1).endswith("adobe-20220124-A.jpg")
    # several files opened at once in the window: one report each too
    assert window.open_file(MEDIA / "mars.webp") and window.open_file(MEDIA / "sample1.png")
    qtbot.waitUntil(lambda: finished(page), timeout=60000)
    assert page.tabs.count() == 4 and len(window.doc.layers) == 2
    page.close_report(0)
    assert page.tabs.count() == 3 and len(page.reports) == 3


INTERNAL = [
    re.compile(r"\b[a-z]+(?:-[a-z]+)+\b"),             # state slugs: no-credentials, jpeg-grid, not-run
    re.compile(r"'?studio (?:verify|inspect|credentials|watermark|sign)\b"),  # advice to run a command
    re.compile(r"see assets/|et al\.|log10", re.IGNORECASE),  # developer references
    re.compile(r"\b\d+\.\d{4,}\b"),                     # raw floats
    re.compile(r"\b(?:signingCredential|claimSignature|assertion)\.[A-Za-z.]+"),  # raw codes (only under Details)
]
# hyphenated English words that are not slugs
ENGLISH = {"re-saved", "re-save", "frame-by-frame", "x-ray", "well-known", "high-frequency", "copy-move",
           "built-in", "non-linear", "to-date", "weak-texture", "computer-generated", "false-positive", "p-value",
           "error-level", "semi-transparent", "side-by-side", "upsampling-trace", "re-encoded", "re-compression",
           "generator-style", "auto-encoder", "full-size", "day-to-day", "hand-made", "in-camera", "one-off",
           "fall-off", "held-out", "make-up", "time-stamp", "time-stamped"}


def internal_words(text: str, slugs: set[str]) -> list[str]:
    found = []
    for pattern in INTERNAL:
        found += [m.group(0) for m in pattern.finditer(text) if m.group(0).lower() not in ENGLISH]
    found += [slug for slug in slugs if re.search(rf"(?<![\w-]){re.escape(slug)}(?![\w-])", text)]
    return found


@pytest.mark.parametrize("path", [C2PA_SAMPLES / "adobe-20220124-CAI.jpg", C2PA_SAMPLES / "dashinit.mp4",
                                  C2PA_SAMPLES / "adobe-20220124-E-dat-CA.jpg", MEDIA / "sample1.png",
                                  MEDIA / "earth_apollo17.jpg"], ids=lambda p: p.name)
def test_no_internal_words_on_the_verify_page(make_window, qtbot, path):
    window = make_window()
    page = window.report_panel
    page.verify_files([path])
    qtbot.waitUntil(lambda: finished(page), timeout=120000)
    text = page.visible_text()
    assert len(text) > 500 and not page.current.error
    slugs = {s.state for s in page.sections if "-" in s.state}
    found = internal_words(text, slugs)
    assert found == [], [(w, text[max(0, text.find(w) - 60):text.find(w) + 40]) for w in found]

