"""Every export is marked before it is encoded (and signed), and says so in job.performed."""

import os
import stat

import numpy as np
import pytest
from PIL import Image
from wm_helpers import jpeg

from studio.document import Record
from studio.errors import StudioError
from studio.imageio import load_image
from studio.settings import config_dir
from studio_plugins.watermark import api
from studio_plugins.watermark.keys import detection_keys, key_path, studio_default_key


def marked_entry(report):
    entries = [p for p in report.performed if p.get("c2pa_action") == "c2pa.watermarked"]
    assert len(entries) == 1, report.performed
    return entries[0]


@pytest.mark.parametrize("ext", ["png", "jpg", "webp"])
def test_export_is_marked_with_a_payload_that_links_to_the_record(make_app, tmp_path, photo, ext):
    app = make_app()
    record = Record(action="test.export", title="A photo")
    report = app.export.export_image(photo, tmp_path / f"out.{ext}", record)
    entry = marked_entry(report)
    assert entry["step"] == "Invisible watermark" and len(entry["payload"]) == 16
    assert entry["key"] == "studio-default" and entry["psnr_db"] >= 40
    assert report.steps[0] == "Invisible watermark"
    check = api.check_image(load_image(report.path).pixels)
    assert check.present and check.payload.hex() == entry["payload"]
    # the payload is this installation's keyed digest of the record: the same record, the same payload
    again = app.export.export_image(photo, tmp_path / f"again.{ext}", record)
    assert marked_entry(again)["payload"] == entry["payload"]
    other = app.export.export_image(photo, tmp_path / f"other.{ext}", Record(action="test.other"))
    assert marked_entry(other)["payload"] != entry["payload"]


def test_a_default_key_mark_is_found_by_another_installation(make_app, tmp_path, photo, monkeypatch):
    app = make_app()
    report = app.export.export_image(photo, tmp_path / "out.png", Record(action="t"))
    monkeypatch.setenv("STUDIO_CONFIG_DIR", str(tmp_path / "someone-else"))
    assert [k.name for k in detection_keys()] == ["Studio default key"]
    check = api.check_image(jpeg(load_image(report.path).pixels[..., :3], 80))
    assert check.present and check.payload.hex() == marked_entry(report)["payload"]


def test_private_mode_is_found_only_with_the_installation_key(make_app, tmp_path, photo, monkeypatch):
    app = make_app()
    report = app.export.export_image(photo, tmp_path / "out.png", Record(action="t"),
                                     {"watermark_key": "private"})
    assert marked_entry(report)["key"] == "installation"
    pixels = load_image(report.path).pixels
    assert api.check_image(pixels).present  # this installation has the key
    own_key = key_path()
    monkeypatch.setenv("STUDIO_CONFIG_DIR", str(tmp_path / "someone-else"))
    stranger = api.check_image(pixels)
    assert not stranger.present and stranger.payload is None
    from studio_plugins.watermark.keys import key_from_file

    with_file = api.check_image(pixels, keys=[studio_default_key(), key_from_file(own_key)])
    assert with_file.present and with_file.key.kind == "file"


def test_the_installation_key_is_owner_only(make_app, tmp_path, photo):
    make_app().export.export_image(photo, tmp_path / "out.png", Record(action="t"))
    assert key_path().parent == config_dir() / "watermark"
    assert stat.S_IMODE(os.stat(key_path()).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(key_path().parent).st_mode) == 0o700
    assert len(bytes.fromhex(key_path().read_text().strip())) == 32


def test_a_damaged_key_file_is_a_clear_error(make_app, tmp_path, photo):
    key_path().parent.mkdir(parents=True)
    key_path().write_text("not a key")
    with pytest.raises(StudioError, match="watermark key .* is damaged"):
        make_app().export.export_image(photo, tmp_path / "out.png", Record(action="t"))
    assert not (tmp_path / "out.png").exists()


def test_switched_off(make_app, tmp_path, photo):
    report = make_app().export.export_image(photo, tmp_path / "out.png", Record(action="t"), {"watermark": False})
    assert not [p for p in report.performed if p.get("c2pa_action") == "c2pa.watermarked"]
    assert any("no invisible watermark" in n for n in report.notices)
    assert np.array_equal(load_image(report.path).pixels[..., :3], photo)


def test_too_small_goes_on_unmarked_or_refuses(make_app, tmp_path, photo):
    small = photo[:50, :70]
    app = make_app()
    report = app.export.export_image(small, tmp_path / "small.png", Record(action="t"))
    assert any("not added" in n and "at least 64 pixels" in n and "Resize" in n for n in report.notices)
    assert np.array_equal(load_image(report.path).pixels[..., :3], small)
    with pytest.raises(StudioError, match="Cannot add the invisible watermark.*Nothing was written"):
        app.export.export_image(small, tmp_path / "refused.png", Record(action="t"), {"watermark_required": True})
    assert not (tmp_path / "refused.png").exists()


def test_alpha_survives_the_export(make_app, tmp_path, photo):
    alpha = np.full(photo.shape[:2], 255, np.uint8)
    alpha[100:300, 200:600] = 0
    report = make_app().export.export_image(np.dstack([photo, alpha]), tmp_path / "out.png", Record(action="t"))
    with Image.open(report.path) as im:
        assert im.mode == "RGBA"
        assert np.array_equal(np.asarray(im)[..., 3], alpha)
    assert api.check_image(load_image(report.path).pixels).present


def test_sixteen_bit_grey_export_keeps_its_depth_and_the_mark(make_app, tmp_path, photo):
    grey16 = (photo.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32) * 257).astype(np.uint16)
    report = make_app().export.export_image(grey16, tmp_path / "deep.png", Record(action="t"))
    assert marked_entry(report)["psnr_db"] >= 40
    with Image.open(report.path) as im:
        assert im.mode == "I;16"
        pixels = np.asarray(im)
    assert api.check_image(pixels.astype(np.uint16)).payload.hex() == marked_entry(report)["payload"]
    assert api.check_image(load_image(report.path).pixels).present  # as the app opens it (8-bit)
