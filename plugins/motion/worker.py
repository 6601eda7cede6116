"""Running an AnimateDiff call on the engine's worker thread while the action yields progress and previews.

``callback_on_step_end`` raises :class:`Cancelled` when the job is cancelled (the run stops at the next step),
hands a preview strip to the action now and then, and for ``loop`` rolls the latents (and the per-frame prompt
embeddings with them) along the frame axis so that the seam between the last and the first frame moves through
the middle of the motion module's window — at the last step the roll returns to zero, so frame order is kept.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator
from typing import Any

from studio.api import Cancelled, Progress, StudioError

from .engine import MEMORY_HINT, MEMORY_WINDOW_HINT, MotionEngine, is_out_of_memory

PREVIEW_FRAMES = 4


def loop_offsets(frames: int, steps: int) -> list[int]:
    """Cumulative roll after each step: evenly around the clip, back to 0 after the last step."""
    return [round((i + 1) * frames / steps) % frames for i in range(steps)]


def roll_frames(tensor: Any, shift: int, frames: int) -> Any:
    """Roll a (batch, channels, frames, h, w) latent or a (groups × frames, tokens, dim) embedding along frames."""
    import torch

    if tensor is None or shift == 0:
        return tensor
    if tensor.ndim == 5:
        return torch.roll(tensor, shift, dims=2)
    groups = tensor.shape[0] // frames
    return torch.roll(tensor.reshape(groups, frames, *tensor.shape[1:]), shift, dims=1).reshape(tensor.shape)


def preview_strip(latents: Any, count: int = PREVIEW_FRAMES) -> Any:
    """A cheap strip of ``count`` frames: the latents' first three channels as colours, side by side (no VAE)."""
    import numpy as np
    import torch

    with torch.no_grad():
        lat = latents[0].float()  # channels, frames, h, w
        frames = lat.shape[1]
        picks = sorted({round(i * (frames - 1) / max(1, count - 1)) for i in range(count)})
        rgb = lat[:3, picks] if lat.shape[0] >= 3 else lat[:1, picks].repeat(3, 1, 1, 1)
        rgb = ((rgb.clamp(-2, 2) + 2.0) * 63.75).to(torch.uint8).permute(1, 2, 3, 0).cpu().numpy()
    side = max(1, 64 // max(1, rgb.shape[1]))
    tiles = [np.pad(t.repeat(side, 0).repeat(side, 1), ((0, 0), (0, 2), (0, 0))) for t in rgb]
    return np.concatenate(tiles, axis=1)


def run_animatediff(engine: MotionEngine, pipe: Any, kwargs: dict[str, Any], cancelled: Callable[[], bool],
                    total: int, loop: bool, frames: int, preview_every: int = 1,
                    ) -> Generator[Progress, None, Any]:
    """Call ``pipe(**kwargs)`` on the worker thread; yield a Progress per step; return its output."""
    events: queue.SimpleQueue[tuple[int, int, Any] | None] = queue.SimpleQueue()
    stop = threading.Event()
    offsets = loop_offsets(frames, total) if loop else []
    inputs = ["latents", "prompt_embeds"] if loop else ["latents"]

    def on_step_end(pipeline: Any, step: int, timestep: Any, tensors: dict[str, Any]) -> dict[str, Any]:
        if stop.is_set() or cancelled():
            raise Cancelled()
        out: dict[str, Any] = {}
        latents = tensors["latents"]
        if loop and step < len(offsets):
            shift = offsets[step] - (offsets[step - 1] if step else 0)
            out["latents"] = latents = roll_frames(latents, shift, frames)
            out["prompt_embeds"] = roll_frames(tensors["prompt_embeds"], shift, frames)
            _roll_scheduler_state(pipeline.scheduler, shift, frames, latents.shape)
            back = -offsets[step]  # the preview shows frames in their own order
            latents = roll_frames(latents, back, frames)
        steps = int(getattr(pipeline, "_num_timesteps", 0) or total)
        show = step + 1 == steps or (step % max(1, preview_every) == 0)
        events.put((step + 1, steps, preview_strip(latents) if show else None))
        return out

    def work() -> Any:
        import torch

        try:
            with torch.inference_mode():
                return pipe(**kwargs, callback_on_step_end=on_step_end, callback_on_step_end_tensor_inputs=inputs)
        except (Cancelled, StudioError):
            raise
        except Exception as exc:
            if is_out_of_memory(exc):
                if torch.cuda.is_available():
                    torch.cuda.empty_cache()
                raise StudioError(f"Out of memory while generating {frames} frames.", MEMORY_HINT,
                                  MEMORY_WINDOW_HINT) from exc
            raise

    future = engine.executor.submit(work)
    future.add_done_callback(lambda _f: events.put(None))  # wakes the loop at once when the call ends
    try:
        while True:
            event = events.get()
            if event is None:
                break
            step, steps, image = event
            yield Progress(step, steps, f"step {step}/{steps}", preview=image)
        return future.result()
    finally:
        stop.set()
        if not future.done():
            try:
                future.result()
            except BaseException:  # noqa: BLE001 - the run was abandoned; its error no longer matters
                pass


def _roll_scheduler_state(scheduler: Any, shift: int, frames: int, shape: Any) -> None:
    """Multistep samplers keep earlier model outputs: roll those with the latents so they stay aligned."""
    for name in ("model_outputs", "ets"):
        saved = getattr(scheduler, name, None)
        if isinstance(saved, list):
            setattr(scheduler, name, [roll_frames(t, shift, frames) if getattr(t, "shape", None) == shape else t
                                      for t in saved])
    for name in ("last_sample", "sample", "prev_derivative", "dt"):
        value = getattr(scheduler, name, None)
        if getattr(value, "shape", None) == shape:
            setattr(scheduler, name, roll_frames(value, shift, frames))
