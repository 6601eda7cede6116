"""The face backend: a real face is boxed where it is, a faceless picture gets none, either detector."""

from __future__ import annotations

import pytest
import skimage.data

from studio.api import StudioError
from studio_plugins.grounding.faces import FaceBackend, available_detector, is_face_query
from studio_plugins.grounding.types import Found

ASTRONAUT_FACE = (183, 75, 265, 175)  # measured by hand: brows to chin, cheek to cheek
CAMERA_FACE = (198, 118, 256, 192)  # the cameraman's face, turned to the side


def _iou(a, b) -> float:
    inter = max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


@pytest.fixture(scope="module")
def mtcnn():
    return FaceBackend("mtcnn")


def test_mtcnn_is_the_detector_here():
    assert available_detector() == "mtcnn"  # the mtcnn package (a dependency) ships the weights


def test_the_astronauts_face(mtcnn):
    found = mtcnn.detect(skimage.data.astronaut(), ["face"], threshold=0.5, max_boxes=5)
    assert len(found) == 1 and isinstance(found[0], Found)
    face = found[0]
    assert face.label == "face" and face.score > 0.9 and _iou(face.box, ASTRONAUT_FACE) >= 0.5, face.box
    assert face.attributes["detector"] == "mtcnn"
    (lx, ly), (rx, ry) = face.attributes["landmarks"]["left_eye"], face.attributes["landmarks"]["right_eye"]
    assert 190 < lx < rx < 260 and 85 < ly < 115 and 85 < ry < 115  # her eyes


def test_a_face_turned_aside_in_grey(mtcnn):
    found = mtcnn.detect(skimage.data.camera(), ["a face"], threshold=0.5, max_boxes=5)
    assert [f.label for f in found] == ["a face"] and _iou(found[0].box, CAMERA_FACE) >= 0.5


@pytest.mark.parametrize("name", ["coffee", "rocket", "chelsea", "brick"])
def test_no_face_in_faceless_pictures(mtcnn, name):
    assert mtcnn.detect(getattr(skimage.data, name)(), ["face"], threshold=0.5, max_boxes=5) == []


def test_other_queries_are_not_answered(mtcnn):
    astronaut = skimage.data.astronaut()
    assert mtcnn.detect(astronaut, ["rocket", "flag"], threshold=0.1, max_boxes=5) == []
    found = mtcnn.detect(astronaut, ["rocket", "faces"], threshold=0.1, max_boxes=5)
    assert {f.label for f in found} == {"faces"}
    assert mtcnn.detect(astronaut, ["face"], threshold=0.99999999, max_boxes=5) == []  # scores below the threshold
    with pytest.raises(StudioError, match="cannot answer"):
        mtcnn.answer(astronaut, "who is this?")


def test_face_queries():
    assert is_face_query("face") and is_face_query("Human faces") and is_face_query("a smiling face")
    assert not is_face_query("person") and not is_face_query("surface") and not is_face_query("facade")


def test_the_lbp_cascade_fallback_says_so():
    lbp = FaceBackend("lbp-cascade")
    found = lbp.detect(skimage.data.astronaut(), ["face"], threshold=0.5, max_boxes=5)
    assert len(found) == 1 and found[0].attributes["detector"] == "lbp-cascade" and "LBP" in lbp.name
    assert _iou(found[0].box, ASTRONAUT_FACE) >= 0.5
    assert lbp.detect(skimage.data.coffee(), ["face"], threshold=0.5, max_boxes=5) == []


def test_without_the_mtcnn_weights_the_cascade_runs(monkeypatch):
    from studio_plugins.grounding import mtcnn_torch

    monkeypatch.setattr(mtcnn_torch, "weights_folder", lambda: None)
    assert FaceBackend().detector == "lbp-cascade"
    with pytest.raises(StudioError, match="needs the 'mtcnn' package"):
        FaceBackend("mtcnn")
