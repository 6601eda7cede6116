"""A third-party plugin, installed through entry-point metadata (see the .dist-info beside it)."""


import json

from studio.api import Action, ActionResult, Command, ExportStep, OutputImage, Param, Progress, hookimpl


def run_invert(ctx, params):
    layer = params["image"]
    out = layer.pixels.copy()
    out[..., :3] = 255 - out[..., :3]
    yield Progress(1, 1, preview=out)
    return ActionResult([OutputImage(out, name=f"{layer.name} (inverted)")])


def mark_step(job, ctx):
    job.performed.append({"step": "example mark", "c2pa_action": "c2pa.edited"})


@hookimpl
def studio_actions():
    return [Action(id="example.invert", title="Invert colours", run=run_invert,
                   params=(Param("image", "image", required=True, help="image to invert"),))]


@hookimpl
def studio_export_steps():
    return [ExportStep(name="example mark", run=mark_step, stage="file", order=10, option="example_mark",
                       default=False)]


def run_whoami(args, ctx):
    """Print what the command's plugin context says (``studio example whoami``)."""
    print(json.dumps({"name": ctx.name, "version": ctx.version, "started": ctx.state.get("started", False),
                      "greeting": ctx.settings.get("greeting", "")}))
    return 0


@hookimpl
def studio_startup(ctx):
    ctx.state["started"] = True


@hookimpl
def studio_commands():
    return [Command(("example", "whoami"), "show the plugin's context", lambda parser: None, run_whoami)]
