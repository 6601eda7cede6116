"""Sign → verify round trips: every format in ../shared/media-samples, and every export format."""

import json
import os
import stat

import numpy as np
import pytest
from credentials_helpers import actions, active, check, generated_record, manifest_store, studio
from helpers import MEDIA
from PIL import Image

from studio.settings import config_dir

SAMPLES = ["earth_apollo17.jpg", "sample1.png", "mars.webp", "TUSCANY.TIF", "legacy.mp4"]


def test_every_media_sample_is_covered():
    assert {p.name for p in MEDIA.iterdir() if not p.name.startswith("LICENSE")} == set(SAMPLES)


@pytest.mark.parametrize("name", SAMPLES)
def test_sign_then_verify_every_media_sample(tmp_path, name):
    src = MEDIA / name
    out = tmp_path / f"signed{src.suffix}"
    result = studio("sign", src, "--out", out, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["path"] == str(out)
    # your own root is trusted for your own files; without it the same file is intact but untrusted
    mine = check(out)
    assert mine["state"] == "trusted" and mine["failures"] == []
    assert check(out, own_root=False)["state"] == "valid"
    assert check(out, own_root=False)["failures"] == ["signingCredential.untrusted"]
    assert mine["actions"][0]["action"] == "c2pa.opened"
    assert mine["claim_generator"].startswith("Studio ")
    (parent,) = mine["ingredients"]
    assert parent["title"] == name and parent["relationship"] == "parentOf"
    if name == "legacy.mp4":  # it already carries credentials (two manifests): they travel as the parent's
        assert parent["has_credentials"] and parent["state"] == "valid" and mine["manifests"] == 3
        assert parent["signer"]["common_name"] == "mauricefisher@nc.rr.com"
        assert parent["ingredients"][0]["title"] == "video1.mp4"
    else:
        assert parent["state"] == "no-credentials" and mine["manifests"] == 1
    assert active(manifest_store(out))["title"] == out.name
    if src.suffix != ".mp4":  # the signed image still decodes to the same pixels
        with Image.open(src) as a, Image.open(out) as b:
            assert np.array_equal(np.asarray(a.convert("RGB")), np.asarray(b.convert("RGB")))
            assert active(manifest_store(out)).get("thumbnail"), "a thumbnail is embedded"


@pytest.mark.parametrize("ext", ["png", "jpg", "webp", "tif"])
def test_generated_export_says_ai_made_it(app, pixels, tmp_path, ext):
    dest = tmp_path / f"gen.{ext}"
    report = app.export.export_image(pixels, dest, generated_record())
    assert "Content Credentials" in report.steps
    result = check(dest)
    assert result["state"] == "trusted"
    assert result["ai_tool_used"] is True and "AI tool was used" in result["summary"]
    (created,) = result["actions"]
    assert created["action"] == "c2pa.created" and created["digital_source_type"] == "trainedAlgorithmicMedia"
    assert created["model"] == {"name": "tiny-shapes", "sha256": "ab" * 32}
    raw = actions(active(manifest_store(dest)))[0]
    assert raw["digitalSourceType"] == "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
    assert raw["softwareAgent"]["name"] == "Studio"
    assert raw["parameters"]["org.studio.settings"]["seed"] == 7
    assert active(manifest_store(dest)).get("thumbnail")
    with Image.open(dest) as im:
        assert im.size == (128, 96)


def test_identity_is_created_on_first_use_with_a_private_key(app, pixels, tmp_path):
    report = app.export.export_image(pixels, tmp_path / "a.png", generated_record())
    assert any("Created your signing identity" in n for n in report.notices)
    folder = config_dir() / "credentials"
    key = folder / "signing-key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert b"PRIVATE KEY" in key.read_bytes()
    # the second export reuses it and says nothing
    report = app.export.export_image(pixels, tmp_path / "b.png", generated_record())
    assert not any("Created" in n for n in report.notices)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no temporary files left"


def test_signing_off_tells_the_user_and_writes_no_manifest(app, pixels, tmp_path):
    import c2pa

    report = app.export.export_image(pixels, tmp_path / "plain.png", generated_record(), {"sign": False})
    assert "This file carries no Content Credentials (signing is off)." in report.notices
    assert c2pa.Reader.try_create(str(tmp_path / "plain.png")) is None
    assert check(tmp_path / "plain.png")["state"] == "no-credentials"


def test_settings_and_flag_switch_signing_in_the_cli(tmp_path, png_file):
    from studio.settings import Settings

    out = tmp_path / "a.png"
    result = studio("adjust", "blur", png_file, "--out", out, "--no-sign")
    assert result.returncode == 0 and "no Content Credentials (signing is off)" in result.stdout
    assert check(out)["state"] == "no-credentials"
    settings = Settings.load()
    settings.export["sign"] = False
    settings.save()
    result = studio("adjust", "blur", png_file, "--out", out)
    assert "signing is off" in result.stdout and check(out)["state"] == "no-credentials"
    result = studio("adjust", "blur", png_file, "--out", out, "--sign")
    assert result.returncode == 0 and check(out)["state"] == "trusted"


def test_key_file_is_never_world_readable_while_written(tmp_path, monkeypatch):
    """The key is created by os.open with mode 0o600: even a permissive umask does not widen it."""
    from studio_plugins.credentials import identity

    old = os.umask(0)
    try:
        identity.write_private(tmp_path / "k.pem", b"secret")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "k.pem").stat().st_mode) == 0o600
