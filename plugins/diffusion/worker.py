"""Running a diffusers pipeline call on the engine's worker thread while the action yields progress.

The pipeline's ``callback_on_step_end`` hands each step (and a preview) to the
action's generator through a queue and raises :class:`Cancelled` as soon as the
job is cancelled, so a cancel stops the run at the next step boundary.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Generator
from typing import Any

from studio.api import Cancelled, Progress, StudioError

from .engine import MEMORY_HINT, MEMORY_WINDOW_HINT, Engine, _empty_device_cache, is_out_of_memory


def run_pipeline(
    engine: Engine,
    pipe: Any,
    kwargs: dict[str, Any],
    cancelled: Callable[[], bool],
    total: int,
    preview: Callable[[Any], Any] | None,
    what: str = "",
) -> Generator[Progress, None, Any]:
    """Call ``pipe(**kwargs)`` on the worker thread; yield a Progress per step; return its output."""
    events: queue.SimpleQueue[tuple[int, int, Any]] = queue.SimpleQueue()
    stop = threading.Event()

    def on_step_end(pipeline: Any, step: int, timestep: Any, tensors: dict[str, Any]) -> dict[str, Any]:
        if stop.is_set() or cancelled():
            raise Cancelled()
        image = preview(tensors["latents"]) if preview is not None else None
        events.put((step + 1, int(getattr(pipeline, "_num_timesteps", 0) or total), image))
        return {}

    def work() -> Any:
        import torch

        try:
            with torch.inference_mode():
                return pipe(**kwargs, callback_on_step_end=on_step_end,
                            callback_on_step_end_tensor_inputs=["latents"])
        except (Cancelled, StudioError):
            raise
        except Exception as exc:
            if is_out_of_memory(exc):
                _empty_device_cache()
                raise StudioError(f"Out of GPU memory while generating {what}.".replace(" .", "."),
                                  MEMORY_HINT, MEMORY_WINDOW_HINT) from exc
            raise

    future = engine.executor.submit(work)
    try:
        while True:
            try:
                step, steps, image = events.get(timeout=0.05)
            except queue.Empty:
                if not future.done():
                    continue
                while True:  # the last steps may still be queued
                    try:
                        step, steps, image = events.get_nowait()
                    except queue.Empty:
                        break
                    yield Progress(step, steps, f"step {step}/{steps}", preview=image)
                break
            yield Progress(step, steps, f"step {step}/{steps}", preview=image)
        return future.result()
    finally:
        stop.set()
        if not future.done():
            try:
                future.result()
            except BaseException:  # noqa: BLE001 - the run was abandoned; its error no longer matters
                pass
