"""`studio ground` with the built-in model: boxes that land on the asked shape, in pictures and videos."""

import json
from pathlib import Path

import numpy as np
import pytest
from helpers import write_rgb_clip
from PIL import Image

from studio.cli import main
from studio.world import Scene, Shape, render, render_motion
from studio.world.render import boxes as true_boxes

ROOT = Path(__file__).resolve().parents[2]


def iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def ground(capsys, *argv):
    code = main(["ground", *map(str, argv), "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)


def fails(capsys, *argv):
    code = main(["ground", *map(str, argv)])
    out = capsys.readouterr()
    assert code != 0
    return out.err


SCENE = Scene((Shape("star", "blue", "large", "top left"), Shape("circle", "red", "small", "bottom right"),
               Shape("triangle", "yellow", "small", "top right")), "gray", 128)


@pytest.fixture
def picture(tmp_path):
    path = tmp_path / "scene.png"
    Image.fromarray(render(SCENE)).save(path)
    return path


def test_each_shape_is_found_where_it_is(capsys, picture):
    truth = {b.label: b.xyxy for b in true_boxes(SCENE)}
    for label in truth:
        result = ground(capsys, picture, f"the {label}")
        assert len(result["boxes"]) == 1, (label, result)
        assert iou(result["boxes"][0]["box"], truth[label]) >= 0.5, (label, result["boxes"])
        assert result["boxes"][0]["label"] == f"the {label}"
        assert 0 < result["boxes"][0]["score"] <= 1


def test_an_absent_shape_gets_no_box_and_several_queries_at_once(capsys, picture):
    assert ground(capsys, picture, "the green square")["boxes"] == []
    result = ground(capsys, picture, "the red circle. the blue star. a white square")
    assert sorted(b["label"] for b in result["boxes"]) == ["the blue star", "the red circle"]


def test_referring_query_picks_the_one_meant(capsys, picture):
    truth = {b.label: b.xyxy for b in true_boxes(SCENE)}
    result = ground(capsys, picture, "the shape at the bottom")
    assert len(result["boxes"]) == 1 and iou(result["boxes"][0]["box"], truth["red circle"]) >= 0.5
    result = ground(capsys, picture, "the biggest shape")
    assert len(result["boxes"]) == 1 and iou(result["boxes"][0]["box"], truth["blue star"]) >= 0.5


def test_grounded_answer(capsys, picture):
    truth = {b.label: b.xyxy for b in true_boxes(SCENE)}
    result = ground(capsys, picture, "--ask", "what colour is the star?")
    assert result["answer"] == "blue" and iou(result["boxes"][0]["box"], truth["blue star"]) >= 0.5
    result = ground(capsys, picture, "--ask", "what shape is the red one?")
    assert result["answer"] == "circle"


def test_unknown_words_are_said(capsys, picture):
    result = ground(capsys, picture, "the dog")
    assert result["boxes"] == [] and "dog" in result["notes"][0]


def test_overlay_and_mask_files(capsys, picture, tmp_path):
    overlay, mask = tmp_path / "overlay.png", tmp_path / "mask.png"
    ground(capsys, picture, "the blue star", "--overlay", overlay, "--mask", mask)
    drawn = np.asarray(Image.open(overlay).convert("RGB"))
    assert drawn.shape == (128, 128, 3) and (drawn != render(SCENE)).any()
    m = np.asarray(Image.open(mask)) > 127
    from studio.world.render import shape_alpha

    star = shape_alpha(SCENE.shapes[0], 128) > 0.5
    assert (m & star).sum() / (m | star).sum() >= 0.7
    assert not m[96:, 96:].any()  # nothing of the red circle


@pytest.mark.parametrize("argv, words", [
    (["", ], "no words"),
    ([" ".join(["red"] * 200)], "too long"),
    (["the star", "--threshold", "1.5"], "between 0 and 1"),
    (["the star", "--max-boxes", "0"], "--max-boxes"),
])
def test_bad_queries_are_refused_plainly(capsys, picture, tmp_path, argv, words):
    out = tmp_path / "out.png"
    err = fails(capsys, picture, *argv, "--overlay", out)
    assert words in err and not out.exists()


def test_a_model_folder_of_another_kind_is_refused(capsys, picture):
    err = fails(capsys, picture, "the star", "--model", ROOT / "assets" / "models" / "studio-shapes")
    assert "studio-shapes" in err


write_clip = write_rgb_clip


MOVING = Scene((Shape("circle", "red", "small", "left"), Shape("square", "blue", "small", "top")), "black", 128)


def test_a_moving_shape_is_one_track_on_every_frame(capsys, tmp_path):
    frames = render_motion(MOVING, 16, "left", "right")
    video = tmp_path / "moving.mp4"
    write_clip(video, frames)
    result = ground(capsys, video, "the red circle. the blue square")
    assert result["frames"] == 16
    red = [b for b in result["boxes"] if b["label"] == "the red circle"]
    blue = [b for b in result["boxes"] if b["label"] == "the blue square"]
    assert sorted(b["frame"] for b in red) == list(range(16))
    assert len({b["track"] for b in red}) == 1 and len({b["track"] for b in blue}) == 1
    assert {b["track"] for b in red} != {b["track"] for b in blue}
    xs = [(b["box"][0] + b["box"][2]) / 2 for b in sorted(red, key=lambda b: b["frame"])]
    assert xs[-1] - xs[0] > 50 and all(b > a - 2 for a, b in zip(xs, xs[1:], strict=False))


def test_a_truncated_video_gives_the_frames_read_and_says_so(capsys, tmp_path):
    frames = render_motion(MOVING, 24, "left", "right")
    video = tmp_path / "moving.mp4"
    write_clip(video, frames)
    data = video.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    code = main(["ground", str(cut), "the red circle", "--json"])
    out = capsys.readouterr()
    if code != 0:  # the container's index may be gone: then a plain error
        assert "video" in out.err.lower() or "read" in out.err.lower()
        return
    result = json.loads(out.out)
    assert result["frames"] < 24 and result["notes"]


def test_coco_json_of_a_picture_and_of_a_video(capsys, picture, tmp_path):
    out = tmp_path / "boxes.json"
    result = ground(capsys, picture, "the red circle. the blue star", "--coco", out)
    coco = json.loads(out.read_text())
    assert coco["images"][0]["width"] == 128 and len(coco["annotations"]) == len(result["boxes"]) == 2
    names = {c["id"]: c["name"] for c in coco["categories"]}
    for ann, b in zip(sorted(coco["annotations"], key=lambda a: names[a["category_id"]]),
                      sorted(result["boxes"], key=lambda b: b["label"]), strict=True):
        x, y, w, h = ann["bbox"]
        assert names[ann["category_id"]] == b["label"]
        assert [x, y, x + w, y + h] == pytest.approx(b["box"], abs=0.02)
    video = write_rgb_clip(tmp_path / "moving.mp4", render_motion(MOVING, 8, "left", "right"))
    ground(capsys, video, "the red circle", "--coco", out)
    coco = json.loads(out.read_text())
    assert len(coco["images"]) == 8 and {a["track_id"] for a in coco["annotations"]} == {1}
