"""Plugins are found through entry points, and their faults stay their own."""

import numpy as np
import pytest
from fixture_plugins import faulty

from studio.application import StudioApp
from studio.document import Layer
from studio.jobs import Job, JobState, execute
from studio.settings import Settings


def test_builtin_plugin_is_found_through_the_entry_point_group():
    app = StudioApp()
    info = app.host.plugins["adjust"]
    assert info.builtin and info.loaded and info.error is None
    assert {"adjust.blur", "adjust.levels", "adjust.resize", "adjust.crop"} <= set(app.actions)


def test_thirdparty_plugin_and_broken_entry_point(thirdparty):
    app = StudioApp()
    example = app.host.plugins["example"]
    assert example.loaded and not example.builtin
    assert example.version == "0.3.0" and example.distribution == "studio-example-plugin"
    assert "example.invert" in app.actions
    nowhere = app.host.plugins["nowhere"]
    assert not nowhere.loaded
    assert "ModuleNotFoundError" in nowhere.error and "studio_no_such_module_xyz" in nowhere.error
    # the rest still works
    assert "adjust.blur" in app.actions


def test_a_raising_hook_is_recorded_and_others_still_run():
    app = StudioApp()
    app.host.register(faulty.RaisesInHooks(), "raiser")
    assert "adjust.blur" in app.actions
    assert any("boom in studio_actions" in f for f in app.host.plugins["raiser"].faults)
    app.export.steps()
    assert any("boom in studio_export_steps" in f for f in app.host.plugins["raiser"].faults)


def test_misspelled_hook_is_refused_with_a_reason():
    app = StudioApp()
    info = app.host.register(faulty.MisspelledHook(), "typo")
    assert not info.loaded and "studio_actoins" in info.error


def test_action_that_raises_fails_the_job_and_is_recorded_against_its_plugin():
    app = StudioApp()
    app.host.register(faulty.ActionsThatMisbehave(), "faulty")
    job = execute(Job(app.action("faulty.boom"), {"image": Layer(np.zeros((4, 4, 3), np.uint8))}), app)
    assert job.state == JobState.FAILED
    assert "the plugin's own bug" in job.error and "faulty" in job.error
    assert any("faulty.boom" in f for f in app.host.plugins["faulty"].faults)


def test_disabling_persists_across_instances():
    app = StudioApp()
    app.host.set_enabled("adjust", False)
    again = StudioApp()
    assert not again.host.plugins["adjust"].enabled and "adjust.blur" not in again.actions
    assert Settings.load().disabled_plugins == ["adjust"]
    again.host.set_enabled("adjust", True)
    assert "adjust.blur" in StudioApp().actions


def test_plugin_managers_are_per_instance():
    a, b = StudioApp(), StudioApp()
    a.host.register(faulty.ActionsThatMisbehave(), "faulty")
    assert "faulty.boom" in a.actions and "faulty.boom" not in b.actions


def test_cooperative_cancel_stops_a_job():
    app = StudioApp()
    app.host.register(faulty.ActionsThatMisbehave(), "faulty")
    job = Job(app.action("faulty.slow"), {"image": Layer(np.zeros((4, 4, 3), np.uint8))})
    steps = []

    def on_change(j):
        steps.append(j.step)
        if j.step == 5:
            j.cancel()

    execute(job, app, on_change)
    assert job.state == JobState.CANCELLED and job.result is None
    assert max(steps) < 10


def test_parameters_are_validated_before_running():
    app = StudioApp()
    action = app.action("adjust.blur")
    job = execute(Job(action, {"image": Layer(np.zeros((4, 4, 3), np.uint8)), "radius": -1}), app)
    assert job.state == JobState.FAILED and "at least 0" in job.error
    with pytest.raises(Exception, match="unknown parameter"):
        action.validate({"bogus": 1})


def test_file_report_turns_a_plugins_bad_input_error_into_a_section(tmp_path):
    from studio.errors import BadInputError
    from studio.hookspecs import hookimpl
    from studio.report import ReportSection

    class CannotRead:
        @hookimpl
        def studio_file_report(self, path):
            raise BadInputError(f"{path.name} is truncated.")

    class CanRead:
        @hookimpl
        def studio_file_report(self, path):
            return ReportSection(title="Size", state="ok", summary=f"{path.stat().st_size} bytes")

    target = tmp_path / "f.bin"
    target.write_bytes(b"1234")
    app = StudioApp(entry_points=[])
    app.host.register(CannotRead(), "picky")
    with pytest.raises(BadInputError, match="truncated"):
        app.file_report(target)  # nobody could read it: the user gets the error
    assert app.host.plugins["picky"].faults == []  # bad input is not a plugin fault
    app.host.register(CanRead(), "sizer")
    sections = {s.plugin: s for s in app.file_report(target)}
    assert sections["sizer"].summary == "4 bytes"
    assert sections["picky"].state == "unreadable" and "truncated" in sections["picky"].summary
