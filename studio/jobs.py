"""Jobs as plain data, and the loop that runs an action's generator.

A job moves queued → running → finished | cancelled | failed. ``execute``
runs one job in the calling thread (the GUI calls it from a worker thread,
the CLI from the main thread), so both front ends share one code path.
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
else:
    from studio.lazy import numpy as np  # imported on first use: the window appears first

from studio.actions import INPUT_KINDS, Action, ActionResult, Progress
from studio.document.layers import new_id
from studio.document.provenance import (
    GENERATIVE_AI_SOURCES,
    Ingredient,
    Record,
    Relationship,
    json_safe,
    source_from_ingredients,
)
from studio.errors import Cancelled, StudioError, window_text

if TYPE_CHECKING:
    from studio.application import StudioApp
    from studio.plugincontext import PluginContext


class JobState(enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    CANCELLED = "cancelled"
    FAILED = "failed"

    @property
    def done(self) -> bool:
        return self in (JobState.FINISHED, JobState.CANCELLED, JobState.FAILED)


@dataclass(eq=False)
class Job:
    """One run of an action with its parameters."""

    action: Action
    params: dict[str, Any]
    id: str = field(default_factory=new_id)
    state: JobState = JobState.QUEUED
    step: int = 0
    total: int = 0
    message: str = ""
    error: str = ""
    error_window: str = ""  # the error in the window's words (see studio.errors.window_text)
    preview: np.ndarray | None = None
    result: ActionResult | None = None
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    cancel_event: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def title(self) -> str:
        if self.action.job_title is not None:
            try:
                return self.action.job_title(self.params, self.result) or self.action.title
            except Exception:  # a title is never worth a failure
                return self.action.title
        return self.action.title

    @property
    def shown_error(self) -> str:
        """The error as the window shows it (no command lines there)."""
        return self.error_window or self.error

    @property
    def fraction(self) -> float:
        return self.step / self.total if self.total else 0.0

    def cancel(self) -> None:
        """Ask the job to stop; a queued job is cancelled at once."""
        self.cancel_event.set()
        if self.state == JobState.QUEUED:
            self.state = JobState.CANCELLED
            self.finished = time.time()


class JobContext:
    """What a running action sees: cancellation, and its plugin's context (``ctx.plugin``)."""

    def __init__(self, job: Job, app: StudioApp, notify: Listener | None = None) -> None:
        self.job = job
        self._host = app.host
        self._notify = notify

    def progress(self, step: int, total: int, message: str = "") -> None:
        """Report progress from inside a long call (an export) that cannot yield between steps."""
        self.job.step, self.job.total, self.job.message = step, total, message
        if self._notify is not None:
            self._notify(self.job)

    @property
    def plugin(self) -> PluginContext:
        """The :class:`~studio.plugincontext.PluginContext` of the action's plugin in this application."""
        return self._host.context(self.job.action.plugin)

    @property
    def cancelled(self) -> bool:
        return self.job.cancel_event.is_set()

    def check_cancelled(self) -> None:
        """Raise :class:`studio.errors.Cancelled` if the user cancelled the job."""
        if self.job.cancel_event.is_set():
            raise Cancelled()

    def plugin_settings(self) -> dict[str, Any]:
        """The plugin's settings (the same as ``ctx.plugin.settings``)."""
        return self.plugin.settings

    @property
    def device(self) -> Any:
        """The chosen compute device (imports torch; call it only inside ``run``)."""
        return self.plugin.runtime.choice().device


Listener = Callable[[Job], None]


def execute(job: Job, app: StudioApp, on_change: Listener | None = None) -> Job:
    """Run ``job`` to completion in this thread, reporting every change to ``on_change``."""
    notify = on_change or (lambda _job: None)
    if job.cancel_event.is_set() or job.state == JobState.CANCELLED:
        job.state = JobState.CANCELLED
        notify(job)
        return job
    job.state = JobState.RUNNING
    job.started = time.time()
    notify(job)
    ctx = JobContext(job, app, notify)
    try:
        params = job.action.validate(job.params)
        generator = job.action.run(ctx, params)
        while True:
            if job.cancel_event.is_set():
                generator.close()
                raise Cancelled()
            try:
                progress = next(generator)
            except StopIteration as stop:
                result = stop.value if isinstance(stop.value, ActionResult) else ActionResult()
                break
            if isinstance(progress, Progress):
                job.step, job.total, job.message = progress.step, progress.total, progress.message
                if progress.preview is not None:
                    job.preview = progress.preview
                notify(job)
        if job.cancel_event.is_set():
            raise Cancelled()
        info = app.host.plugins.get(job.action.plugin)
        attach_records(job.action, params, result, info.version if info else "")
        job.result = result
        job.state = JobState.FINISHED
    except Cancelled:
        job.state = JobState.CANCELLED
        job.message = "Cancelled"
    except StudioError as exc:
        job.state = JobState.FAILED
        job.error = str(exc)
        job.error_window = window_text(exc)
    except MemoryError:
        job.state = JobState.FAILED
        job.error = "Out of memory. Try a smaller image or size, or close other programs."
    except Exception as exc:  # noqa: BLE001 - a plugin's bug becomes a failed job, not a crash
        job.state = JobState.FAILED
        plugin = job.action.plugin or "?"
        job.error = f"{job.action.title} failed in plugin '{plugin}': {type(exc).__name__}: {exc}"
        app.host.record_fault(plugin, f"{job.action.id} raised {type(exc).__name__}: {exc}")
    job.finished = time.time()
    notify(job)
    return job


def attach_records(
    action: Action, params: dict[str, Any], result: ActionResult, plugin_version: str = ""
) -> None:
    """Give every output that lacks one a record of the action, its settings and its inputs.

    An output made from generated media (a parent or component that generative AI made, at any
    depth) declares ``compositeWithTrainedAlgorithmicMedia``, whoever made its record.
    """
    ingredients: list[Ingredient] = []
    generated = action.digital_source is not None
    first = True
    for p in action.params:
        value = params.get(p.name)
        if p.kind not in INPUT_KINDS or p.kind == "boxes" or value is None or not hasattr(value, "record"):
            continue
        relationship: Relationship
        if generated or p.kind == "mask":
            relationship = "inputTo"
        else:
            relationship = "parentOf" if first else "componentOf"
            first = False
        ingredients.append(
            Ingredient(title=str(value.name), relationship=relationship, role=p.title, record=value.record)
        )
    settings = {k: json_safe(v) for k, v in params.items() if action.param(k).kind not in INPUT_KINDS}
    for output in result.outputs:
        if output.record is None:
            output.record = Record(
                action=action.id,
                title=output.name,
                c2pa_action=action.c2pa_action,
                plugin=action.plugin,
                plugin_version=plugin_version,
                params=settings,
                digital_source=action.digital_source,
                ingredients=list(ingredients),
            )
        elif not output.record.ingredients:
            output.record.ingredients = list(ingredients)
        implied = source_from_ingredients(output.record.ingredients)  # an edit of generated media says so
        if implied and output.record.digital_source not in GENERATIVE_AI_SOURCES:
            output.record.digital_source = implied
