"""Projects with media: videos kept by reference (never re-encoded), embedded on request, format 1 still opens."""

import json
import shutil
import zipfile

import numpy as np
from helpers import frame_number, write_test_video

from studio.document import Box, BoxClip, BoxLayer, Document, FramesClip, Record, ScoreClip, StillClip, VideoClip
from studio.document.project import load_project, save_project
from studio.video import VideoSource


def video_doc(path):
    doc = Document()
    source = VideoSource(path, "f" * 64)
    clip = VideoClip(name="v", source=source, record=Record.opened(str(path), "f" * 64))
    doc.add_clip(clip)
    doc.trim_clip(clip, in_point=4, out_point=20)
    _, right = doc.split_clip(clip, 10)
    doc.move_clip(right, 30)
    doc.set_key("prompt", 0, "a red bar")
    doc.add_layer(BoxLayer(name="found", boxes=[Box(1, 2, 30, 40, "bar", 0.8)], canvas_size=(320, 256)))
    doc.add_clip(BoxClip(name="track", boxes=[Box(0, 0, 5, 5, "x", frame=2, track_id=9)], frame_count=4))
    doc.add_clip(ScoreClip(name="s", scores=[0.2, 0.4], frame_rate=12))
    return doc


def test_a_video_is_kept_by_reference_with_its_trims(tmp_path):
    (tmp_path / "media").mkdir()
    path = write_test_video(tmp_path / "media" / "v.mp4", frames=30)
    doc = video_doc(path)
    project = save_project(doc, tmp_path / "p.studio")
    with zipfile.ZipFile(project) as zf:
        names = zf.namelist()
        manifest = json.loads(zf.read("project.json"))
    assert manifest["version"] == 2 and not any(n.endswith(".mp4") or "clips/" in n for n in names)
    media = manifest["timeline"]["tracks"][0]["clips"][0]["media"]
    assert media["relative"] == "media/v.mp4" and media["sha256"] == "f" * 64
    back = load_project(project)
    assert back.notes == []
    clips = back.timeline.tracks[0].clips
    assert [(c.in_point, c.out, c.start) for c in clips] == [(4, 10, 4), (10, 20, 30)]
    assert clips[0].source is clips[1].source  # one open file for both halves
    assert frame_number(back.timeline.frame_at(31)) == 11
    assert back.timeline.value_at("prompt", 50) == "a red bar"
    assert back.layers[0].boxes[0].label == "bar" and back.layers[0].canvas_size == (320, 256)
    assert back.timeline.boxes_at(2)[0].track_id == 9 and back.timeline.scores_at(1)
    # the project and its media move together: the relative path finds the video
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    shutil.move(str(tmp_path / "media"), moved / "media")
    shutil.move(str(project), moved / "p.studio")
    again = load_project(moved / "p.studio")
    assert again.notes == [] and frame_number(again.timeline.frame_at(5)) == 5


def test_a_missing_original_opens_the_project_and_says_so(tmp_path):
    path = write_test_video(tmp_path / "v.mp4", frames=30)
    doc = video_doc(path)
    project = save_project(doc, tmp_path / "p.studio")
    before = project.read_bytes()
    path.unlink()
    back = load_project(project)
    assert len(back.notes) == 1 and "v.mp4 is missing" in back.notes[0]
    clip = back.timeline.tracks[0].clips[0]
    assert clip.missing and back.timeline.frame_at(5) is None and back.timeline.duration == 40
    assert back.layers[0].boxes  # everything else is intact
    save_project(back, tmp_path / "again.studio")  # and it saves without the file, keeping the reference
    assert json.loads(zipfile.ZipFile(tmp_path / "again.studio").read("project.json"))["timeline"]["tracks"][0][
        "clips"][0]["media"]["path"].endswith("v.mp4")
    assert project.read_bytes() == before


def test_a_changed_original_is_noticed(tmp_path):
    path = write_test_video(tmp_path / "v.mp4", frames=30)
    project = save_project(video_doc(path), tmp_path / "p.studio")
    write_test_video(path, frames=40)
    assert any("has changed" in n for n in load_project(project).notes)


def test_media_can_travel_inside_the_project(tmp_path):
    path = write_test_video(tmp_path / "v.mp4", frames=30)
    project = save_project(video_doc(path), tmp_path / "p.studio", embed_media=True)
    with zipfile.ZipFile(project) as zf:
        inside = [n for n in zf.namelist() if n.startswith("media/")]
        assert inside and zf.read(inside[0]) == path.read_bytes()  # the encoded stream as it was
    path.unlink()
    back = load_project(project)
    assert back.notes == [] and frame_number(back.timeline.frame_at(5)) == 5


def test_format_1_projects_still_open(tmp_path):
    from PIL import Image

    def png(value):
        import io

        buf = io.BytesIO()
        Image.fromarray(np.full((8, 8, 3), value, np.uint8)).save(buf, format="PNG")
        return buf.getvalue()

    manifest = {
        "format": "studio-project", "version": 1, "app_version": "0.1.0", "active": None,
        "layers": [{"id": "l1", "name": "bg", "kind": "image", "visible": True, "opacity": 1.0,
                    "file": "layers/l1.png", "record": None}],
        "results": [],
        "timeline": {"fps": 12, "playhead": 2, "tracks": [
            {"id": "t1", "kind": "video", "name": "Video", "clips": [
                {"id": "c1", "kind": "still", "name": "card", "start": 0, "duration": 3, "frames": ["c/s.png"],
                 "boxes": [], "scores": [], "record": None},
                {"id": "c2", "kind": "frames", "name": "gen", "start": 3, "duration": 1,
                 "frames": ["c/0.png", "c/1.png"], "boxes": [], "scores": [], "record": None}]},
            {"id": "t2", "kind": "overlay", "name": "Overlay", "clips": [
                {"id": "c3", "kind": "overlay", "name": "boxes", "start": 0, "duration": 1, "frames": [],
                 "boxes": [[{"x0": 1, "y0": 1, "x1": 4, "y1": 4, "label": "a", "score": None}], []],
                 "scores": [], "record": None}]},
            {"id": "t3", "kind": "score", "name": "Score", "clips": [
                {"id": "c4", "kind": "score", "name": "s", "start": 0, "duration": 1, "frames": [], "boxes": [],
                 "scores": [0.5, 0.7], "record": None}]}]},
    }
    path = tmp_path / "old.studio"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.json", json.dumps(manifest))
        zf.writestr("layers/l1.png", png(10))
        zf.writestr("c/s.png", png(200))
        zf.writestr("c/0.png", png(30))
        zf.writestr("c/1.png", png(31))
    doc = load_project(path)
    t = doc.timeline
    assert t.fps == 12 and t.playhead == 2 and t.duration == 5
    assert [type(c) for c in t.clips] == [StillClip, FramesClip, BoxClip, ScoreClip]
    assert t.frame_at(2)[0, 0, 0] == 200 and t.frame_at(4)[0, 0, 0] == 31
    assert t.boxes_at(0)[0].label == "a" and t.boxes_at(1) == [] and t.scores_at(1) == {"s": 0.7}
    resaved = load_project(save_project(doc, tmp_path / "new.studio"))
    assert resaved.timeline.frame_at(4)[0, 0, 0] == 31
