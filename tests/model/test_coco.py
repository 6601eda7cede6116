"""Boxes as COCO detection JSON: a still's boxes, a clip's boxes per frame with track ids (no Qt)."""

import json

from studio.coco import from_coco, to_coco, write_coco
from studio.document import Box


def test_a_still_s_boxes_round_trip_through_the_written_file(tmp_path):
    boxes = [Box(20, 30, 80, 90, "cat", 0.9), Box(150.5, 40, 250, 160.25, "dog"), Box(1, 2, 3, 4, "cat", 0.25)]
    path = write_coco(tmp_path / "found.json", boxes, (300, 200), "photo.png")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["images"] == [{"id": 1, "file_name": "photo.png", "width": 300, "height": 200}]
    assert data["categories"] == [{"id": 1, "name": "cat", "supercategory": "object"},
                                  {"id": 2, "name": "dog", "supercategory": "object"}]
    first, second, third = data["annotations"]
    assert first == {"id": 1, "image_id": 1, "category_id": 1, "bbox": [20, 30, 60, 60], "area": 3600,
                     "iscrowd": 0, "score": 0.9}
    assert second["bbox"] == [150.5, 40, 99.5, 120.25] and second["category_id"] == 2 and "score" not in second
    assert third["category_id"] == 1  # one category per label
    assert {a["id"] for a in data["annotations"]} == {1, 2, 3}
    assert from_coco(data) == boxes  # pixel-exact, labels and scores kept
    assert not list(tmp_path.glob(".*"))  # written atomically: no temporary file left


def test_a_clip_has_an_image_per_frame_a_video_and_track_ids(tmp_path):
    boxes = [Box(10 + 5 * f, 10, 30 + 5 * f, 30, "ball", 0.5, frame=f, track_id=1) for f in range(5)]
    boxes += [Box(0, 0, 8, 8, "cup", frame=2, track_id=2, keyframe=True)]
    data = json.loads(write_coco(tmp_path / "t.json", boxes, (64, 48), "clip.mp4", frame_count=6, fps=24).read_text())
    assert data["videos"] == [{"id": 1, "name": "clip.mp4", "width": 64, "height": 48, "frame_count": 6,
                               "fps": 24.0}]
    assert [(i["id"], i["frame_index"], i["video_id"]) for i in data["images"]] == [(n + 1, n, 1) for n in range(6)]
    assert data["images"][0]["file_name"] == "clip/frame_0000.png"  # as a PNG-sequence export names it
    by_image = {}
    for a in data["annotations"]:
        by_image.setdefault(a["image_id"], []).append(a)
    assert sorted(by_image) == [1, 2, 3, 4, 5]  # nothing on the last frame
    assert [a["track_id"] for a in by_image[3]] == [1, 2]
    assert by_image[3][1]["attributes"] == {"keyframe": True}
    assert by_image[4][0]["bbox"] == [25, 10, 20, 20]
    assert data["tracks"] == [{"id": 1, "category_id": 1, "video_id": 1}, {"id": 2, "category_id": 2, "video_id": 1}]
    assert sorted(from_coco(data), key=lambda b: (b.frame, b.track_id)) == sorted(
        boxes, key=lambda b: (b.frame, b.track_id))


def test_a_box_on_every_frame_and_unlabelled_boxes():
    data = to_coco([Box(0, 0, 2, 2)], (4, 4), "c.mp4", frame_count=3)
    assert [a["image_id"] for a in data["annotations"]] == [1, 2, 3]
    assert data["categories"] == [{"id": 1, "name": "object", "supercategory": "object"}]
    assert [b.frame for b in from_coco(data)] == [0, 1, 2] and from_coco(data)[0].label == ""

