"""Issue 19: forensic maps in an analysis view, not stacked on the document (offscreen Qt)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

pytestmark = pytest.mark.gui


@pytest.fixture
def analysed(make_window, qtbot, ela_splice):
    """A window whose Verify page has the report of a spliced picture and its analysis view open."""
    path, box = ela_splice
    window = make_window()
    window.heatmaps_on_open = False  # the window's default (this folder's windows turn the old overlays on)
    assert window.open_file(path)
    page = window.report_panel
    qtbot.waitUntil(lambda: not page.analysing and bool(page.sections), timeout=60000)
    view = page.open_analysis()
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.base is not None, timeout=10000)
    return window, view, box


def test_heatmaps_are_no_longer_document_layers(analysed):
    window, view, _ = analysed
    assert [layer.kind for layer in window.doc.layers] == ["image"]
    names = [f.name for f in view.filters]
    assert {"Error level", "Noise residual", "Local periodicity"} <= set(names)
    assert [f.enabled for f in view.filters] == [True] + [False] * (len(names) - 1)


def test_each_filter_has_a_toggle_an_opacity_and_a_legend(analysed, qtbot):
    _, view, (x0, y0, x1, y1) = analysed
    ela = view.filter("Error level")
    controls = view.controls["Error level"]
    assert controls["toggle"].isChecked() and controls["opacity"].value() == 70
    from PySide6.QtWidgets import QLabel

    labels = controls["box"].findChildren(QLabel)
    assert any(label.pixmap() is not None and not label.pixmap().isNull() for label in labels)  # the colour bar
    text = " ".join(label.text() for label in labels)
    assert "Dark: changed little when re-saved" in text and "Bright: changed most when re-saved" in text
    shown = view.composite()
    # the pasted, never-compressed region is the most changed: it differs most from the picture
    diff = np.abs(shown.astype(int) - view.base.astype(int)).sum(axis=2)
    assert diff[y0:y1, x0:x1].mean() > np.delete(diff, np.s_[y0:y1], axis=0).mean()
    with qtbot.waitSignal(view.rendered, timeout=2000):
        controls["opacity"].setValue(0)
    assert np.array_equal(view.composite(), view.base)
    controls["opacity"].setValue(100)
    stronger = view.composite()
    assert np.abs(stronger.astype(int) - view.base.astype(int)).sum() > np.abs(shown.astype(int) - view.base).sum()
    controls["toggle"].setChecked(False)
    assert not ela.enabled and np.array_equal(view.composite(), view.base)
    view.controls["Noise residual"]["toggle"].setChecked(True)
    assert not np.array_equal(view.composite(), view.base)


def test_a_parameter_change_is_recomputed_off_the_gui_thread(analysed, qtbot, monkeypatch):
    _, view, _ = analysed
    ela = view.filter("Error level")
    assert [p.name for p in ela.heatmap.parameters] == ["quality", "amplification"]
    real = ela.heatmap.recompute
    threads = []

    def spy(values):
        threads.append(threading.current_thread())
        return real(values)

    monkeypatch.setattr(ela.heatmap, "recompute", spy)
    before = ela.values.copy()
    quality = view.controls["Error level"]["parameters"]["quality"]
    with qtbot.waitSignal(view.rendered, timeout=20000):
        quality.setValue(60)
    assert threads and all(t is not threading.main_thread() for t in threads)
    assert ela.computed_on.startswith("analysis-") and not ela.busy
    assert ela.settings["quality"] == 60 and not np.array_equal(before, ela.values)
    # the map for the default setting is the one the report computed
    with qtbot.waitSignal(view.rendered, timeout=20000):
        quality.setValue(ela.heatmap.parameters[0].value)
    assert np.allclose(ela.values, before)
    noise = view.filter("Noise residual")
    with qtbot.waitSignal(view.rendered, timeout=20000):
        view.controls["Noise residual"]["parameters"]["block"].setValue(32)
    assert noise.values.shape != np.asarray(noise.heatmap.values).shape  # coarser blocks: a smaller map


def test_a_report_section_links_to_its_map_and_the_views_split(analysed, qtbot):
    window, view, _ = analysed
    page = window.report_panel
    assert "Show the noise residual map in the analysis view" in page.visible_text()
    from PySide6.QtCore import QUrl

    page._anchor(QUrl("analysis:Noise residual"))
    assert view.filter("Noise residual").enabled and not view.filter("Error level").enabled
    for mode in ("Side by side", "Split", "Filters over the picture"):
        view.mode.setCurrentText(mode)
        assert view.picture.mode == mode
        assert not view.picture.grab().isNull()
