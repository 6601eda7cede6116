"""``studio inspect``: a core command gathering every plugin's sections; one-line errors for bad files.

The forensics plugin's part (its sections, heatmaps, videos, ``--detector``) is tested in
tests/forensics/test_inspect_cli.py.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from helpers import C2PA_SAMPLES
from PIL import Image

from studio.api import BadInputError, ReportOption, ReportSection, hookimpl
from studio.application import StudioApp
from studio.cli import main
from studio.settings import Settings


def inspect(capsys, *args) -> tuple[int, str, str]:
    code = main(["inspect", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def picture(tmp_path):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, (24, 32, 3), np.uint8).repeat(8, 0).repeat(8, 1)  # 192×256, compresses poorly
    path = tmp_path / "picture.png"
    Image.fromarray(pixels).save(path)
    return path


def bad_files(tmp_path, picture):
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    truncated = tmp_path / "truncated.jpg"
    Image.open(picture).convert("RGB").save(truncated, quality=90)
    assert truncated.stat().st_size > 8000
    truncated.write_bytes(truncated.read_bytes()[:4000])
    text = tmp_path / "notes.jpg"
    text.write_text("this is not a picture")
    corrupt_video = tmp_path / "clip.mp4"
    corrupt_video.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100)
    garbage_png = tmp_path / "garbage.png"
    garbage_png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(np.random.default_rng(0).integers(0, 255, 500, np.uint8)))
    return {"empty": empty, "truncated": truncated, "text": text, "video": corrupt_video,
            "garbage": garbage_png, "missing": tmp_path / "missing.jpg", "folder": tmp_path}


BAD = [("empty", "empty (0 bytes)"), ("truncated", "damaged or truncated"), ("text", "not an image or a video"),
       ("video", "not a video this program can read"), ("garbage", "not an image"), ("missing", "does not exist"),
       ("folder", "is a folder")]


@pytest.mark.parametrize("kind, message", BAD)
def test_bad_input_is_one_line_and_non_zero(capsys, tmp_path, picture, kind, message):
    code, out, err = inspect(capsys, bad_files(tmp_path, picture)[kind], "--json")
    assert code == 1 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("studio: error:") and message in lines[0]


def test_the_file_is_checked_by_the_core_even_without_the_forensics_plugin(capsys, tmp_path, picture):
    settings = Settings.load()
    settings.disabled_plugins = ["forensics"]
    settings.save()
    code, out, err = inspect(capsys, picture, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["kind"] == "image" and "forensics" not in {s["plugin"] for s in report["sections"]}
    code, out, err = inspect(capsys, bad_files(tmp_path, picture)["truncated"])
    assert code == 1 and "damaged or truncated" in err


def test_subprocess_exit_code_and_no_traceback(tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    result = subprocess.run([sys.executable, "-m", "studio.cli", "inspect", str(bad)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("studio: error: bad.jpg")


def test_credentials_sections_of_other_plugins_are_gathered(capsys):
    code, out, err = inspect(capsys, C2PA_SAMPLES / "adobe-20220124-C.jpg", "--json")
    assert code == 0, err
    report = json.loads(out)
    plugins = [s["plugin"] for s in report["sections"]]
    assert plugins[0] == "credentials" and "forensics" in plugins
    others = [p for p in plugins if p != "forensics"]
    assert plugins[: len(others)] == others  # credentials and watermarks lead the report


class Marker:
    """A plugin with its own ``studio inspect --marker TEXT`` option."""

    @staticmethod
    def load(value: str) -> str:
        if value == "bad":
            raise BadInputError("'bad' is not a marker.")
        return value.upper()

    @hookimpl
    def studio_report_options(self):
        return [ReportOption("marker", help="look for this marker", metavar="TEXT", load=self.load),
                ReportOption("json", help="clashes with the command's own flag")]

    @hookimpl
    def studio_file_report(self, path, options):
        return ReportSection(title="Markers", state="ok", summary=",".join(options.get("marker", [])) or "none")


def test_plugins_add_report_options(capsys, picture, monkeypatch):
    app = StudioApp()
    app.host.register(Marker(), "marker")
    monkeypatch.setattr("studio.application.StudioApp", lambda **kwargs: app)
    code, out, err = inspect(capsys, picture, "--marker", "a", "--marker", "b", "--json")
    assert code == 0, err
    sections = {s["plugin"]: s for s in json.loads(out)["sections"]}
    assert sections["marker"]["summary"] == "A,B"
    assert set(app.report_options) == {"detector", "marker"}  # "json" is the command's own: refused
    assert any("report option 'json'" in f for f in app.host.plugins["marker"].faults)
    code, out, err = inspect(capsys, picture.with_name("missing.png"), "--marker", "bad")
    assert code == 1 and "'bad' is not a marker" in err  # refused before the file is even looked at
    code, out, err = inspect(capsys, picture)
    assert code == 0 and "== Markers [marker]: ok" in out and "   none" in out


def test_a_plugin_cannot_take_a_core_command():
    from studio.api import Command

    class Squatter:
        @hookimpl
        def studio_commands(self):
            return [Command(("inspect",), "mine", lambda parser: None, lambda args, ctx: 0)]

    app = StudioApp(entry_points=[])
    app.host.register(Squatter(), "squatter")
    assert app.commands == []
    assert any("'studio inspect' is already taken" in f for f in app.host.plugins["squatter"].faults)
