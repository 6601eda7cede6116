"""The plugin's sections through ``app.file_report``: large pictures, configured detectors, cheap import."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from PIL import Image

from studio.report import ReportSection


def sections_by_title(sections: list[ReportSection]) -> dict[str, ReportSection]:
    return {s.title: s for s in sections if s.plugin == "forensics"}


def test_file_report_gathers_the_plugins_list_of_sections(make_app, ela_splice):
    path, _ = ela_splice
    sections = make_app().file_report(path)
    ours = sections_by_title(sections)
    assert len(ours) >= 9 and all(isinstance(s, ReportSection) for s in sections)
    heatmaps = [h for s in ours.values() for h in s.heatmaps]
    assert {h.name for h in heatmaps} >= {"Error level", "Noise residual", "Local periodicity", "Upsampling traces"}
    for h in heatmaps:
        assert h.values.ndim == 2 and h.values.dtype == np.float32
        assert 0.0 <= float(h.values.min()) and float(h.values.max()) <= 1.0 and h.explanation


def test_very_large_pictures_are_analysed_downscaled_and_the_report_says_so(make_app, tmp_path):
    rng = np.random.default_rng(1)
    small = rng.integers(0, 255, (400, 620, 3), dtype=np.uint8)
    big = np.asarray(Image.fromarray(small).resize((6200, 4000), Image.BILINEAR))  # 24.8 megapixels
    path = tmp_path / "big.jpg"
    Image.fromarray(big).save(path, quality=85)
    ours = sections_by_title(make_app().file_report(path))
    overview = ours["Pixel forensics: overview"]
    assert overview.state == "downscaled" and overview.data["downscaled"]
    assert "downscaled from 6200×4000" in overview.summary
    w, h = overview.data["analysed_size"]
    assert w * h <= 24_000_000 and w < 6200
    assert ours["Upsampling-trace detector (built-in, experimental)"].state == "not-run"
    assert ours["Frequency spectrum (upsampling peaks)"].state == "not-meaningful"


def test_configured_detectors_run_on_every_image(make_app, tmp_path, ela_splice):
    from safetensors.numpy import save_file

    from studio_plugins.forensics.features import FEATURE_NAMES

    probe = tmp_path / "always.safetensors"
    n = len(FEATURE_NAMES)
    save_file({"weight": np.zeros(n, np.float32), "bias": np.array([3.0], np.float32)}, str(probe),
              metadata={"name": "Always high", "threshold": "0.5"})
    app = make_app()
    app.settings.plugin_settings("forensics")["detectors"] = [str(probe), str(tmp_path / "gone.safetensors")]
    path, _ = ela_splice
    ours = sections_by_title(app.file_report(path))
    mine = ours["Your detector: Always high"]
    assert mine.state == "above-threshold" and abs(mine.data["score"] - 1 / (1 + np.exp(-3))) < 1e-4
    assert ours["Your detector: gone.safetensors"].state == "error"


def test_one_failing_analysis_does_not_take_the_report_down(make_app, ela_splice, monkeypatch):
    import studio_plugins.forensics.copymove as copymove

    def broken(source):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(copymove, "copy_move", broken)
    path, _ = ela_splice
    ours = sections_by_title(make_app().file_report(path))
    broken_section = ours["Copy-move (cloned areas)"]
    assert broken_section.state == "error" and "simulated bug" in broken_section.summary
    assert ours["Error level analysis (ELA)"].state == "uneven"


def test_importing_the_plugin_is_cheap():
    code = ("import sys, studio_plugins.forensics\n"
            "heavy = [m for m in ('torch', 'av', 'cv2', 'scipy', 'skimage', 'safetensors') if m in sys.modules]\n"
            "print(','.join(heavy))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.strip() == ""
