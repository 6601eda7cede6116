"""The export pipeline: ordered steps, the final write last, atomic output."""

import threading

import numpy as np
import pytest
from fixture_plugins import faulty
from PIL import Image

from studio.application import StudioApp
from studio.document import Record
from studio.errors import Cancelled, StudioError
from studio.export import ExportStep
from studio.hookspecs import hookimpl


class Recorder:
    """Steps that log the order they ran in and what they saw."""

    def __init__(self, log):
        self.log = log

    @hookimpl
    def studio_export_steps(self):
        def pixel_step(job, ctx):
            job.pixels = job.pixels.copy()
            job.pixels[0, 0, :3] = (1, 2, 3)
            job.performed.append({"step": "mark", "c2pa_action": "c2pa.watermarked"})
            self.log.append("pixels")

        def sign(job, ctx):
            assert job.file.exists() and job.file != job.dest
            self.log.append(("final", [p["c2pa_action"] for p in job.performed]))

        def late(job, ctx):
            self.log.append("file-200")

        return [
            ExportStep("sign", sign, stage="file", order=0, final=True, option="sign",
                       off_notice="This file carries no Content Credentials."),
            ExportStep("late file step", late, stage="file", order=200),
            ExportStep("mark", pixel_step, stage="pixels", order=10, option="watermark"),
        ]


@pytest.fixture
def pixels():
    return np.random.default_rng(0).integers(0, 256, (32, 40, 3), np.uint8)


@pytest.mark.parametrize("ext", ["png", "jpg", "webp", "tif"])
def test_every_format_decodes(tmp_path, pixels, ext):
    app = StudioApp()
    report = app.export.export_image(pixels, tmp_path / f"out.{ext}", Record(action="test"))
    with Image.open(report.path) as im:
        im.load()
        assert im.size == (40, 32)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_png_carries_the_record_and_a1111_parameters(tmp_path, pixels):
    app = StudioApp()
    record = Record(action="x", parameters_text="a cat\nSteps: 20, Seed: 1")
    app.export.export_image(pixels, tmp_path / "out.png", record)
    with Image.open(tmp_path / "out.png") as im:
        assert im.text["parameters"].startswith("a cat")
        assert '"action":"x"' in im.text["studio"]


def test_steps_run_in_order_with_the_final_step_last(tmp_path, pixels):
    app = StudioApp(entry_points=[])  # no built-in signer: Recorder has the final step
    log = []
    app.host.register(Recorder(log), "recorder")
    report = app.export.export_image(pixels, tmp_path / "out.png", Record(action="t"))
    assert log == ["pixels", "file-200", ("final", ["c2pa.watermarked"])]
    assert report.steps == ["mark", "late file step", "sign"]
    assert np.asarray(Image.open(report.path))[0, 0].tolist() == [1, 2, 3]


def test_switched_off_step_is_skipped_and_the_user_told(tmp_path, pixels):
    app = StudioApp(entry_points=[])  # no built-in signer: Recorder has the final step
    log = []
    app.host.register(Recorder(log), "recorder")
    report = app.export.export_image(pixels, tmp_path / "o.png", Record(action="t"), {"sign": False})
    assert "sign" not in report.steps
    assert "This file carries no Content Credentials." in report.notices


def test_two_final_steps_are_refused(tmp_path, pixels):
    app = StudioApp()
    app.host.register(Recorder([]), "a")
    app.host.register(Recorder([]), "b")
    with pytest.raises(StudioError, match="both claim to be the last write"):
        app.export.export_image(pixels, tmp_path / "o.png", Record(action="t"))
    assert not (tmp_path / "o.png").exists()


def test_failing_step_writes_nothing_and_keeps_the_old_file(tmp_path, pixels):
    app = StudioApp()
    dest = tmp_path / "o.png"
    dest.write_bytes(b"previous export")
    app.host.register(faulty.FailingExportStep(), "failing")
    with pytest.raises(StudioError, match="failing step.*Nothing was written"):
        app.export.export_image(pixels, dest, Record(action="t"))
    assert dest.read_bytes() == b"previous export"
    assert [p.name for p in tmp_path.iterdir()] == ["o.png"]
    assert app.host.plugins["failing"].faults


def test_cancelled_export_writes_nothing(tmp_path, pixels):
    app = StudioApp()
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        app.export.export_image(pixels, tmp_path / "o.png", Record(action="t"), cancel=cancel)
    assert list(tmp_path.iterdir()) == []


def test_unknown_extension_is_clear(tmp_path, pixels):
    with pytest.raises(StudioError, match="unknown extension"):
        StudioApp().export.export_image(pixels, tmp_path / "o.bmpx", Record(action="t"))


def test_export_file_copies_bytes_through_file_steps(tmp_path):
    app = StudioApp(entry_points=[])  # no built-in signer: Recorder has the final step
    log = []
    app.host.register(Recorder(log), "recorder")
    src = tmp_path / "in.png"
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(src)
    report = app.export.export_file(src, tmp_path / "out.png", Record.opened(str(src)))
    assert "pixels" not in log and report.steps == ["late file step", "sign"]
    assert (tmp_path / "out.png").read_bytes() == src.read_bytes()
