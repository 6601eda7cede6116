"""The window never tells people to run command lines; the command line keeps its commands."""

import numpy as np

from studio.document import Layer, Record
from studio.errors import StudioError, window_text


def test_errors_and_notices_have_window_words():
    from studio_plugins.credentials.identity import IdentityError
    from studio_plugins.diffusion.engine import MEMORY_HINT, MEMORY_WINDOW_HINT

    error = IdentityError("The signing key is unreadable.", "Create a new one with 'studio credentials init --force'.")
    assert "studio credentials init" in str(error)  # the CLI's words
    assert "studio" not in window_text(error) and "Settings → Content Credentials" in window_text(error)
    oom = StudioError("Out of GPU memory.", MEMORY_HINT, MEMORY_WINDOW_HINT)
    assert "'studio models" in str(oom) and "'studio" not in window_text(oom)
    assert window_text(StudioError("Plain.", "Try again.")) == "Plain. Try again."


def test_the_first_signed_export_in_the_window_says_where_the_root_is(make_window, qtbot, tmp_path):
    window = make_window()
    window.doc.add_layer(Layer(np.full((300, 300, 3), 120, np.uint8), name="grey", record=Record(action="t")))
    thread = window.export_to(tmp_path / "grey.png")
    thread.join(60)
    qtbot.waitUntil(lambda: any("signing identity" in n.text for n in window.notifier.notices), timeout=30000)
    texts = [n.text for n in window.notifier.notices]
    created = next(t for t in texts if "signing identity" in t)
    assert "Settings → Content Credentials" in created
    assert not any("'studio " in t or "studio credentials" in t for t in texts)
