"""video.generate on a tiny random model: what each option does to the frames, measured (fixed seeds)."""

from __future__ import annotations

import numpy as np
import pytest

from studio.jobs import JobState


def frames_of(job) -> np.ndarray:
    assert job.state == JobState.FINISHED, job.error
    return np.stack(job.result.clips[0].frames).astype(np.float32)


def per_frame_change(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a - b).mean(axis=(1, 2, 3))


def test_a_clip_has_the_asked_frames_and_a_record(generate):
    job = generate(frames=8)
    clip = job.result.clips[0]
    assert len(clip.frames) == 8 and clip.frames[0].shape == (64, 64, 3) and clip.fps == 8.0
    record = clip.record
    assert record.action == "video.generate" and record.c2pa_action == "c2pa.created"
    assert record.digital_source.endswith("trainedAlgorithmicMedia")
    assert record.params["seed"] == 7 and record.params["frames"] == 8 and record.params["steps"] == 2
    assert record.extra["motion_module"]["name"] == "mm_tiny_v2" and len(record.extra["motion_module"]["sha256"]) == 64
    assert record.extra["prompts_per_frame"] == ["a red circle moving right"] * 8
    assert record.model["sha256"] and record.extra["context_windows"] == {"used": False}
    assert np.array_equal(frames_of(generate(frames=8)), frames_of(job))  # a fixed seed repeats


def test_prompt_travel_changes_the_frames_from_the_travel_frame_on(generate):
    plain = frames_of(generate(frames=8))
    travel_job = generate(frames=8, prompt_at="4:a blue square on white")
    travel = frames_of(travel_job)
    change = per_frame_change(plain, travel)
    before, after = change[:4].mean(), change[4:].mean()
    print(f"prompt travel at 4: change before {before:.3f}, after {after:.3f} (grey levels)")
    assert after > 0.5 and after > 2 * before  # before: only through the motion module's attention
    extra = travel_job.result.clips[0].record.extra
    assert extra["prompts_per_frame"] == ["a red circle moving right"] * 4 + ["a blue square on white"] * 4
    assert extra["prompts"] == {"0": "a red circle moving right", "4": "a blue square on white"}


def test_loop_denoises_the_seam_inside_the_window_and_keeps_frame_order(generate, monkeypatch):
    """--loop rolls the latents (and per-frame prompts) along the frames every step, back to 0 at the end.

    With random weights a motion module hardly couples frames (neighbours differ as much as any two frames), so
    the seam figure below cannot drop here; it is printed, and must be measured on a trained module.
    """
    import studio_plugins.motion.worker as worker

    shifts = []
    original = worker.roll_frames

    def spy(tensor, shift, frames):
        if tensor is not None and tensor.ndim == 5:
            shifts.append(shift)
        return original(tensor, shift, frames)

    monkeypatch.setattr(worker, "roll_frames", spy)
    plain = frames_of(generate(frames=16, steps=4, context_length=8, seed=3))
    assert shifts == []
    looped_job = generate(frames=16, steps=4, context_length=8, seed=3, loop=True)
    looped = frames_of(looped_job)
    rolled = shifts[0::2]  # each step: the roll of the latents, then the un-roll of the preview
    assert rolled == [4, 4, 4, -12] and sum(rolled) == 0  # the seam visits 4 places; frame order is kept
    assert looped.shape == plain.shape and np.abs(looped - plain).mean() > 0.05

    def seam(frames):
        return np.abs(frames[-1] - frames[0]).mean() / np.abs(np.diff(frames, axis=0)).mean()

    print(f"last→first / mean frame-to-frame change: without loop {seam(plain):.3f}, with loop {seam(looped):.3f}")
    assert looped_job.result.clips[0].record.extra["loop"]["asked"] is True


def test_context_windows_make_longer_clips(generate):
    job = generate(frames=24, context_length=8, context_stride=4)
    frames = frames_of(job)
    assert frames.shape[0] == 24
    windows = job.result.clips[0].record.extra["context_windows"]
    assert windows["used"] is True and windows["length"] == 8 and windows["stride"] == 4
    assert job.result.data["windows"] is True


def test_a_motion_lora_changes_the_motion_with_its_weight(generate, motion_lora):
    none = frames_of(generate())
    zero = frames_of(generate(motion_lora=f"{motion_lora}:0"))
    full = frames_of(generate(motion_lora=f"{motion_lora}:1"))
    print(f"motion LoRA: weight 0 vs none {np.abs(zero - none).mean():.4f}, "
          f"weight 1 vs 0 {np.abs(full - zero).mean():.3f}")
    assert np.abs(full - zero).mean() > 0.5
    assert np.abs(zero - none).mean() < 0.05
    record = generate(motion_lora=f"{motion_lora}:0.5").result.clips[0].record
    assert record.extra["motion_loras"][0]["weight"] == 0.5


def test_previews_are_strips_of_frames_and_cancel_stops(generate):
    previews = []

    def watch(job):
        if job.preview is not None:
            previews.append(job.preview)

    generate(steps=3, on_change=watch)
    assert previews and previews[-1].ndim == 3 and previews[-1].shape[1] > previews[-1].shape[0]

    def cancel_at_first_step(job):
        if job.step >= 1:
            job.cancel()

    job = generate(steps=6, on_change=cancel_at_first_step)
    assert job.state == JobState.CANCELLED and job.step < 6


@pytest.mark.parametrize("frames", [0, 10_000])
def test_frame_counts_out_of_range_are_refused(generate, frames):
    job = generate(frames=frames)
    assert job.state == JobState.FAILED and "frames" in job.error


def test_the_clip_lands_on_the_timeline_as_one_clip_with_its_record(generate):
    from studio.document import Document, FramesClip
    from studio.document.apply import apply_result

    job = generate(frames=8)
    doc = Document()
    applied = apply_result(doc, job.result, "Generate video")
    clips = [c for c in applied.clips if isinstance(c, FramesClip)]
    assert len(applied.clips) == 1 and len(clips) == 1
    assert len(clips[0].frames) == 8 and clips[0].record.action == "video.generate"
    assert doc.timeline.duration == 8


def test_regenerate_from_the_clip_record(app, generate):
    from studio_plugins.motion.commands import regenerate_clip

    job = generate(frames=8, seed=11, prompt_at="5:a green star")
    record = job.result.clips[0].record
    again = regenerate_clip(app.host.context("motion"), record)
    assert np.array_equal(np.stack(again.frames), np.stack(job.result.clips[0].frames))
    assert again.record.extra["prompts_per_frame"] == record.extra["prompts_per_frame"]
