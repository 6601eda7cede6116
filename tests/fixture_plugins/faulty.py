"""Small fixture plugins that misbehave in the ways a real plugin can."""

import threading
import time

from studio.actions import Action, ActionResult, OutputImage, Param, Progress
from studio.export import ExportStep
from studio.hookspecs import hookimpl


class RaisesInHooks:
    """Raises from every hook it implements."""

    @hookimpl
    def studio_actions(self):
        raise RuntimeError("boom in studio_actions")

    @hookimpl
    def studio_export_steps(self):
        raise RuntimeError("boom in studio_export_steps")


def _boom(ctx, params):
    yield Progress(1, 3)
    raise ValueError("the plugin's own bug")


def _slow(ctx, params):
    """Cooperative: 200 steps of 10 ms, checking for cancel between steps."""
    layer = params["image"]
    for i in range(200):
        ctx.check_cancelled()
        time.sleep(0.01)
        yield Progress(i + 1, 200, preview=layer.pixels)
    return ActionResult([OutputImage(layer.pixels.copy(), name="slow result")])


STUCK_STARTED = threading.Event()


def _stuck(ctx, params):
    """Never checks for cancel and does not return for a long time."""
    STUCK_STARTED.set()
    time.sleep(30)
    yield Progress(1, 1)
    return ActionResult()


class ActionsThatMisbehave:
    @hookimpl
    def studio_actions(self):
        image = Param("image", "image", required=True)
        return [
            Action(id="faulty.boom", title="Boom", run=_boom, params=(image,)),
            Action(id="faulty.slow", title="Slow", run=_slow, params=(image,)),
            Action(id="faulty.stuck", title="Stuck", run=_stuck, params=(image,)),
        ]


class FailingExportStep:
    @hookimpl
    def studio_export_steps(self):
        def fail(job, ctx):
            raise OSError("disk on fire")

        return [ExportStep(name="failing step", run=fail, stage="file", order=50)]


class MisspelledHook:
    @hookimpl
    def studio_actoins(self):
        return []


class WrapsAHook:
    """Asks for a new-style hook wrapper, which the host (calling each implementation itself) cannot honour."""

    @hookimpl(wrapper=True)
    def studio_actions(self):
        actions = yield
        return actions


class OldStyleWrapper:
    """Asks for an old-style hook wrapper."""

    @hookimpl(hookwrapper=True)
    def studio_export_steps(self):
        yield


class TakesTheApp:
    """Written for the old contract, where hooks received the application."""

    @hookimpl
    def studio_file_report(self, path, app):
        return None


WRAPS_A_HOOK = WrapsAHook()
