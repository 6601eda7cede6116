"""A second window while one is open: a clear message, and it starts all the same; `studio gui --exit-after-show`."""

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.gui


def test_claim_tells_the_second_window_about_the_first(tmp_path):
    from studio.gui.instance import claim

    first, message = claim(tmp_path / "config")
    assert first is not None and message is None
    second, message = claim(tmp_path / "config")
    assert second is None and f"process {os.getpid()}" in message and "already open" in message
    first.unlock()
    third, message = claim(tmp_path / "config")
    assert third is not None and message is None
    third.unlock()


def test_claim_in_a_folder_that_cannot_be_made_is_no_error(tmp_path):
    from studio.gui.instance import claim

    (tmp_path / "file").write_text("")
    assert claim(tmp_path / "file" / "config") == (None, None)


def test_studio_gui_starts_while_another_window_holds_the_lock(tmp_path):
    from studio.gui.instance import claim

    config = tmp_path / "config"
    held, _ = claim(config)  # as a first window does
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", STUDIO_CONFIG_DIR=str(config), HOME=str(tmp_path))
    shot = tmp_path / "window.png"
    out = subprocess.run([sys.executable, "-m", "studio.cli", "gui", "--exit-after-show", "--screenshot", str(shot)],
                         capture_output=True, text=True, env=env, timeout=180)
    held.unlock()
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("window shown: ")
    assert f"studio: note: Another Studio window is already open (process {os.getpid()}" in out.stderr
    assert shot.stat().st_size > 1000
