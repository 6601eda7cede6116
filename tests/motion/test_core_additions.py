"""What the motion plugin added to the core: repeatable text options, clip export from a plugin, weights headers."""

from __future__ import annotations

import argparse

from studio.actions import Param
from studio.cli import _add_param


def test_a_repeatable_text_param_takes_the_option_several_times():
    parser = argparse.ArgumentParser()
    _add_param(parser, Param("prompt_at", "text", "", repeat=True, metavar="FRAME:TEXT"), positional=False)
    args = parser.parse_args(["--prompt-at", "8:a cat", "--prompt-at", "16:a dog"])
    assert args.prompt_at == ["8:a cat", "16:a dog"]
    assert parser.parse_args([]).prompt_at is None


def test_weights_headers_are_public_and_the_diffusion_names_still_work(tmp_path):
    import studio.api
    from studio_plugins.diffusion.header import read_header

    assert read_header is studio.api.read_safetensors_header
    path = tmp_path / "cut.safetensors"
    path.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{}")
    import pytest

    with pytest.raises(studio.api.BadInputError, match="truncated"):
        studio.api.read_safetensors_header(path)


def test_a_plugin_exports_a_clip_through_the_pipeline(make_app, tmp_path):
    import numpy as np

    from studio.api import ClipInput, Record

    app = make_app()
    ctx = app.host.context("motion")
    frames = [np.full((64, 64, 3), 10 * i, np.uint8) for i in range(4)]
    record = Record(action="video.generate", title="t", c2pa_action="c2pa.created",
                    digital_source="trainedAlgorithmicMedia")
    report = ctx.export_clip(ClipInput.from_frames(frames, 8, "t", record), tmp_path / "t.gif",
                             {"watermark": False})
    assert report.path.exists() and report.frames == 4
