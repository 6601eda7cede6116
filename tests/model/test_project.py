"""Project files: round trip, bad files, and a kill during save."""

import json
import os
import signal
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest

from studio.document import Box, BoxClip, Document, FramesClip, Layer, Record
from studio.document.project import load_project, save_project
from studio.errors import ProjectError


def make_doc():
    doc = Document()
    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, (20, 30, 3), np.uint8)
    rec = Record(action="adjust.blur", params={"radius": 2.5}, c2pa_action="c2pa.filtered")
    doc.add_layer(Layer(img, name="noise", record=rec))
    doc.add_layer(Layer(np.eye(20, 30, dtype=np.uint8) * 255, name="mask", kind="mask", opacity=0.5))
    doc.add_result(img, rec, "noise result")
    doc.timeline.fps = 8
    doc.timeline.add_clip(FramesClip(frames=[img, 255 - img], name="two"))
    doc.timeline.add_clip(BoxClip(boxes=[Box(1, 2, 3, 4, "a", frame=0, track_id=7)], frame_count=2))
    doc.timeline.seek(1)
    return doc


def test_round_trip_keeps_layers_timeline_results_and_settings(tmp_path):
    doc = make_doc()
    path = save_project(doc, tmp_path / "p.studio")
    back = load_project(path)
    assert [(l.name, l.kind, l.opacity) for l in back.layers] == [("noise", "image", 1.0), ("mask", "mask", 0.5)]
    np.testing.assert_array_equal(back.layers[0].pixels, doc.layers[0].pixels)
    np.testing.assert_array_equal(back.layers[1].pixels, doc.layers[1].pixels)
    assert back.layers[0].record.params == {"radius": 2.5}
    assert back.results[0].record.action == "adjust.blur"
    assert back.timeline.fps == 8 and back.timeline.playhead == 1
    np.testing.assert_array_equal(back.timeline.frame_at(1), doc.timeline.frame_at(1))
    assert back.timeline.boxes_at(0)[0].label == "a"
    assert back.active_id == doc.active_id
    assert not back.modified


def test_zero_bytes_truncated_and_wrong_type_are_clear(tmp_path):
    good = save_project(make_doc(), tmp_path / "good.studio")
    data = good.read_bytes()
    empty = tmp_path / "empty.studio"
    empty.write_bytes(b"")
    truncated = tmp_path / "trunc.studio"
    truncated.write_bytes(data[: len(data) // 2])
    text = tmp_path / "notes.studio"
    text.write_text("hello")
    with pytest.raises(ProjectError, match="empty"):
        load_project(empty)
    with pytest.raises(ProjectError, match="damaged or truncated"):
        load_project(truncated)
    with pytest.raises(ProjectError, match="damaged or truncated"):
        load_project(text)
    with pytest.raises(ProjectError, match="does not exist"):
        load_project(tmp_path / "missing.studio")


def test_newer_format_is_refused_with_its_version(tmp_path):
    path = tmp_path / "future.studio"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.json", json.dumps({"format": "studio-project", "version": 99, "app_version": "9.0"}))
    with pytest.raises(ProjectError, match="newer version of Studio") as info:
        load_project(path)
    assert "Update Studio" in str(info.value)


def test_kill_during_save_leaves_previous_file_intact(tmp_path):
    path = tmp_path / "p.studio"
    save_project(make_doc(), path)
    before = path.read_bytes()
    script = (
        "import numpy as np, sys\n"
        "from studio.document import Document, Layer\n"
        "from studio.document.project import save_project\n"
        "doc = Document()\n"
        "for i in range(40):\n"
        "    doc.add_layer(Layer(np.random.default_rng(i).integers(0, 256, (400, 400, 3), np.uint8)))\n"
        "print('ready', flush=True)\n"
        "while True:\n"
        f"    save_project(doc, {str(path)!r})\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    # wait until a temporary file exists, i.e. a save is in progress, then kill
    deadline = time.time() + 60
    while time.time() < deadline and not any(p.name.startswith(".p.studio.") for p in tmp_path.iterdir()):
        time.sleep(0.005)
    saving = any(p.name.startswith(".p.studio.") for p in tmp_path.iterdir())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert saving, "the kill did not land during a save"
    current = path.read_bytes()
    assert current == before or load_project(path).layers  # previous file, or a complete new one
    load_project(path)
