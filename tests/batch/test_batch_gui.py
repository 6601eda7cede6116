"""The window's Batch panel: a batch on a folder as a job (progress, cancel), then its summary."""

from __future__ import annotations

import pytest
from conftest import read_rows

from studio.jobs import JobState

pytestmark = pytest.mark.gui


def test_batch_panel_runs_a_folder_as_a_job_and_shows_the_summary(make_window, make_media, tmp_path, qtbot):
    window = make_window()
    make_media(tmp_path / "in", 3)
    window.report_panel.batch_button.click()  # the Verify page's "Batch…"
    dialog = window._batch_dialog
    assert dialog is not None and dialog.isVisible()

    job = dialog.start(tmp_path / "in")
    assert job in window.runner.jobs  # in the Jobs panel too, with its progress and Cancel
    qtbot.waitUntil(lambda: job.state.done, timeout=240_000)
    assert job.state == JobState.FINISHED, job.error
    assert dialog.progress.value() == dialog.progress.maximum() == 3
    assert dialog.table.rowCount() == 3
    names = sorted(dialog.table.item(r, 0).text().rsplit("/", 1)[-1] for r in range(3))
    assert names == ["img-000.png", "img-001.jpg", "img-002.png"]
    assert {dialog.table.item(r, 1).text() for r in range(3)} == {"no-credentials"}
    results = job.result.data["results"]
    assert len(read_rows(__import__("pathlib").Path(results))) == 3
    assert dialog.open_button.isEnabled() and dialog.html.read_text().count("<tr>") == 4


def test_cancel_from_the_batch_panel(make_window, make_media, tmp_path, qtbot):
    window = make_window()
    make_media(tmp_path / "in", 12)
    dialog = window.batch_dialog()
    dialog.workers.setValue(1)
    job = dialog.start(tmp_path / "in")
    qtbot.waitUntil(lambda: job.step >= 1 or job.state.done, timeout=240_000)
    dialog.cancel_button.click()
    qtbot.waitUntil(lambda: job.state.done, timeout=60_000)
    assert job.state == JobState.CANCELLED
    assert "Cancelled" in dialog.status.text() and dialog.run_button.isEnabled()
