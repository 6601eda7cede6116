"""Each plugin gets its own context (not the app); the host refuses what it cannot honour and orders calls."""

import argparse
import json
from importlib.metadata import EntryPoint

import numpy as np
import pytest
from fixture_plugins import faulty

from studio.api import (
    Action,
    ActionResult,
    Command,
    ExportStep,
    OutputImage,
    PluginContext,
    Progress,
    Record,
    ReportSection,
    hookimpl,
)
from studio.application import StudioApp
from studio.cli import cmd_plugins, main
from studio.jobs import Job, JobState, execute


class Spy:
    """Remembers the context each of its hooks, steps, commands and actions received."""

    def __init__(self, prefix="spy"):
        self.prefix = prefix
        self.seen = {}

    @hookimpl
    def studio_startup(self, ctx):
        self.seen["startup"] = ctx
        ctx.state["calls"] = ctx.state.get("calls", 0) + 1

    @hookimpl
    def studio_actions(self, ctx):
        self.seen["actions"] = ctx

        def run(job_ctx, params):
            self.seen["action"] = job_ctx.plugin
            yield Progress(1, 1)
            return ActionResult([OutputImage(np.zeros((2, 2, 3), np.uint8))])

        return [Action(id=f"{self.prefix}.run", title="Spy", run=run)]

    @hookimpl
    def studio_export_steps(self, ctx):
        def step(job, step_ctx):
            self.seen["step"] = step_ctx

        return [ExportStep("spy step", step, stage="file", order=5)]

    @hookimpl
    def studio_commands(self):
        def run(args, cmd_ctx):
            self.seen["command"] = cmd_ctx
            return 0

        return [Command((self.prefix, "cmd"), "spy", lambda parser: None, run)]

    @hookimpl
    def studio_file_report(self, path, ctx, options):
        self.seen["report"] = (ctx, options)
        return ReportSection(title="spy", state="ok", summary=ctx.settings.get("word", "none"))

    @hookimpl
    def studio_doctor(self, ctx):
        self.seen["doctor"] = ctx
        return {"name": ctx.name}


def test_every_hook_step_command_and_action_gets_its_own_plugins_context(tmp_path):
    app = StudioApp(entry_points=[])
    spy, other = Spy(), Spy("other")
    app.host.register(spy, "spy", version="1.2.3")
    app.host.register(other, "other")
    ctx = app.host.context("spy")
    assert isinstance(ctx, PluginContext) and ctx is app.host.context("spy") is not app.host.context("other")
    assert (ctx.name, ctx.version) == ("spy", "1.2.3")
    assert not hasattr(ctx, "app") and not hasattr(ctx, "host")
    ctx.settings["word"] = "hello"
    assert app.settings.plugins["spy"] == {"word": "hello"}  # its own section of the settings

    for action_id in ("spy.run", "other.run"):
        job = execute(Job(app.action(action_id), {}), app)
        assert job.state == JobState.FINISHED, job.error
    app.export.export_image(np.zeros((4, 4, 3), np.uint8), tmp_path / "o.png", Record(action="t"))
    sections = {s.plugin: s for s in app.file_report(tmp_path / "o.png", {"word": ["x"]})}
    for command in app.commands:
        command.run(argparse.Namespace(), app.host.context(command.plugin))
    app.doctor()
    for name, plugin in (("spy", spy), ("other", other)):
        seen = plugin.seen
        mine = app.host.context(name)
        assert seen["startup"] is seen["actions"] is seen["action"] is seen["step"] is mine
        assert seen["command"] is seen["doctor"] is mine
        assert seen["report"] == (mine, {"word": ["x"]})
        assert mine.state == {"calls": 1}
    assert sections["spy"].summary == "hello" and sections["other"].summary == "none"


def test_state_is_per_plugin_and_per_application():
    a, b = StudioApp(entry_points=[]), StudioApp(entry_points=[])
    a.host.register(Spy(), "spy")
    b.host.register(Spy(), "spy")
    a.host.context("spy").state["model"] = "loaded in a"
    assert b.host.context("spy").state == {"calls": 1}
    with pytest.raises(KeyError):
        a.host.context("nobody")


def test_settings_saved_through_the_context_persist():
    app = StudioApp(entry_points=[])
    app.host.register(Spy(), "spy")
    ctx = app.host.context("spy")
    ctx.settings["folders"] = ["/models"]
    ctx.save_settings()
    assert StudioApp(entry_points=[]).settings.plugins["spy"] == {"folders": ["/models"]}


