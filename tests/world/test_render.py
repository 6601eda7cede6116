"""Renderer, captions, boxes and motion of the shapes world."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from studio.world import (
    BACKGROUNDS,
    COLOURS,
    Scene,
    Shape,
    boxes,
    caption,
    render,
    render_motion,
    sample_scene,
)
from studio.world.vocab import POSITION_PHRASES


def test_world_does_not_import_torch_or_qt() -> None:
    code = "import sys, studio.world, studio.world.analyze; print('torch' in sys.modules, 'PySide6' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=str(__import__("pathlib").Path(__file__).resolve().parents[2]),
    )
    assert out.stdout.split() == ["False", "False"]


def test_render_is_deterministic_from_seed() -> None:
    a = [render(sample_scene(np.random.default_rng(5))) for _ in range(3)]
    b = [render(sample_scene(np.random.default_rng(5))) for _ in range(3)]
    for x, y in zip(a, b, strict=True):
        assert x.dtype == np.uint8 and x.shape == (64, 64, 3)
        np.testing.assert_array_equal(x, y)
    rng = np.random.default_rng(6)
    assert not np.array_equal(render(sample_scene(rng)), render(sample_scene(rng)))


@pytest.mark.parametrize("size", [32, 64, 128])
def test_render_size_parameter(size: int) -> None:
    scene = sample_scene(np.random.default_rng(0), size=size)
    assert render(scene).shape == (size, size, 3)


def test_caption_single_shape() -> None:
    scene = Scene((Shape("circle", "red", "large", "top left"),), "black")
    assert caption(scene) == "a large red circle in the top left on a black background"


def test_caption_several_shapes() -> None:
    scene = Scene(
        (Shape("star", "blue", "small", "bottom right"), Shape("square", "yellow", "large", "top left")),
        "gray",
    )
    assert caption(scene) == (
        "a small blue star in the bottom right and a large yellow square in the top left on a gray background"
    )


def test_captions_match_attributes() -> None:
    rng = np.random.default_rng(11)
    for _ in range(200):
        scene = sample_scene(rng)
        text = caption(scene)
        assert text.endswith(f"on a {scene.background} background")
        for shape in scene.shapes:
            assert f"a {shape.size} {shape.colour} {shape.kind} {POSITION_PHRASES[shape.position]}" in text
            assert shape.colour != scene.background
        assert text.count(" and ") == len(scene.shapes) - 1


def test_background_and_colours_are_rendered() -> None:
    rng = np.random.default_rng(3)
    for _ in range(100):
        scene = sample_scene(rng, n_shapes=1)
        img = render(scene)
        # shapes keep a margin from the frame, so the corners show the background
        for y, x in ((0, 0), (0, -1), (-1, 0), (-1, -1)):
            assert tuple(img[y, x]) == BACKGROUNDS[scene.background]
        box = boxes(scene)[0]
        cx, cy = (box.x0 + box.x1) // 2, (box.y0 + box.y1) // 2
        assert tuple(img[cy, cx]) == COLOURS[scene.shapes[0].colour]


def test_sampled_shapes_stay_in_their_cell_and_frame() -> None:
    rng = np.random.default_rng(4)
    for _ in range(300):
        scene = sample_scene(rng)
        for shape, box in zip(scene.shapes, boxes(scene), strict=True):
            assert 0 <= box.x0 < box.x1 <= 64 and 0 <= box.y0 < box.y1 <= 64
            cx, cy = shape.resolved_center()
            from studio.world.vocab import POSITIONS

            assert (int(cx * 3), int(cy * 3)) == POSITIONS[shape.position]


def test_boxes_land_on_shape_pixels() -> None:
    rng = np.random.default_rng(8)
    for _ in range(100):
        scene = sample_scene(rng)
        img = render(scene).astype(int)
        bg = np.asarray(BACKGROUNDS[scene.background])
        fg = np.abs(img - bg).sum(axis=2) > 30
        found = boxes(scene)
        assert len(found) == len(scene.shapes)
        covered = np.zeros_like(fg)
        for shape, box in zip(scene.shapes, found, strict=True):
            assert box.label == f"{shape.colour} {shape.kind}"
            inside = fg[box.y0 : box.y1, box.x0 : box.x1]
            assert inside.mean() > 0.3  # the box is mostly shape
            # every edge row/column of the box touches the shape
            assert inside[0].any() and inside[-1].any() and inside[:, 0].any() and inside[:, -1].any()
            # only the anti-aliased fringe (one pixel wide) lies outside the box
            covered[max(box.y0 - 1, 0) : box.y1 + 1, max(box.x0 - 1, 0) : box.x1 + 1] = True
        assert not (fg & ~covered).any()


def test_motion_frames_move_the_shape() -> None:
    shape = Shape("square", "green", "small", "left")
    frames = render_motion(shape, n_frames=6, start="left", end="right", background="gray")
    assert len(frames) == 6
    xs = []
    for frame in frames:
        fg = np.abs(frame.astype(int) - np.asarray(BACKGROUNDS["gray"])).sum(axis=2) > 30
        ys_, xs_ = np.nonzero(fg)
        xs.append(xs_.mean())
        assert abs(ys_.mean() - 32) < 2  # stays on the middle row
    assert all(b > a for a, b in zip(xs, xs[1:], strict=False))
    assert xs[0] < 64 / 3 and xs[-1] > 2 * 64 / 3


def test_motion_of_a_scene_keeps_other_shapes_still() -> None:
    scene = Scene(
        (Shape("circle", "red", "small", "top left"), Shape("star", "white", "small", "bottom right")),
        "black",
    )
    frames = render_motion(scene, n_frames=4, start="top left", end=(0.5, 0.2))
    corner = [f[40:, 40:] for f in frames]
    for c in corner[1:]:
        np.testing.assert_array_equal(c, corner[0])
    assert not np.array_equal(frames[0][:30, :], frames[-1][:30, :])
