import pytest

from studio.application import StudioApp


@pytest.fixture
def make_window(qtbot):
    """Build a fresh main window per call; fails the test if a window outlives it."""
    from studio.gui.mainwindow import MainWindow

    windows = []

    def make(app=None, heatmaps=False):
        window = MainWindow(app or StudioApp())
        window.confirm_close = False
        window.heatmaps_on_open = heatmaps  # these tests count layers; tests/forensics checks the heatmap layers
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        windows.append(window)
        return window

    yield make
    for window in windows:
        for job in window.runner.jobs:
            job.cancel()