def test_context_services_export_and_run_actions(tmp_path):
    app = StudioApp(entry_points=[])
    app.host.register(Spy(), "spy")
    ctx = app.host.context("spy")
    app.settings.export["sign"] = False
    assert ctx.export_options() == {"sign": False}
    assert ctx.export_options(argparse.Namespace(export_sign=True, export_other=None, out="x")) == {"sign": True}
    job = ctx.run_action("spy.run", {})
    assert job.state == JobState.FINISHED
    report = ctx.export_image(job.result.images[0].pixels, tmp_path / "r.png", Record(action="spy.run"))
    assert report.path.exists() and report.steps == ["spy step"]
    ctx.record_fault("something odd")
    assert app.host.plugins["spy"].faults == ["something odd"]


def test_a_plugin_command_gets_its_context_on_the_cli(thirdparty, capsys):
    assert main(["example", "whoami"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {"name": "example", "version": "0.3.0", "started": True, "greeting": ""}


@pytest.mark.parametrize("plugin, hook", [(faulty.WrapsAHook(), "studio_actions"),
                                          (faulty.OldStyleWrapper(), "studio_export_steps")])
def test_hook_wrappers_are_refused_at_registration(plugin, hook):
    app = StudioApp(entry_points=[])
    info = app.host.register(plugin, "wrapper")
    assert not info.loaded and "wrapper" in info.error and hook in info.error
    assert "cannot be honoured" in info.error
    assert app.host.pm.get_plugin("wrapper") is None  # not half-registered
    assert app.actions == {} and app.export.steps() == []


def test_studio_plugins_shows_why_a_wrapper_was_refused(capsys):
    ep = EntryPoint(name="wrapping", value="fixture_plugins.faulty:WRAPS_A_HOOK", group="studio")
    app = StudioApp(entry_points=[ep])
    assert cmd_plugins(app, argparse.Namespace(json=False, enable=None, disable=None)) == 0
    out = capsys.readouterr().out
    assert "wrapping" in out and "FAILED" in out
    assert "error: does not fit the plugin contract" in out and "wrapper(s) studio_actions" in out


def test_a_hook_written_for_the_old_app_argument_is_refused_with_a_hint():
    info = StudioApp(entry_points=[]).host.register(faulty.TakesTheApp(), "old")
    assert not info.loaded and "'ctx'" in info.error and "instead of 'app'" in info.error


def test_tryfirst_and_trylast_order_the_calls():
    def reporter(title, **opts):
        class Plugin:
            @hookimpl(**opts)
            def studio_file_report(self, path):
                return ReportSection(title=title, state="ok", summary="")

        return Plugin()

    app = StudioApp(entry_points=[])
    app.host.register(reporter("last", trylast=True), "last")
    app.host.register(reporter("first", tryfirst=True), "first")
    app.host.register(reporter("plain"), "plain")
    app.host.register(reporter("newer"), "newer")
    titles = [section.title for _plugin, section in app.host.call("studio_file_report", path=None)]
    assert titles == ["first", "newer", "plain", "last"]  # as pluggy orders them: the latest registered first


def test_builtin_report_order_credentials_first_forensics_last(tmp_path):
    from PIL import Image

    path = tmp_path / "p.png"
    Image.fromarray(np.full((64, 64, 3), 128, np.uint8)).save(path)
    plugins = [s.plugin for s in StudioApp().file_report(path)]
    assert plugins[0] == "credentials" and plugins[-1] == "forensics" and "watermark" in plugins


def test_no_hook_asks_for_what_the_host_cannot_honour():
    app = StudioApp(entry_points=[])
    for name in dir(app.host.pm.hook):
        if name.startswith("studio_"):
            opts = getattr(app.host.pm.hook, name).spec.opts
            assert not opts.get("firstresult") and not opts.get("historic"), name


def test_an_action_run_sees_its_plugin_not_the_app():
    app = StudioApp(entry_points=[])
    app.host.register(Spy(), "spy")
    seen = {}

    def run(ctx, params):
        seen["ctx"] = ctx
        yield Progress(1, 1)
        return ActionResult()

    action = Action(id="spy.inline", title="Inline", run=run, plugin="spy")
    assert execute(Job(action, {}), app).state == JobState.FINISHED
    assert seen["ctx"].plugin is app.host.context("spy") and not hasattr(seen["ctx"], "app")
    assert seen["ctx"].plugin_settings() is app.host.context("spy").settings


class Finder:
    """Answers studio_find_objects for the queries it knows (``None`` otherwise), or raises."""

    def __init__(self, knows: str, detector: str, fail: bool = False):
        self.knows, self.detector, self.fail, self.asked = knows, detector, fail, 0

    @hookimpl
    def studio_find_objects(self, rgb, queries, threshold):
        from studio.api import Box, OutputBoxes

        self.asked += 1
        if self.fail:
            raise RuntimeError("detector broke")
        if queries != [self.knows]:
            return None
        return OutputBoxes([Box(1, 2, 3, 4, label=self.knows, score=max(threshold, 0.9))],
                           size=(rgb.shape[1], rgb.shape[0]), name=self.detector)


def test_a_plugin_asks_the_others_to_find_objects():
    app = StudioApp(entry_points=[])
    asker = Finder("teapot", "the asker's own")  # never asked by itself
    app.host.register(asker, "asker")
    app.host.register(Finder("teapot", "teapot finder"), "teapots")
    app.host.register(Finder("teapot", "broken", fail=True), "broken")  # the latest registered is asked first
    ctx = app.host.context("asker")
    rgb = np.zeros((10, 20, 3), np.uint8)
    found = ctx.find_objects(rgb, ["teapot"], threshold=0.5)
    assert found is not None and found.name == "teapot finder" and found.size == (20, 10)
    assert [(b.label, b.score) for b in found.boxes] == [("teapot", 0.9)]
    assert asker.asked == 0
    assert any("detector broke" in fault for fault in app.host.plugins["broken"].faults)  # contained, recorded
    assert ctx.find_objects(rgb, ["unicorn"]) is None  # nobody can: the asker falls back to its own means


def test_the_first_answer_is_used():
    app = StudioApp(entry_points=[])
    later, first = Finder("cup", "later"), Finder("cup", "first")
    app.host.register(later, "later")
    app.host.register(first, "first")  # the latest registered is called first (pluggy's order)
    found = app.host.context("later").find_objects(np.zeros((4, 4, 3), np.uint8), ["cup"])
    assert found is not None and found.name == "first"


class Marks:
    """Answers studio_find_soft_bindings with a fixed binding, nothing, or an error."""

    def __init__(self, value: bytes | None, fail: bool = False):
        self.value, self.fail, self.asked = value, fail, 0

    @hookimpl
    def studio_find_soft_bindings(self, path):
        from studio.api import SoftBinding

        self.asked += 1
        if self.fail:
            raise RuntimeError("reader broke")
        return None if self.value is None else SoftBinding("org.example.mark.1", self.value, -9.0, "example")


def test_a_plugin_asks_every_other_for_soft_bindings(tmp_path):
    app = StudioApp(entry_points=[])
    asker = Marks(b"\x00" * 8)
    app.host.register(asker, "asker")
    app.host.register(Marks(b"\x01" * 8), "one")
    app.host.register(Marks(None), "none")
    app.host.register(Marks(None, fail=True), "broken")
    found = app.host.context("asker").find_soft_bindings(tmp_path / "a.png")
    assert [(b.alg, b.hex, b.name) for b in found] == [("org.example.mark.1", "01" * 8, "example")]
    assert asker.asked == 0 and found[0].to_dict()["value"] == "01" * 8
    assert any("reader broke" in fault for fault in app.host.plugins["broken"].faults)


def test_the_watermark_plugin_answers_with_its_payload(tmp_path):
    import importlib.metadata

    from PIL import Image

    from studio_plugins.watermark.api import SOFT_BINDING_ALG, embed_image

    eps = [ep for ep in importlib.metadata.entry_points(group="studio") if ep.name == "watermark"]
    app = StudioApp(entry_points=eps)
    app.host.register(Marks(None), "someone")
    rng = np.random.default_rng(1)
    pixels = np.clip(rng.normal(128, 30, (256, 256, 3)), 0, 255).astype(np.uint8)
    Image.fromarray(embed_image(pixels, bytes.fromhex("0123456789abcdef")).pixels).save(tmp_path / "m.png")
    Image.fromarray(pixels).save(tmp_path / "plain.png")
    ctx = app.host.context("someone")
    (found,) = ctx.find_soft_bindings(tmp_path / "m.png")
    assert found.alg == SOFT_BINDING_ALG and found.hex == "0123456789abcdef" and found.log10_p < -6
    assert ctx.find_soft_bindings(tmp_path / "plain.png") == []
