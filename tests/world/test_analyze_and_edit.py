"""The classical analyzer reads rendered images; edit pairs change one attribute."""

from __future__ import annotations

from collections import Counter

import numpy as np

from studio.world import Scene, Shape, render, sample_scene
from studio.world.analyze import analyze
from studio.world.edit import EDIT_ATTRIBUTES, edit_pair, sample_edit

ATTRS = ("background", "kind", "colour", "size", "position")


def test_analyzer_reads_rendered_single_shapes() -> None:
    rng = np.random.default_rng(2024)
    n = 400
    wrong: Counter[str] = Counter()
    for _ in range(n):
        scene = sample_scene(rng, n_shapes=1)
        got = analyze(render(scene)).as_dict()
        for attr, value in scene.attributes().items():
            wrong[attr] += got[attr] != value
    for attr in ATTRS:
        assert 1 - wrong[attr] / n >= 0.99, (attr, wrong)


def test_analyzer_tolerates_mild_noise() -> None:
    rng = np.random.default_rng(7)
    n = 200
    wrong: Counter[str] = Counter()
    for _ in range(n):
        scene = sample_scene(rng, n_shapes=1)
        noisy = render(scene).astype(np.float32) + rng.normal(0, 6, (64, 64, 3))
        got = analyze(np.clip(noisy, 0, 255).astype(np.uint8)).as_dict()
        for attr, value in scene.attributes().items():
            wrong[attr] += got[attr] != value
    for attr in ATTRS:
        assert 1 - wrong[attr] / n >= 0.95, (attr, wrong)


def test_analyzer_on_empty_image() -> None:
    empty = render(Scene((), "gray"))
    result = analyze(empty)
    assert result.background == "gray" and result.kind is None


def test_analyzer_known_scene() -> None:
    scene = Scene((Shape("star", "orange", "large", "bottom left"),), "white")
    assert analyze(render(scene)).as_dict() == scene.attributes()


def test_edit_pair_changes_only_the_asked_attribute() -> None:
    rng = np.random.default_rng(3)
    for attribute in EDIT_ATTRIBUTES:
        for _ in range(15):
            ex = sample_edit(rng, attribute=attribute)
            before, after = ex.before.attributes(), ex.after.attributes()
            changed = {k for k in ATTRS if before[k] != after[k]}
            assert changed == {attribute}
            # the images say the same thing as the scenes
            assert analyze(render(ex.before)).as_dict() == before
            assert analyze(render(ex.after)).as_dict() == after
            assert before["kind"] in ex.instruction
            new_value = after[attribute]
            assert new_value in ex.instruction


def test_edit_pair_returns_images_and_instruction() -> None:
    a, b, text = edit_pair(np.random.default_rng(1))
    assert a.shape == b.shape == (64, 64, 3) and a.dtype == np.uint8
    assert not np.array_equal(a, b)
    assert text.split()[0] in {"make", "turn", "move"}
    a2, b2, text2 = edit_pair(np.random.default_rng(1))
    assert text2 == text and np.array_equal(a, a2) and np.array_equal(b, b2)
