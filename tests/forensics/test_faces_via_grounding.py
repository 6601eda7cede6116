"""Forensics asks the grounding plugin for faces (ctx.find_objects) and falls back to its cascade without it."""

from __future__ import annotations

import numpy as np
from PIL import Image

import studio_plugins.forensics as forensics
from studio.application import StudioApp
from studio_plugins.forensics.faces import CASCADE, faces_analysis
from studio_plugins.forensics.residuals import error_level
from studio_plugins.forensics.source import open_image


def _analyse(app: StudioApp, path):
    source = open_image(path)
    return faces_analysis(source, error_level(source, 92).maps["relative"],
                          forensics.face_finder(app.host.context("forensics")))


def test_faces_come_from_grounding_when_it_is_installed(tmp_path, astronaut):
    path = tmp_path / "astronaut.jpg"
    Image.fromarray(astronaut).save(path, quality=92)
    result = _analyse(StudioApp(), path)  # every built-in plugin, grounding among them
    assert result.data["detector"].startswith("MTCNN") and "MTCNN" in result.summary
    assert result.state == "faces-consistent" and len(result.data["faces"]) == 1
    x0, y0, x1, y1 = result.data["faces"][0]["box"]
    assert 200 < (x0 + x1) / 2 < 250 and 100 < (y0 + y1) / 2 < 140  # Eileen Collins's face


def test_the_cascade_without_grounding(tmp_path, astronaut):
    path = tmp_path / "astronaut.jpg"
    Image.fromarray(astronaut).save(path, quality=92)
    app = StudioApp(entry_points=[])
    app.host.register(forensics, "forensics")  # no grounding plugin
    result = _analyse(app, path)
    assert result.data["detector"] == CASCADE and len(result.data["faces"]) == 1


def test_a_turned_face_is_found_only_through_grounding(tmp_path):
    import skimage.data

    path = tmp_path / "camera.png"
    Image.fromarray(skimage.data.camera()).save(path)  # grey, the face turned aside: the cascade misses it
    result = _analyse(StudioApp(), path)
    assert len(result.data["faces"]) == 1 and result.data["detector"].startswith("MTCNN")
    assert np.all(np.array(result.data["faces"][0]["box"]) >= 0)
