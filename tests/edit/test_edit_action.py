"""The edit actions in-process: the result keeps the input's size, a mask keeps every pixel outside it, a clip is
edited frame by frame with one seed and a consistency figure, and bad input is refused before any work."""

from __future__ import annotations

import numpy as np
import pytest
from edit_helpers import picture, region_mask

from studio.document.layers import Layer
from studio.jobs import JobState
from studio.media import ClipInput
from studio_plugins.diffusion.generate import engine_for


def layer(width=67, height=45):
    return Layer(picture(width, height), name="photo.png")


def mask_layer(pixels):
    return Layer(pixels, name="mask.png", kind="mask")


@pytest.mark.parametrize("size", [(67, 45), (40, 64), (33, 17)])
def test_the_result_has_exactly_the_input_size(run_edit, ip2p_folder, size):
    job, _ = run_edit(instruction="make it blue", image=layer(*size), model=str(ip2p_folder), steps=2, seed=3)
    assert job.state == JobState.FINISHED, job.error
    result = job.result.images[0]
    assert result.pixels.shape[:2] == (size[1], size[0])
    work = result.record.extra["model_size"]
    assert all(int(side) % 8 == 0 for side in work.split("x"))
    resized = size[0] % 8 or size[1] % 8
    assert result.record.extra["resize"].endswith(f"back to {size[0]}x{size[1]}" if resized else "a multiple of 8")


def test_pixels_outside_the_mask_are_the_inputs_own_and_inside_it_change(run_edit, ip2p_folder):
    mask = region_mask()
    job, _ = run_edit(instruction="make it blue", image=layer(), mask=mask_layer(mask), model=str(ip2p_folder),
                      steps=2, seed=3)
    assert job.state == JobState.FINISHED, job.error
    out = job.result.images[0].pixels[..., :3]
    original = picture()
    assert np.array_equal(out[mask == 0], original[mask == 0])
    assert (out[mask == 255] != original[mask == 255]).any(axis=1).mean() > 0.5


def test_a_transparent_picture_keeps_its_alpha(run_edit, ip2p_folder):
    rgba = np.dstack([picture(), np.full((45, 67), 255, np.uint8)])
    rgba[:5, :5, 3] = 0
    job, _ = run_edit(instruction="make it blue", image=Layer(rgba, name="cutout.png"), model=str(ip2p_folder),
                      steps=1, seed=1)
    assert job.state == JobState.FINISHED, job.error
    assert np.array_equal(job.result.images[0].pixels[..., 3], rgba[..., 3])


def test_folder_and_single_file_make_the_same_pixels_with_one_seed(run_edit, ip2p_folder, ip2p_single_file):
    runs = [run_edit(instruction="add snow", image=layer(), model=str(model), steps=2, seed=11)[0]
            for model in (ip2p_folder, ip2p_single_file, ip2p_folder)]
    assert all(job.state == JobState.FINISHED for job in runs), [job.error for job in runs]
    first, single, again = (job.result.images[0].pixels for job in runs)
    assert np.array_equal(first, again) and np.array_equal(first, single)
    other = run_edit(instruction="add snow", image=layer(), model=str(ip2p_folder), steps=2, seed=12)[0]
    assert not np.array_equal(first, other.result.images[0].pixels)


def test_the_record_holds_the_instruction_the_scales_and_the_ingredients(run_edit, ip2p_folder):
    job, events = run_edit(instruction="make it blue", image=layer(), mask=mask_layer(region_mask()),
                           model=str(ip2p_folder), steps=3, seed=4, image_guidance=1.8, guidance=6.0)
    record = job.result.images[0].record
    assert record.action == "edit_image" and record.c2pa_action == "c2pa.edited"
    assert record.digital_source == "compositeWithTrainedAlgorithmicMedia"
    assert {k: record.params[k] for k in ("instruction", "image_guidance", "guidance", "steps", "seed")} == {
        "instruction": "make it blue", "image_guidance": 1.8, "guidance": 6.0, "steps": 3, "seed": 4}
    assert record.model["family"] == "instruct-pix2pix" and len(record.model["sha256"]) == 64
    parent, mask = record.ingredients
    assert (parent.relationship, parent.title, mask.relationship, mask.title) == (
        "parentOf", "photo.png", "inputTo", "mask.png")
    assert "Image CFG scale: 1.8" in record.parameters_text
    assert {1, 2, 3} <= {e[0] for e in events if e[1] == 3} and any(e[2] for e in events)  # steps, previews


