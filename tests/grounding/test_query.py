"""Queries and questions resolved over detections: the words mean what a user means by them.

The detections here are made by hand (no network), so these tests pin the query logic alone.
"""

import numpy as np
import pytest

from studio.errors import BadInputError
from studio_plugins.grounding import query as Q
from studio_plugins.grounding.builtin import Scene, Shape

KINDS = ("circle", "square", "triangle", "star")
COLOURS = ("red", "green", "blue", "yellow", "purple", "orange", "white")
SIDE = 120


def shape(kind, colour, cx, cy, r=10, size="small", heat=0.9):
    kp = {k: (0.97 if k == kind else 0.01) for k in KINDS}
    cp = {c: (0.97 if c == colour else 0.005) for c in COLOURS}
    box = (cx - r, cy - r, cx + r, cy + r)
    col, row = min(2, int(cx * 3 / SIDE)), min(2, int(cy * 3 / SIDE))
    pos = {(0, 0): "top left", (1, 0): "top", (2, 0): "top right", (0, 1): "left", (1, 1): "centre",
           (2, 1): "right", (0, 2): "bottom left", (1, 2): "bottom", (2, 2): "bottom right"}[(col, row)]
    return Shape(box, heat, kp, cp, size, pos, (cx / SIDE, cy / SIDE), np.zeros((SIDE, SIDE), bool))


def scene(*shapes, background="black"):
    return Scene(list(shapes), background, (SIDE, SIDE))


RED_CIRCLE_LEFT = shape("circle", "red", 20, 60)
RED_CIRCLE_RIGHT = shape("circle", "red", 100, 60, r=22, size="large")
BLUE_STAR_TOP = shape("star", "blue", 60, 20)


def boxes(found):
    return [f.box for f in found]


def test_attribute_query_finds_only_the_named_shape():
    s = scene(RED_CIRCLE_LEFT, BLUE_STAR_TOP)
    found, _ = Q.resolve(s, "the blue star")
    assert boxes(found) == [BLUE_STAR_TOP.box]
    found, _ = Q.resolve(s, "a star")
    assert boxes(found) == [BLUE_STAR_TOP.box]
    found, _ = Q.resolve(s, "the red shape")
    assert boxes(found) == [RED_CIRCLE_LEFT.box]


def test_absent_shape_gets_no_box():
    s = scene(RED_CIRCLE_LEFT, BLUE_STAR_TOP)
    for text in ("the blue square", "the red star", "a green circle", "the large star"):
        found, _ = Q.resolve(s, text)
        assert found == [], text


def test_referring_picks_one_not_every_match():
    s = scene(RED_CIRCLE_LEFT, RED_CIRCLE_RIGHT, BLUE_STAR_TOP)
    assert boxes(Q.resolve(s, "the left red circle")[0]) == [RED_CIRCLE_LEFT.box]
    assert boxes(Q.resolve(s, "the red circle on the right")[0]) == [RED_CIRCLE_RIGHT.box]
    assert boxes(Q.resolve(s, "the left one")[0]) == [RED_CIRCLE_LEFT.box]
    assert boxes(Q.resolve(s, "the topmost shape")[0]) == [BLUE_STAR_TOP.box]
    assert boxes(Q.resolve(s, "the biggest shape")[0]) == [RED_CIRCLE_RIGHT.box]
    assert boxes(Q.resolve(s, "the smaller circle")[0]) == [RED_CIRCLE_LEFT.box]


def test_plural_returns_every_match():
    s = scene(RED_CIRCLE_LEFT, RED_CIRCLE_RIGHT, BLUE_STAR_TOP)
    assert sorted(boxes(Q.resolve(s, "red circles")[0])) == sorted([RED_CIRCLE_LEFT.box, RED_CIRCLE_RIGHT.box])
    assert len(Q.resolve(s, "all the shapes")[0]) == 3


def test_a_place_said_of_a_single_shape_must_hold():
    s = scene(RED_CIRCLE_LEFT, BLUE_STAR_TOP)
    assert Q.resolve(s, "the red circle on the right")[0] == []
    assert boxes(Q.resolve(s, "the red circle on the left")[0]) == [RED_CIRCLE_LEFT.box]


def test_synonyms_and_background():
    s = scene(RED_CIRCLE_LEFT, background="white")
    assert boxes(Q.resolve(s, "the crimson ball")[0]) == [RED_CIRCLE_LEFT.box]
    assert Q.resolve(s, "the red circle on a black background")[0] == []
    assert boxes(Q.resolve(s, "the red circle on a white background")[0]) == [RED_CIRCLE_LEFT.box]


def test_unknown_words_are_reported_not_guessed():
    s = scene(RED_CIRCLE_LEFT)
    found, parsed = Q.resolve(s, "the dog")
    assert found == [] and parsed.unknown == ["dog"]


def test_query_splitting_and_limits():
    assert Q.split_queries("a red circle. faces") == ["a red circle", "faces"]
    with pytest.raises(BadInputError):
        Q.split_queries(" . ;")
    with pytest.raises(BadInputError):
        Q.split_queries(" ".join(["word"] * 200))


@pytest.mark.parametrize("question, answer", [
    ("what colour is the star?", "blue"),
    ("What color is the blue star?", "blue"),
    ("what shape is the blue one?", "star"),
    ("where is the star?", "top"),
    ("is the star small or large?", "small"),
    ("how many circles are there?", "2"),
    ("is there a green square?", "no"),
    ("are there any red circles?", "yes"),
    ("what colour is the background?", "black"),
])
def test_grounded_answers(question, answer):
    s = scene(RED_CIRCLE_LEFT, RED_CIRCLE_RIGHT, BLUE_STAR_TOP)
    got = Q.answer(s, question)
    assert got.answer == answer
    if answer in ("blue", "star", "top", "small"):
        assert boxes(got.found) == [BLUE_STAR_TOP.box]


def test_question_about_an_absent_shape_says_so():
    got = Q.answer(scene(RED_CIRCLE_LEFT), "what colour is the star?")
    assert got.answer == "there is no star" and got.found == []


def test_not_a_question():
    with pytest.raises(BadInputError):
        Q.answer(scene(RED_CIRCLE_LEFT), "hello there")


def test_ordinals_count_along_the_asked_direction():
    s = scene(RED_CIRCLE_LEFT, RED_CIRCLE_RIGHT, BLUE_STAR_TOP)
    assert boxes(Q.resolve(s, "the second shape from the left")[0]) == [BLUE_STAR_TOP.box]
    assert boxes(Q.resolve(s, "the first shape from the right")[0]) == [RED_CIRCLE_RIGHT.box]
    assert boxes(Q.resolve(s, "the second red circle")[0]) == [RED_CIRCLE_RIGHT.box]
    assert boxes(Q.resolve(s, "the last circle")[0]) == [RED_CIRCLE_RIGHT.box]
    assert Q.resolve(s, "the third circle")[0] == []