@pytest.mark.parametrize("params, message", [
    ({"instruction": "   "}, "'instruction' must not be empty"),
    ({"mask": mask_layer(np.full((20, 20), 255, np.uint8))}, "is 20×20 but the picture is 67×45"),
    ({"mask": mask_layer(np.zeros((45, 67), np.uint8))}, "is all black, so nothing would be edited"),
    ({"image_guidance": 0.5}, "'image_guidance' must be at least 1"),
    ({"guidance": 500.0}, "'guidance' must be at most 30"),
    ({"steps": 0}, "'steps' must be at least 1"),
    ({"image": Layer(picture(10, 40), name="tiny.png")}, "needs at least 16 pixels a side"),
])
def test_bad_input_is_refused_before_any_work(run_edit, app, ip2p_folder, params, message):
    engine = engine_for(app.host.context("diffusion"))
    engine.clear()
    loads = engine.loads
    values = {"instruction": "make it blue", "image": layer(), "model": str(ip2p_folder), "steps": 2} | params
    job, _ = run_edit(**values)
    assert job.state == JobState.FAILED and message in job.error
    assert engine.loads == loads  # no model was read


def test_a_text_to_image_model_is_refused_before_loading(run_edit, app, sd1_folder):
    engine = engine_for(app.host.context("diffusion"))
    loads = engine.loads
    job, _ = run_edit(instruction="make it blue", image=layer(), model=str(sd1_folder), steps=2)
    assert job.state == JobState.FAILED and "needs an InstructPix2Pix model" in job.error
    assert engine.loads == loads


def test_generate_refuses_an_edit_model_with_what_to_use(app, ip2p_folder):
    from studio.jobs import Job, execute

    job = execute(Job(app.action("generate"), {"prompt": "a cat", "model": str(ip2p_folder), "steps": 1}), app)
    assert job.state == JobState.FAILED
    assert "is an InstructPix2Pix edit model" in job.error and "studio edit IMAGE INSTRUCTION" in job.error


def test_cancel_stops_the_edit_at_a_step(run_edit, ip2p_folder):
    job, events = run_edit(instruction="make it blue", image=layer(), model=str(ip2p_folder), steps=30,
                           cancel_after=2)
    assert job.state == JobState.CANCELLED and job.result is None
    assert max(e[0] for e in events) < 30


def clip_of(frames):
    return ClipInput.from_frames(frames, 6.0, "walk.mp4")


def test_a_clip_is_edited_frame_by_frame_with_one_seed_and_a_consistency_figure(run_edit, ip2p_folder):
    base = picture(41, 33)
    frames = [np.roll(base, shift, axis=1) for shift in (0, 1, 2, 3)]
    job, events = run_edit("edit_clip", instruction="make it blue", clip=clip_of(frames), model=str(ip2p_folder),
                           steps=2, seed=9, mask=mask_layer(region_mask(41, 33)))
    assert job.state == JobState.FINISHED, job.error
    (clip,) = job.result.clips
    assert len(clip.frames) == 4 and clip.size == (41, 33) and clip.fps == 6.0
    mask = region_mask(41, 33)
    for original, edited in zip(frames, clip.frames, strict=True):
        assert np.array_equal(edited[mask == 0], original[mask == 0])
    figure = job.result.data["consistency"]
    assert figure["pairs"] == 3 and figure["input_change"] > 0 and figure["output_change"] > 0
    assert figure["ratio"] == pytest.approx(figure["output_change"] / figure["input_change"], abs=0.01)
    assert "4 frames edited with seed 9" in job.result.messages[0] and "× the input's" in job.result.messages[0]
    assert clip.record.action == "edit_clip" and clip.record.extra["consistency"] == figure
    assert max(e[0] for e in events) == 8 and {e[1] for e in events if e[0]} == {8}  # 4 frames × 2 steps
    # one seed: the same frame edits to the same pixels wherever it is in the clip
    still, _ = run_edit("edit_clip", instruction="make it blue", clip=clip_of([base, base]), model=str(ip2p_folder),
                        steps=2, seed=9)
    a, b = still.result.clips[0].frames
    assert np.array_equal(a, b) and still.result.data["consistency"]["ratio"] is None
    inside = region_mask(41, 33) == 255
    assert np.array_equal(a[inside], clip.frames[0][inside])  # frame 0 of the masked run: the same edit inside
